// What the race language server and its clients say to each other beyond standard LSP. Both
// sides import this file, so the names and shapes are defined once. None of it is needed: a
// plain LSP client (Neovim, Helix, Emacs…) gets diagnostics from `*.race.json` files and the
// standard code actions with no initializationOptions and none of these messages.

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

/**
 * Result files to read besides those the server finds in the workspace folders itself (for
 * example files outside them). Later changes come as watched-file events.
 */
export const RaceFilesNotification = 'ftpy/raceFiles';
export interface RaceFilesParams {
  uris: string[];
}

/** Forget every report and GIL note ("Clear Race Reports"). */
export const ClearNotification = 'ftpy/clear';

/** The race reports whose current or previous access is at a line: the race "under the cursor". */
export const RacesAtRequest = 'ftpy/racesAt';
export interface RacesAtParams {
  uri: string;
  line: number; // zero-based
}

/**
 * Client-side commands a client may implement and name in `initializationOptions.clientCommands`;
 * the server's code actions use the ones it names and standard LSP for the rest.
 */
/** "Go to the other access": (uri, zero-based line). */
export const OpenLocationCommand = 'ftpy.openLocation';
/** "Show race": (report: RaceReport). */
export const ShowRaceCommand = 'ftpy.showRace';
export const CLIENT_COMMANDS = [OpenLocationCommand, ShowRaceCommand] as const;
export type ClientCommand = (typeof CLIENT_COMMANDS)[number];

/** `initializationOptions`, all optional. */
export interface InitializationOptions {
  clientCommands?: ClientCommand[];
}

/**
 * The commands the server runs itself (`workspace/executeCommand`), for clients without the
 * client-side ones or without code action literals: (uri, zero-based line).
 */
export const ServerShowLocationCommand = 'ftpy-lsp.showLocation';
export const ServerSuppressCommand = 'ftpy-lsp.suppressRace';

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
