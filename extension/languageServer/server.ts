// The race language server (bundled to dist/languageServer.js). It keeps the race reports it is
// given — live ones forwarded by the extension from debug sessions, and `ftpy race --json`
// result files in the workspace — and publishes them as diagnostics, with code actions to
// suppress a race or jump to the other access. Diagnostics outlive the debug session; they go
// on "Clear Race Reports", when their result file is deleted, or when the file they point at is
// edited (the line numbers no longer hold).

import {
  type CodeAction,
  CodeActionKind,
  type CodeActionParams,
  type Diagnostic,
  FileChangeType,
  ProposedFeatures,
  TextDocumentSyncKind,
  TextDocuments,
  createConnection,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type RaceReport, RaceReportError, parseRaceFile } from '../raceReport';
import { computeDiagnostics, fileUri, type RaceDiagnosticData } from './raceDiagnostics';
import {
  ClearNotification,
  GilNotification,
  type GilParams,
  IGNORE_COMMENT,
  OpenLocationCommand,
  RACE_SOURCE,
  RaceFilesNotification,
  type RaceFilesParams,
  RaceNotification,
  type RaceParams,
} from './protocol';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);

/** Reports by where they came from: "session:<id>" for live ones, the file's URI for result files. */
const reports = new Map<string, RaceReport[]>();
const gilNotes = new Map<string, GilParams>();
let published = new Set<string>();

/** The text of a zero-based line, from the open document or else from disk (cached per publish). */
function makeLineText(): (uri: string, line: number) => string | undefined {
  const cache = new Map<string, string[] | undefined>();
  return (uri, line) => {
    const doc = documents.get(uri);
    if (doc) {
      if (line < 0 || line >= doc.lineCount) return undefined;
      return doc.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }).replace(/\r?\n$/, '');
    }
    if (!cache.has(uri)) {
      try {
        cache.set(uri, readFileSync(fileURLToPath(uri), 'utf8').split(/\r?\n/));
      } catch {
        cache.set(uri, undefined);
      }
    }
    return cache.get(uri)?.[line];
  };
}

function publish(): void {
  const all: RaceReport[] = [];
  for (const list of reports.values()) all.push(...list);
  const byUri = computeDiagnostics(all, gilNotes.values(), makeLineText());
  for (const uri of published) {
    if (!byUri.has(uri)) void connection.sendDiagnostics({ uri, diagnostics: [] });
  }
  for (const [uri, diagnostics] of byUri) void connection.sendDiagnostics({ uri, diagnostics });
  published = new Set(byUri.keys());
}

function loadRaceFile(uri: string): void {
  let text: string;
  try {
    text = readFileSync(fileURLToPath(uri), 'utf8');
  } catch {
    reports.delete(uri);
    return;
  }
  if (text.trim() === '') {
    reports.delete(uri); // being written; the next change event brings the contents
    return;
  }
  try {
    reports.set(uri, parseRaceFile(text));
  } catch (e) {
    reports.delete(uri);
    const why = e instanceof RaceReportError ? e.message : String(e);
    connection.console.warn(`${fileURLToPath(uri)} is not a race report file (${why}); expected the output of \`ftpy race --json FILE\`.`);
  }
}

connection.onInitialize(() => ({
  capabilities: {
    textDocumentSync: TextDocumentSyncKind.Incremental,
    codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
  },
}));

connection.onNotification(RaceNotification, (p: RaceParams) => {
  const list = reports.get(p.source) ?? [];
  list.push(p.report);
  reports.set(p.source, list);
  publish();
});

connection.onNotification(GilNotification, (p: GilParams) => {
  if (p.enabled) gilNotes.set(`${p.source}|${p.module ?? ''}`, p);
  publish();
});

connection.onNotification(RaceFilesNotification, (p: RaceFilesParams) => {
  for (const uri of p.uris) loadRaceFile(uri);
  publish();
});

connection.onNotification(ClearNotification, () => {
  reports.clear();
  gilNotes.clear();
  publish();
});

connection.onDidChangeWatchedFiles((p) => {
  for (const change of p.changes) {
    if (!change.uri.endsWith('.race.json')) continue;
    if (change.type === FileChangeType.Deleted) reports.delete(change.uri);
    else loadRaceFile(change.uri);
  }
  publish();
});

// An edit moves lines, so the reports pointing into the edited file no longer hold. Opening a
// document also fires a content change, which is not an edit.
const justOpened = new Set<string>();
documents.onDidOpen((e) => justOpened.add(e.document.uri));
documents.onDidClose((e) => justOpened.delete(e.document.uri));
documents.onDidChangeContent((e) => {
  const uri = e.document.uri;
  if (justOpened.delete(uri) || !published.has(uri)) return;
  let changed = false;
  for (const [source, list] of reports) {
    const kept = list.filter((r) => fileUri(r.current.stack[0].file) !== uri);
    if (kept.length !== list.length) {
      reports.set(source, kept);
      changed = true;
    }
  }
  for (const [k, g] of gilNotes) {
    if (g.file && fileUri(g.file) === uri) {
      gilNotes.delete(k);
      changed = true;
    }
  }
  if (changed) publish();
});

connection.onCodeAction((p: CodeActionParams): CodeAction[] => {
  const doc = documents.get(p.textDocument.uri);
  const actions: CodeAction[] = [];
  for (const d of p.context.diagnostics) {
    if (d.source !== RACE_SOURCE) continue;
    const data = d.data as RaceDiagnosticData | undefined;
    const line = d.range.start.line;
    const text = doc?.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }).replace(/\r?\n$/, '');
    if (text !== undefined && !text.includes(IGNORE_COMMENT)) {
      const end = text.trimEnd().length;
      actions.push({
        title: `Suppress with \`${IGNORE_COMMENT}\``,
        kind: CodeActionKind.QuickFix,
        diagnostics: [d as Diagnostic],
        edit: {
          changes: {
            [p.textDocument.uri]: [
              { range: { start: { line, character: end }, end: { line, character: text.length } }, newText: `  ${IGNORE_COMMENT}` },
            ],
          },
        },
      });
    }
    if (data?.kind === 'race') {
      actions.push({
        title: 'Go to the other access',
        kind: CodeActionKind.QuickFix,
        diagnostics: [d as Diagnostic],
        command: { title: 'Go to the other access', command: OpenLocationCommand, arguments: [data.otherUri, data.otherLine] },
      });
    }
  }
  return actions;
});

documents.listen(connection);
connection.listen();
