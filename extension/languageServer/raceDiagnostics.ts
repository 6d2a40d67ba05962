// Turns race reports and GIL notes into LSP diagnostics, grouped by file. Pure: the caller
// supplies the text of a line (to narrow the range to the code on it) and says what its client
// can show, and gets plain objects.

import { type Diagnostic, type DiagnosticRelatedInformation, DiagnosticSeverity, Range } from 'vscode-languageserver';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type RaceReport, locationLabel, raceKey, threadLabel } from '../raceReport';
import { GIL_SOURCE, type GilParams, RACE_SOURCE, sentence } from './protocol';

/** What a race diagnostic carries for its code actions, when the client keeps `data`. */
export interface RaceDiagnosticData {
  kind: 'race';
  key: string; // raceKey() of its report
}

/** A published diagnostic and the race report it came from (none for GIL notes). */
export interface PublishedDiagnostic {
  diagnostic: Diagnostic;
  report?: RaceReport;
}

/** What the client can show (clientFeatures.ts); without related information the message carries the locations. */
export interface DiagnosticOptions {
  relatedInformation: boolean;
  data: boolean;
}

/** LSP positions are `uinteger`s: "to the end of the line" is the largest one (clients clamp it). */
const LINE_END = 2 ** 31 - 1;

export type LineText = (uri: string, line: number) => string | undefined;

export function fileUri(path: string): string {
  return path.startsWith('file:') ? path : pathToFileURL(path).toString();
}

/**
 * One spelling of a `file:` URI: clients encode some characters differently (Neovim leaves `@`
 * or `+` alone where Node escapes them), and the server compares URIs it made with theirs.
 */
export function normalUri(uri: string): string {
  if (!uri.startsWith('file:')) return uri;
  try {
    return pathToFileURL(fileURLToPath(uri)).toString();
  } catch {
    return uri;
  }
}

/** The range of the code on a (zero-based) line, without its indentation. */
export function lineRange(text: string | undefined, line: number): Range {
  const l = Math.max(0, line);
  if (text === undefined) return Range.create(l, 0, l, LINE_END);
  const start = text.length - text.trimStart().length;
  const end = text.trimEnd().length;
  return Range.create(l, start < end ? start : 0, l, end > 0 ? end : text.length);
}

function raceDiagnostic(
  report: RaceReport,
  lineText: LineText,
  options: DiagnosticOptions,
): { uri: string; published: PublishedDiagnostic } {
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
  const message =
    `Data race on ${what}: ${report.current.access} by thread ${threadLabel(report.current.thread)} ` +
    `conflicts with a previous ${report.previous.access} by thread ${threadLabel(report.previous.thread)} ` +
    `(${prev.function} at line ${prev.line}) with no synchronisation between them.`;
  const diagnostic: Diagnostic = {
    range: lineRange(lineText(uri, cur.line - 1), cur.line - 1),
    severity: DiagnosticSeverity.Warning,
    source: RACE_SOURCE,
    code: 'data-race',
    // A client that shows no related information gets the locations in the message instead.
    message: options.relatedInformation ? message : [message, ...related.map(relatedLine)].join('\n'),
  };
  if (options.relatedInformation) diagnostic.relatedInformation = related;
  if (options.data) diagnostic.data = { kind: 'race', key: raceKey(report) } satisfies RaceDiagnosticData;
  return { uri, published: { diagnostic, report } };
}

function relatedLine(r: DiagnosticRelatedInformation): string {
  let where = r.location.uri;
  try {
    where = fileURLToPath(where);
  } catch {
    /* not a file: URI; keep it */
  }
  return `${r.message}: ${where}:${r.location.range.start.line + 1}`;
}

function gilDiagnostic(note: GilParams, lineText: LineText): { uri: string; published: PublishedDiagnostic } | undefined {
  if (!note.enabled || !note.file || !note.line) return undefined;
  const uri = fileUri(note.file);
  const mod = note.module ? `\`${note.module}\`` : 'an extension module';
  return {
    uri,
    published: {
      diagnostic: {
        range: lineRange(lineText(uri, note.line - 1), note.line - 1),
        severity: DiagnosticSeverity.Warning,
        source: GIL_SOURCE,
        code: 'gil-reenabled',
        message: `Importing ${mod} re-enabled the GIL: threads no longer run Python in parallel. ${sentence(note.reason)}`.trim(),
      },
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
  options: DiagnosticOptions = { relatedInformation: true, data: true },
): Map<string, PublishedDiagnostic[]> {
  const byUri = new Map<string, PublishedDiagnostic[]>();
  const add = (d: { uri: string; published: PublishedDiagnostic } | undefined) => {
    if (!d) return;
    const list = byUri.get(d.uri) ?? [];
    list.push(d.published);
    byUri.set(d.uri, list);
  };
  const seen = new Set<string>();
  for (const r of reports) {
    const k = raceKey(r);
    if (seen.has(k)) continue;
    seen.add(k);
    add(raceDiagnostic(r, lineText, options));
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
