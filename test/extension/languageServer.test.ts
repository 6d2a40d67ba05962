// The race language server (dist/languageServer.js) driven over LSP on stdio, as VS Code's
// language client drives it: live reports and result files become diagnostics with the other
// access as related information, code actions suppress, jump or show the race, the race under
// the cursor can be asked for, and edits and "clear" remove them. (Other LSP clients:
// languageServerClients.test.ts and neovim.test.ts.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, type MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import type { CodeAction, Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';

const SOURCE = [
  'import threading',
  '',
  'class Counter:',
  '    def __init__(self):',
  '        self.value = 0',
  '',
  '    def bump(self):',
  '        self.value += 1',
  '',
  'def main():',
  '    c = Counter()',
  '    t = threading.Thread(target=c.bump, name="worker-1")',
  '    t.start()',
  '    print(c.value)',
  '    t.join()',
  '',
].join('\n');

let dir: string;
let file: string;
let uri: string;
let child: ChildProcess;
let conn: MessageConnection;
const published: PublishDiagnosticsParams[] = [];

function report(line = 8, otherLine = 14) {
  return {
    kind: 'data-race',
    location: { object: 'Counter', field: 'value' },
    current: { access: 'write', thread: { id: 2, name: 'worker-1' }, stack: [{ function: 'bump', file, line }] },
    previous: { access: 'read', thread: { id: 1, name: 'MainThread' }, stack: [{ function: 'main', file, line: otherLine }] },
    threads: [{ id: 2, name: 'worker-1', createdAt: [{ function: 'main', file, line: 13 }] }],
  };
}

/** Sends a notification and waits for diagnostics published for `u`, after it, that satisfy `pred`. */
async function notifyAndWait(method: string, params: unknown, u: string, pred: (d: Diagnostic[]) => boolean): Promise<Diagnostic[]> {
  const mark = published.length;
  await conn.sendNotification(method, params);
  return diagnosticsFor(u, pred, mark);
}

async function diagnosticsFor(u: string, pred: (d: Diagnostic[]) => boolean, since: number): Promise<Diagnostic[]> {
  const deadline = Date.now() + 20000;
  let seen = since;
  for (;;) {
    for (; seen < published.length; seen++) {
      const p = published[seen];
      if (p.uri === u && pred(p.diagnostics)) return p.diagnostics;
    }
    if (Date.now() > deadline)
      throw new Error(`no matching diagnostics for ${u}; got ${JSON.stringify(published.filter((p) => p.uri === u))}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ftpy-ls-'));
  file = join(dir, 'racy counter.py'); // a space, to check URI encoding
  writeFileSync(file, SOURCE);
  uri = pathToFileURL(file).toString();
  child = spawn(process.execPath, ['dist/languageServer.js', '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  conn = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => published.push(p));
  conn.onRequest('client/registerCapability', () => null);
  conn.listen();
  // What vscode-languageclient says about itself (the parts the server reads), and the extension's
  // initializationOptions: it implements the "Go to the other access" and "Show race" commands.
  const init = (await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: null,
    workspaceFolders: null,
    capabilities: {
      textDocument: {
        publishDiagnostics: { relatedInformation: true, dataSupport: true },
        codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix'] } }, dataSupport: true },
      },
      workspace: { applyEdit: true, workspaceFolders: true, didChangeWatchedFiles: { dynamicRegistration: true } },
      window: { showDocument: { support: true } },
    },
    initializationOptions: { clientCommands: ['ftpy.openLocation', 'ftpy.showRace'] },
  })) as {
    capabilities: { codeActionProvider?: unknown; executeCommandProvider?: unknown };
  };
  assert.equal(init.capabilities.executeCommandProvider, undefined, 'VS Code runs its own commands: the server needs none');
  assert.ok(init.capabilities.codeActionProvider, 'the server offers code actions');
  await conn.sendNotification('initialized', {});
});

after(() => {
  conn?.dispose();
  child?.kill();
  rmSync(dir, { recursive: true, force: true });
});

test('a live race report becomes a warning at the racy line, related to the other access', async () => {
  const [d, ...rest] = await notifyAndWait('ftpy/race', { source: 'session:1', report: report() }, uri, (ds) => ds.length > 0);
  assert.equal(rest.length, 0);
  assert.equal(d.source, 'ftpy-race');
  assert.equal(d.severity, 2); // Warning
  assert.deepEqual(d.range, { start: { line: 7, character: 8 }, end: { line: 7, character: 23 } }); // "self.value += 1"
  assert.match(
    d.message,
    /Data race on Counter\.value: write by thread T2 \(worker-1\) conflicts with a previous read by thread T1 \(MainThread\)/,
  );
  const [other, created] = d.relatedInformation ?? [];
  assert.equal(other.location.uri, uri);
  assert.equal(other.location.range.start.line, 13);
  assert.match(other.message, /Previous read of Counter\.value by thread T1 \(MainThread\) in main/);
  assert.equal(created.location.range.start.line, 12);
  assert.match(created.message, /Thread T2 \(worker-1\) created here/);

  // The same race reported again (another run, or its result file) is still one diagnostic.
  await conn.sendNotification('ftpy/race', { source: 'session:2', report: report() });
  const ds = await notifyAndWait('ftpy/race', { source: 'session:2', report: report(14, 8) }, uri, (x) => x.length === 2);
  assert.deepEqual(
    ds.map((x) => x.range.start.line).sort((a, b) => a - b),
    [7, 13],
  );
});

test('code actions suppress the race with a comment, go to the other access, or show the race', async () => {
  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version: 1, text: SOURCE } });
  const ds = published.filter((p) => p.uri === uri).pop()?.diagnostics ?? [];
  const d = ds.find((y) => y.range.start.line === 7);
  assert.ok(d, 'the race diagnostic is still there after opening the file');
  const actions = (await conn.sendRequest('textDocument/codeAction', {
    textDocument: { uri },
    range: d.range,
    context: { diagnostics: [d] },
  })) as CodeAction[];
  const suppress = actions.find((a) => a.title.startsWith('Suppress'));
  const goto = actions.find((a) => a.title === 'Go to the other access');
  const show = actions.find((a) => a.title === 'Show race');
  assert.ok(suppress && goto && show, JSON.stringify(actions));
  assert.deepEqual(suppress.edit?.changes?.[uri], [
    { range: { start: { line: 7, character: 23 }, end: { line: 7, character: 23 } }, newText: '  # ftpy: ignore-race' },
  ]);
  assert.deepEqual(goto.command, { title: 'Go to the other access', command: 'ftpy.openLocation', arguments: [uri, 13] });
  // "Show race" hands the extension the whole report, for its two-column view.
  assert.equal(show.kind, 'quickfix');
  assert.deepEqual(show.diagnostics, [d]);
  assert.equal(show.command?.command, 'ftpy.showRace');
  assert.deepEqual(show.command?.arguments, [report()]);

  // A diagnostic sent back without its data (some clients drop it) is still matched to its report.
  const bare = { ...d, data: undefined };
  const again = (await conn.sendRequest('textDocument/codeAction', {
    textDocument: { uri },
    range: d.range,
    context: { diagnostics: [bare] },
  })) as CodeAction[];
  assert.deepEqual(
    again.map((a) => a.title),
    actions.map((a) => a.title),
  );
});

test('the race under the cursor: by its current access first, then by its previous one', async () => {
  const at = (line: number) => conn.sendRequest('ftpy/racesAt', { uri, line }) as Promise<unknown[]>;
  const onWrite = await at(7);
  assert.deepEqual(onWrite[0], report(), 'the race whose warning is on line 8 comes first');
  assert.deepEqual(onWrite.slice(1), [report(14, 8)], 'then the one whose other access is there');
  assert.deepEqual(await at(2), [], 'no race on a line without an access');
});

test('editing the file drops its race diagnostics (their lines no longer hold)', async () => {
  await notifyAndWait(
    'textDocument/didChange',
    {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '# edited\n' }],
    },
    uri,
    (x) => x.length === 0,
  );
  await conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
});

test('result files of `ftpy race --json` are read, and "clear" removes everything', async () => {
  const resultFile = join(dir, 'run.race.json');
  writeFileSync(resultFile, JSON.stringify({ races: [report(8, 14)] }));
  const [d] = await notifyAndWait('ftpy/raceFiles', { uris: [pathToFileURL(resultFile).toString()] }, uri, (x) => x.length === 1);
  assert.equal(d.range.start.line, 7);

  // A GIL re-enable with an import site becomes a warning there too.
  const both = await notifyAndWait(
    'ftpy/gil',
    { source: 'session:3', enabled: true, module: 'legacy_ext', file, line: 1, reason: 'legacy_ext does not declare Py_mod_gil' },
    uri,
    (x) => x.length === 2,
  );
  const gil = both.find((x) => x.source === 'ftpy-gil');
  assert.ok(gil);
  assert.equal(gil.range.start.line, 0);
  assert.match(gil.message, /Importing `legacy_ext` re-enabled the GIL/);

  // A rewritten result file replaces its reports; a deleted one takes them away.
  writeFileSync(resultFile, JSON.stringify({ races: [] }));
  await notifyAndWait(
    'workspace/didChangeWatchedFiles',
    { changes: [{ uri: pathToFileURL(resultFile).toString(), type: 2 }] },
    uri,
    (x) => x.length === 1 && x[0].source === 'ftpy-gil',
  );

  await notifyAndWait('ftpy/race', { source: 'session:4', report: report() }, uri, (x) => x.length === 2);
  await notifyAndWait('ftpy/clear', undefined, uri, (x) => x.length === 0);
});
