// The notifications the extension sends its race language server (client -> server). Both sides
// import this file, so the names and shapes are defined once.

import type { RaceReport } from '../raceReport';

/** One live race report from a debug session (`ftpython.race`). `source` groups reports for removal. */
export const RaceNotification = 'ftpy/race';
export interface RaceParams {
  source: string;
  report: RaceReport;
}

/** A GIL state change (`ftpython.gil`). A re-enable with a file and line becomes a diagnostic there. */
export const GilNotification = 'ftpy/gil';
export interface GilParams {
  source: string;
  enabled: boolean;
  module?: string;
  file?: string;
  line?: number;
  reason: string;
}

/** `ftpy race --json` result files already in the workspace at start (later changes come as watched-file events). */
export const RaceFilesNotification = 'ftpy/raceFiles';
export interface RaceFilesParams {
  uris: string[];
}

/** Forget every report and GIL note ("Clear Race Reports"). */
export const ClearNotification = 'ftpy/clear';

/** The client-side command that the "Go to the other access" code action runs: (uri, zero-based line). */
export const OpenLocationCommand = 'ftpy.openLocation';

/** The comment that tells the race detector to ignore races at a line. */
export const IGNORE_COMMENT = '# ftpy: ignore-race';

export const RACE_SOURCE = 'ftpy-race';
export const GIL_SOURCE = 'ftpy-gil';

/** A runtime's reason text as a sentence: capitalised, ending in a full stop. */
export function sentence(text: string | undefined): string {
  const t = (text ?? '').trim();
  if (!t) return '';
  const s = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}
