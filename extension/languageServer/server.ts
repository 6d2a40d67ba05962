// The race language server (bundled to dist/languageServer.js; `node dist/languageServer.js
// --stdio` for any LSP client). It keeps the race reports it is given — `ftpy race --json`
// result files (`*.race.json`) it finds and watches in the workspace folders, and live ones
// that the VS Code extension forwards from debug sessions — and publishes them as standard
// diagnostics, with code actions to suppress a race, jump to the other access, or (in VS Code)
// show both stacks. It uses only what the client advertised (clientFeatures.ts). Diagnostics
// outlive the debug session; they go on "Clear Race Reports", when their result file is
// deleted, or when the file they point at is edited (the line numbers no longer hold).

import {
  type CodeAction,
  type CodeActionParams,
  type Command,
  DidChangeWatchedFilesNotification,
  ErrorCodes,
  type ExecuteCommandParams,
  FileChangeType,
  type InitializeParams,
  type InitializeResult,
  ProposedFeatures,
  ResponseError,
  TextDocumentSyncKind,
  TextDocuments,
  createConnection,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type RaceReport, RaceReportError, parseRaceFile, raceKey } from '../raceReport';
import { type ClientFeatures, clientFeatures, folderPath } from './clientFeatures';
import { SUPPRESS_TITLE, raceCodeActions, serverCommands, suppressEdit } from './codeActions';
import { type PublishedDiagnostic, type RaceDiagnosticData, computeDiagnostics, fileUri, lineRange, normalUri } from './raceDiagnostics';
import { DEFAULT_LIMITS, RACE_FILE_GLOB, RACE_FILE_SUFFIX, RaceFileWatcher, findRaceFiles } from './raceFiles';
import {
  ClearNotification,
  GilNotification,
  type GilParams,
  RACE_SOURCE,
  RaceFilesNotification,
  type RaceFilesParams,
  RaceNotification,
  type RaceParams,
  RacesAtRequest,
  type RacesAtParams,
  ServerShowLocationCommand,
  ServerSuppressCommand,
} from './protocol';

const USAGE = `ftpy race language server: publishes ftpy race reports (*.race.json) as LSP diagnostics.

  node languageServer.js [--stdio | --node-ipc | --socket=PORT | --pipe=NAME]

With no transport argument it speaks LSP on stdin/stdout (as with --stdio).`;

const TRANSPORT = /^--(stdio|node-ipc|socket|pipe)(=|$)/;
if (process.argv.includes('--help') || process.argv.includes('-h')) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (!process.argv.slice(2).some((a) => TRANSPORT.test(a))) process.argv.push('--stdio');

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);

/** Until `initialize` says otherwise: a client that can only show plain diagnostics. */
let features: ClientFeatures = clientFeatures({ processId: null, rootUri: null, capabilities: {} });
/** Reports by where they came from: "session:<id>" for live ones, the (normalised) file URI for result files. */
const reports = new Map<string, RaceReport[]>();
const gilNotes = new Map<string, GilParams>();
/** What was last published, by normalised document URI. */
let published = new Map<string, PublishedDiagnostic[]>();
let watcher: RaceFileWatcher | undefined;
/** The workspace folders (local paths). */
let roots: string[] = [];
/** Folders already searched for result files, when the client names no workspace folder. */
const scannedDirs = new Set<string>();

/** The open document for a URI, whichever way the client spelled it. */
function openDocument(uri: string): TextDocument | undefined {
  const direct = documents.get(uri);
  if (direct) return direct;
  const n = normalUri(uri);
  return documents.all().find((d) => normalUri(d.uri) === n);
}

/** The text of a zero-based line, from the open document or else from disk (cached per call of this function). */
function makeLineText(): (uri: string, line: number) => string | undefined {
  const cache = new Map<string, string[] | undefined>();
  return (uri, line) => {
    const doc = openDocument(uri);
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

/** Every report once (the same race from a live session and a result file is one). */
function allReports(): RaceReport[] {
  const seen = new Set<string>();
  const out: RaceReport[] = [];
  for (const list of reports.values()) {
    for (const r of list) {
      const k = raceKey(r);
      if (!seen.has(k)) {
        seen.add(k);
        out.push(r);
      }
    }
  }
  return out;
}

function publish(): void {
  const byUri = computeDiagnostics(allReports(), gilNotes.values(), makeLineText(), {
    relatedInformation: features.relatedInformation,
    data: features.diagnosticData,
  });
  for (const uri of published.keys()) {
    if (!byUri.has(uri)) void connection.sendDiagnostics({ uri, diagnostics: [] });
  }
  for (const [uri, list] of byUri) void connection.sendDiagnostics({ uri, diagnostics: list.map((p) => p.diagnostic) });
  published = byUri;
}

function loadRaceFile(rawUri: string): void {
  const uri = normalUri(rawUri);
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

/** Reads the result files under `roots` and, when the server watches them itself, watches their folders. */
async function scan(dirs: string[], recursive = true): Promise<void> {
  if (!dirs.length) return;
  const found = await findRaceFiles(dirs, { ...DEFAULT_LIMITS, recursive });
  for (const f of found.files) loadRaceFile(pathToFileURL(f).toString());
  if (watcher) for (const d of found.watchDirs) watcher.watch(d);
  if (found.truncated) connection.console.info(`ftpy race diagnostics: ${found.truncated}.`);
  publish();
}

function isUnder(uri: string, folder: string): boolean {
  const p = folderPath(uri);
  return p !== undefined && (p === folder || p.startsWith(folder.endsWith('/') ? folder : `${folder}/`));
}

connection.onInitialize((params: InitializeParams): InitializeResult => {
  features = clientFeatures(params);
  const commands = serverCommands(features);
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
      // Code actions only for a client that asks for them; kinds may only be named to one that takes literals.
      ...(features.codeActions === 'literal'
        ? { codeActionProvider: { codeActionKinds: ['quickfix'] } }
        : features.codeActions === 'command'
          ? { codeActionProvider: true }
          : {}),
      ...(commands.length ? { executeCommandProvider: { commands } } : {}),
      workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
    },
    serverInfo: { name: 'ftpy-race' },
  };
});

connection.onInitialized(() => {
  for (const w of features.warnings) connection.console.warn(w);
  if (features.watchedFilesRegistration) {
    connection.client
      .register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: RACE_FILE_GLOB }] })
      .catch((e: unknown) =>
        connection.console.warn(
          `The client refused to watch ${RACE_FILE_GLOB} (${(e as Error).message}); result files are read at start only.`,
        ),
      );
  } else {
    watcher = new RaceFileWatcher(
      (path, exists) => {
        const uri = pathToFileURL(path).toString();
        if (exists) loadRaceFile(uri);
        else reports.delete(uri);
        publish();
      },
      (message) => connection.console.warn(message),
    );
  }
  if (features.workspaceFolderChanges) {
    connection.workspace.onDidChangeWorkspaceFolders((e) => {
      for (const f of e.removed) {
        const folder = folderPath(f.uri);
        if (!folder) continue;
        for (const source of [...reports.keys()]) if (isUnder(source, folder)) reports.delete(source);
        watcher?.unwatch(folder);
      }
      const added = e.added.map((f) => folderPath(f.uri)).filter((p): p is string => p !== undefined);
      roots = [...roots.filter((r) => !e.removed.some((f) => folderPath(f.uri) === r)), ...added];
      publish();
      void scan(added);
    });
  }
  roots = features.roots;
  void scan(roots);
});

connection.onShutdown(() => {
  watcher?.dispose();
  watcher = undefined;
});

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
    if (!change.uri.endsWith(RACE_FILE_SUFFIX)) continue;
    if (change.type === FileChangeType.Deleted) reports.delete(normalUri(change.uri));
    else loadRaceFile(change.uri);
  }
  publish();
});

connection.onRequest(RacesAtRequest, (p: RacesAtParams): RaceReport[] => {
  const uri = normalUri(p.uri);
  const at = (f: { file: string; line: number }) => normalUri(fileUri(f.file)) === uri && f.line - 1 === p.line;
  const all = allReports();
  // The race whose current access is on the line first: that is the one with the warning there.
  return [...all.filter((r) => at(r.current.stack[0])), ...all.filter((r) => !at(r.current.stack[0]) && at(r.previous.stack[0]))];
});

// An edit moves lines, so the reports pointing into the edited file no longer hold. Opening a
// document also fires a content change, which is not an edit.
const justOpened = new Set<string>();
documents.onDidOpen((e) => {
  justOpened.add(e.document.uri);
  // With no workspace folder the server has not searched anywhere: look next to the file.
  const file = roots.length === 0 ? folderPath(e.document.uri) : undefined;
  if (file && !scannedDirs.has(dirname(file))) {
    scannedDirs.add(dirname(file));
    void scan([dirname(file)], false);
  }
});
documents.onDidClose((e) => justOpened.delete(e.document.uri));
documents.onDidChangeContent((e) => {
  const uri = normalUri(e.document.uri);
  if (justOpened.delete(e.document.uri) || !published.has(uri)) return;
  let changed = false;
  for (const [source, list] of reports) {
    const kept = list.filter((r) => normalUri(fileUri(r.current.stack[0].file)) !== uri);
    if (kept.length !== list.length) {
      reports.set(source, kept);
      changed = true;
    }
  }
  for (const [k, g] of gilNotes) {
    if (g.file && normalUri(fileUri(g.file)) === uri) {
      gilNotes.delete(k);
      changed = true;
    }
  }
  if (changed) publish();
});

/** The report behind a diagnostic the client sent back: by its data if kept, else by line and message. */
function reportFor(uri: string, d: CodeActionParams['context']['diagnostics'][number]): RaceReport | undefined {
  const list = published.get(uri) ?? [];
  const key = (d.data as RaceDiagnosticData | undefined)?.key;
  if (typeof key === 'string') {
    const r = list.find((p) => p.report && raceKey(p.report) === key)?.report ?? allReports().find((x) => raceKey(x) === key);
    if (r) return r;
  }
  const line = d.range.start.line;
  const onLine = list.filter((p) => p.report && p.diagnostic.range.start.line === line);
  return (onLine.find((p) => p.diagnostic.message === d.message) ?? (onLine.length === 1 ? onLine[0] : undefined))?.report;
}

connection.onCodeAction((p: CodeActionParams): (CodeAction | Command)[] => {
  const uri = normalUri(p.textDocument.uri);
  const lineText = makeLineText();
  const actions: (CodeAction | Command)[] = [];
  for (const d of p.context.diagnostics) {
    if (d.source !== RACE_SOURCE) continue;
    actions.push(
      ...raceCodeActions(
        { uri: p.textDocument.uri, diagnostic: d, lineText: lineText(p.textDocument.uri, d.range.start.line), report: reportFor(uri, d) },
        features,
      ),
    );
  }
  return actions;
});

function locationArgs(p: ExecuteCommandParams): { uri: string; line: number } {
  const [uri, line] = p.arguments ?? [];
  if (typeof uri !== 'string' || typeof line !== 'number' || line < 0) {
    throw new ResponseError(
      ErrorCodes.InvalidParams,
      `${p.command} takes (uri: string, line: number ≥ 0); got ${JSON.stringify(p.arguments)}`,
    );
  }
  return { uri, line };
}

connection.onExecuteCommand(async (p: ExecuteCommandParams) => {
  if (p.command === ServerShowLocationCommand) {
    const { uri, line } = locationArgs(p);
    const r = await connection.window.showDocument({ uri, takeFocus: true, selection: lineRange(makeLineText()(uri, line), line) });
    if (!r.success) connection.console.warn(`The client did not open ${uri} at line ${line + 1}.`);
    return null;
  }
  if (p.command === ServerSuppressCommand) {
    const { uri, line } = locationArgs(p);
    const edit = suppressEdit(makeLineText()(uri, line), line);
    if (!edit) return null; // already suppressed, or the line is gone
    const r = await connection.workspace.applyEdit({ label: SUPPRESS_TITLE, edit: { changes: { [uri]: [edit] } } });
    if (!r.applied) connection.console.warn(`The client did not apply the edit to ${uri}${r.failureReason ? `: ${r.failureReason}` : ''}.`);
    return null;
  }
  throw new ResponseError(ErrorCodes.InvalidParams, `unknown command ${p.command}`);
});

documents.listen(connection);
connection.listen();
