// Turns race reports and GIL notes into LSP diagnostics, grouped by file. Pure: the caller
// supplies the text of a line (to narrow the range to the code on it) and gets plain objects.

import { type Diagnostic, type DiagnosticRelatedInformation, DiagnosticSeverity, Range } from 'vscode-languageserver';
import { pathToFileURL } from 'node:url';
import { type RaceReport, locationLabel, raceKey, threadLabel } from '../raceReport';
import { GIL_SOURCE, type GilParams, RACE_SOURCE, sentence } from './protocol';

/** What a race diagnostic carries for its code actions. */
export interface RaceDiagnosticData {
  kind: 'race';
  otherUri: string;
  otherLine: number; // zero-based
}

export type LineText = (uri: string, line: number) => string | undefined;

export function fileUri(path: string): string {
  return path.startsWith('file:') ? path : pathToFileURL(path).toString();
}

/** The range of the code on a (zero-based) line, without its indentation. */
export function lineRange(text: string | undefined, line: number): Range {
  const l = Math.max(0, line);
  if (text === undefined) return Range.create(l, 0, l, Number.MAX_SAFE_INTEGER);
  const start = text.length - text.trimStart().length;
  const end = text.trimEnd().length;
  return Range.create(l, start < end ? start : 0, l, end > 0 ? end : text.length);
}

function raceDiagnostic(report: RaceReport, lineText: LineText): { uri: string; diagnostic: Diagnostic } {
  const cur = report.current.stack[0];
  const prev = report.previous.stack[0];
  const uri = fileUri(cur.file);
  const otherUri = fileUri(prev.file);
  const what = locationLabel(report);
  const related: DiagnosticRelatedInformation[] = [
    {
      location: { uri: otherUri, range: lineRange(lineText(otherUri, prev.line - 1), prev.line - 1) },
      message: `Previous ${report.previous.access} of ${what} by thread ${threadLabel(report.previous.thread)} in ${prev.function}`,
    },
  ];
  for (const t of report.threads ?? []) {
    const site = t.createdAt?.[0];
    if (!site || (t.id !== report.current.thread.id && t.id !== report.previous.thread.id)) continue;
    const u = fileUri(site.file);
    related.push({
      location: { uri: u, range: lineRange(lineText(u, site.line - 1), site.line - 1) },
      message: `Thread ${threadLabel(t)} created here`,
    });
  }
  const data: RaceDiagnosticData = { kind: 'race', otherUri, otherLine: prev.line - 1 };
  return {
    uri,
    diagnostic: {
      range: lineRange(lineText(uri, cur.line - 1), cur.line - 1),
      severity: DiagnosticSeverity.Warning,
      source: RACE_SOURCE,
      code: 'data-race',
      message:
        `Data race on ${what}: ${report.current.access} by thread ${threadLabel(report.current.thread)} ` +
        `conflicts with a previous ${report.previous.access} by thread ${threadLabel(report.previous.thread)} ` +
        `(${prev.function} at line ${prev.line}) with no synchronisation between them.`,
      relatedInformation: related,
      data,
    },
  };
}

function gilDiagnostic(note: GilParams, lineText: LineText): { uri: string; diagnostic: Diagnostic } | undefined {
  if (!note.enabled || !note.file || !note.line) return undefined;
  const uri = fileUri(note.file);
  const mod = note.module ? `\`${note.module}\`` : 'an extension module';
  return {
    uri,
    diagnostic: {
      range: lineRange(lineText(uri, note.line - 1), note.line - 1),
      severity: DiagnosticSeverity.Warning,
      source: GIL_SOURCE,
      code: 'gil-reenabled',
      message: `Importing ${mod} re-enabled the GIL: threads no longer run Python in parallel. ${sentence(note.reason)}`.trim(),
    },
  };
}

/**
 * All diagnostics, by file URI. The same pair of locations reported twice (live and from a
 * result file, or by two runs) gives one diagnostic.
 */
export function computeDiagnostics(
  reports: Iterable<RaceReport>,
  gilNotes: Iterable<GilParams>,
  lineText: LineText,
): Map<string, Diagnostic[]> {
  const byUri = new Map<string, Diagnostic[]>();
  const add = (d: { uri: string; diagnostic: Diagnostic } | undefined) => {
    if (!d) return;
    const list = byUri.get(d.uri) ?? [];
    list.push(d.diagnostic);
    byUri.set(d.uri, list);
  };
  const seen = new Set<string>();
  for (const r of reports) {
    const k = raceKey(r);
    if (seen.has(k)) continue;
    seen.add(k);
    add(raceDiagnostic(r, lineText));
  }
  const seenGil = new Set<string>();
  for (const g of gilNotes) {
    const k = `${g.module}|${g.file}|${g.line}`;
    if (seenGil.has(k)) continue;
    seenGil.add(k);
    add(gilDiagnostic(g, lineText));
  }
  return byUri;
}
