// The race language server for LSP clients that are not VS Code: `node languageServer.js
// --stdio`, driven with vscode-jsonrpc (no vscode-languageclient), as three kinds of client:
//
//   1. a bare one: no capabilities, no initializationOptions, a rootUri; the bundle copied out
//      of the project, so it runs with no node_modules and no `vscode` module;
//   2. a capable one: workspace folders, related information, code action literals,
//      `window/showDocument`, watched files registered on the server's request;
//   3. one that takes code actions only as commands, and applies edits on request.
//
// (VS Code's client: languageServer.test.ts; a real editor, Neovim: neovim.test.ts.)
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CodeAction, Command } from 'vscode-languageserver-protocol';
import { LspTestClient } from './lspClient';

const SERVER = join(process.cwd(), 'dist', 'languageServer.js');
const dirs: string[] = [];
const clients: LspTestClient[] = [];

after(() => {
  for (const c of clients) c.kill();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

const uriOf = (path: string) => pathToFileURL(path).toString();

/** A Python file whose line `line` (1-based) reads `self.value += 1`, the rest filler. */
function pyFile(path: string, lines = 20): void {
  const text = Array.from({ length: lines }, (_, i) => (i === 7 ? '        self.value += 1' : `x${i} = ${i}`));
  writeFileSync(path, `${text.join('\n')}\n`);
}

/** A race report as `ftpy race --json` writes it: a write at `file`:8, a read at `other`:14. */
function report(file: string, other: string) {
  return {
    kind: 'data-race',
    location: { object: 'Counter', field: 'value' },
    current: { access: 'write', thread: { id: 2, name: 'worker-1' }, stack: [{ function: 'bump', file, line: 8 }] },
    previous: { access: 'read', thread: { id: 1, name: 'MainThread' }, stack: [{ function: 'main', file: other, line: 14 }] },
    threads: [{ id: 2, name: 'worker-1', createdAt: [{ function: 'main', file: other, line: 13 }] }],
  };
}

function raceFile(path: string, ...reports: unknown[]): void {
  writeFileSync(path, JSON.stringify({ races: reports }));
}

test('a bare client: diagnostics from the workspace result files, plain, with the locations in the message', async () => {
  const ws = tempDir('ftpy-ls-bare-');
  mkdirSync(join(ws, 'src'));
  mkdirSync(join(ws, 'results'));
  mkdirSync(join(ws, 'node_modules', 'dep'), { recursive: true });
  mkdirSync(join(ws, '.git'));
  const app = join(ws, 'src', 'app.py');
  const lib = join(ws, 'src', 'lib.py');
  const ignored = join(ws, 'src', 'ignored.py');
  pyFile(app);
  pyFile(lib);
  pyFile(ignored);
  raceFile(join(ws, 'results', 'ci.race.json'), report(app, lib));
  raceFile(join(ws, 'node_modules', 'dep', 'x.race.json'), report(ignored, ignored)); // dependencies are not searched
  raceFile(join(ws, '.git', 'y.race.json'), report(ignored, ignored)); // nor dot-folders

  // The bundle on its own, away from the project's node_modules: it must need nothing else.
  const bin = tempDir('ftpy-ls-bin-');
  copyFileSync(SERVER, join(bin, 'languageServer.js'));
  const c = LspTestClient.start(join(bin, 'languageServer.js'), ['--stdio'], bin);
  clients.push(c);
  const init = await c.request<{ capabilities: Record<string, unknown>; serverInfo?: { name: string } }>('initialize', {
    processId: process.pid,
    rootUri: uriOf(ws),
    capabilities: {},
  });
  assert.equal(init.serverInfo?.name, 'ftpy-race');
  assert.ok(init.capabilities.textDocumentSync, 'documents are synchronised');
  assert.equal(init.capabilities.codeActionProvider, undefined, 'no code actions for a client that did not ask for them');
  assert.equal(init.capabilities.executeCommandProvider, undefined);
  await c.notify('initialized', {});

  const [d, ...rest] = await c.diagnostics(uriOf(app), (ds) => ds.length > 0);
  assert.equal(rest.length, 0);
  assert.equal(d.source, 'ftpy-race');
  assert.equal(d.severity, 2);
  assert.deepEqual(d.range, { start: { line: 7, character: 8 }, end: { line: 7, character: 23 } });
  assert.equal(d.relatedInformation, undefined, 'the client did not say it shows related information');
  assert.equal(d.data, undefined, 'nor that it keeps diagnostic data');
  const [first, ...more] = d.message.split('\n');
  assert.match(first, /^Data race on Counter\.value: write by thread T2 \(worker-1\) conflicts with a previous read by thread T1/);
  assert.deepEqual(more, [
    `Previous read of Counter.value by thread T1 (MainThread) in main: ${lib}:14`,
    `Thread T2 (worker-1) created here: ${lib}:13`,
  ]);
  // Every publication of the scan is out before the answer to a later request.
  await c.request('ftpy/racesAt', { uri: uriOf(app), line: 7 });
  assert.equal(c.latest(uriOf(ignored)), undefined, 'result files under node_modules and dot-folders are not read');
  assert.deepEqual(c.requests, [], 'a client that cannot watch files is not asked to');

  // A later `ftpy race --json` run: the server watches the workspace itself for such a client.
  const later = join(ws, 'src', 'later.py');
  pyFile(later);
  const laterRaces = join(ws, 'later.race.json');
  const mark = c.published.length;
  raceFile(laterRaces, report(later, later));
  await c.diagnostics(uriOf(later), (ds) => ds.length === 1, mark);
  unlinkSync(laterRaces);
  await c.diagnostics(uriOf(later), (ds) => ds.length === 0, mark);
  // …and in the folder that already held a result file.
  writeFileSync(join(ws, 'results', 'ci.race.json'), JSON.stringify({ races: [] }));
  await c.diagnostics(uriOf(app), (ds) => ds.length === 0, mark);

  const { result, code } = await c.shutdown();
  assert.equal(result, null);
  assert.equal(code, 0, 'shutdown then exit ends the server with status 0');
});

test('a capable client: workspace folders, related information, literal code actions, showDocument, watched files', async () => {
  const a = tempDir('ftpy-ls-a-');
  const b = tempDir('ftpy-ls-b-');
  const appA = join(a, 'app@v2.py'); // `@`: VS Code spells it %40 in URIs, Node does not
  const appB = join(b, 'app.py');
  pyFile(appA);
  pyFile(appB);
  raceFile(join(a, 'run.race.json'), report(appA, appA));
  raceFile(join(b, 'run.race.json'), report(appB, appB));

  const c = LspTestClient.start(SERVER, ['--stdio'], process.cwd(), {
    'client/registerCapability': () => null,
    'window/showDocument': () => ({ success: true }),
  });
  clients.push(c);
  const init = await c.request<{ capabilities: { codeActionProvider?: unknown; executeCommandProvider?: { commands: string[] } } }>(
    'initialize',
    {
      processId: process.pid,
      rootUri: uriOf(b), // workspaceFolders win over it
      workspaceFolders: [
        { uri: uriOf(a), name: 'a' },
        { uri: uriOf(b), name: 'b' },
      ],
      capabilities: {
        textDocument: {
          publishDiagnostics: { relatedInformation: true, dataSupport: true },
          codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix'] } } },
        },
        workspace: { workspaceFolders: true, didChangeWatchedFiles: { dynamicRegistration: true } },
        window: { showDocument: { support: true } },
      },
    },
  );
  assert.deepEqual(init.capabilities.codeActionProvider, { codeActionKinds: ['quickfix'] });
  assert.deepEqual(init.capabilities.executeCommandProvider, { commands: ['ftpy-lsp.showLocation'] });
  await c.notify('initialized', {});

  const registration = await c.until('the watched-files registration', () =>
    c.requests.find((r) => r.method === 'client/registerCapability'),
  );
  const reg = (registration.params as { registrations: { method: string; registerOptions: unknown }[] }).registrations[0];
  assert.equal(reg.method, 'workspace/didChangeWatchedFiles');
  assert.deepEqual(reg.registerOptions, { watchers: [{ globPattern: '**/*.race.json' }] });

  const [dA] = await c.diagnostics(uriOf(appA), (ds) => ds.length === 1);
  await c.diagnostics(uriOf(appB), (ds) => ds.length === 1);
  assert.equal(dA.message.includes('\n'), false, 'the locations are related information, not message lines');
  assert.deepEqual(
    dA.relatedInformation?.map((r) => [r.location.range.start.line, r.message]),
    [
      [13, 'Previous read of Counter.value by thread T1 (MainThread) in main'],
      [12, 'Thread T2 (worker-1) created here'],
    ],
  );

  // The document as the client spells its URI (percent-encoding `@`, as VS Code does).
  const spelled = uriOf(appA).replace('@', '%40');
  const actions = await c.request<CodeAction[]>('textDocument/codeAction', {
    textDocument: { uri: spelled },
    range: dA.range,
    context: { diagnostics: [dA] },
  });
  assert.deepEqual(
    actions.map((x) => x.title),
    ['Suppress with `# ftpy: ignore-race`', 'Go to the other access'],
    'no "Show race": this client did not say it has that command',
  );
  assert.deepEqual(actions[0].edit?.changes?.[spelled], [
    { range: { start: { line: 7, character: 23 }, end: { line: 7, character: 23 } }, newText: '  # ftpy: ignore-race' },
  ]);
  const goto = actions[1].command;
  assert.deepEqual(goto, { title: 'Go to the other access', command: 'ftpy-lsp.showLocation', arguments: [uriOf(appA), 13] });

  // The server's own command opens the other access through window/showDocument.
  assert.equal(await c.request('workspace/executeCommand', { command: goto?.command, arguments: goto?.arguments }), null);
  const shown = c.requests.find((r) => r.method === 'window/showDocument');
  assert.deepEqual(shown?.params, {
    uri: uriOf(appA),
    takeFocus: true,
    selection: { start: { line: 13, character: 0 }, end: { line: 13, character: 8 } }, // "x13 = 13"
  });
  await assert.rejects(c.request('workspace/executeCommand', { command: 'ftpy-lsp.showLocation', arguments: ['x'] }), /takes \(uri/);

  // The client watches: a new result file counts once it says so.
  const later = join(a, 'later.py');
  pyFile(later);
  raceFile(join(a, 'later.race.json'), report(later, later));
  const mark = c.published.length;
  await c.notify('workspace/didChangeWatchedFiles', { changes: [{ uri: uriOf(join(a, 'later.race.json')), type: 1 }] });
  await c.diagnostics(uriOf(later), (ds) => ds.length === 1, mark);

  // A folder leaves the workspace: its reports go with it.
  await c.notify('workspace/didChangeWorkspaceFolders', { event: { added: [], removed: [{ uri: uriOf(b), name: 'b' }] } });
  await c.diagnostics(uriOf(appB), (ds) => ds.length === 0, mark);
  assert.equal(c.latest(uriOf(appA))?.length, 1, 'the other folder keeps its own');

  // A client that goes away without shutdown: the server does not linger.
  c.child.stdin?.end();
  assert.equal(await c.exited, 1, 'an exit without shutdown is status 1, as the spec says');
});

test('a client that takes code actions as commands: the server applies the suppression through workspace/applyEdit', async () => {
  const ws = tempDir('ftpy-ls-cmd-');
  const app = join(ws, 'app.py');
  pyFile(app);
  raceFile(join(ws, 'run.race.json'), report(app, app));
  const c = LspTestClient.start(SERVER, [], process.cwd(), { 'workspace/applyEdit': () => ({ applied: true }) }); // no transport argument: stdio
  clients.push(c);
  const init = await c.request<{ capabilities: { codeActionProvider?: unknown; executeCommandProvider?: { commands: string[] } } }>(
    'initialize',
    {
      processId: null,
      rootUri: null,
      rootPath: ws, // the deprecated form, still sent by old clients
      capabilities: { textDocument: { codeAction: {} }, workspace: { applyEdit: true } },
      initializationOptions: { clientCommands: ['ftpy.showRace', 'nope'] },
    },
  );
  assert.equal(init.capabilities.codeActionProvider, true);
  assert.deepEqual(init.capabilities.executeCommandProvider, { commands: ['ftpy-lsp.suppressRace'] });
  await c.notify('initialized', {});
  const warning = await c.until('a warning about the unknown client command', () =>
    c.logs.find((l) => l.message.includes('unknown command "nope"')),
  );
  assert.equal(warning.type, 2);

  const [d] = await c.diagnostics(uriOf(app), (ds) => ds.length === 1);
  const actions = await c.request<(Command | CodeAction)[]>('textDocument/codeAction', {
    textDocument: { uri: uriOf(app) },
    range: d.range,
    context: { diagnostics: [d] },
  });
  // Commands, not CodeActions; "Show race" because the client named ftpy.showRace; no "Go to"
  // (neither a client command for it nor showDocument).
  assert.deepEqual(actions, [
    { title: 'Suppress with `# ftpy: ignore-race`', command: 'ftpy-lsp.suppressRace', arguments: [uriOf(app), 7] },
    { title: 'Show race', command: 'ftpy.showRace', arguments: [report(app, app)] },
  ]);
  const suppress = actions[0] as Command;
  await c.request('workspace/executeCommand', { command: suppress.command, arguments: suppress.arguments });
  const applied = c.requests.find((r) => r.method === 'workspace/applyEdit');
  assert.deepEqual(applied?.params, {
    label: 'Suppress with `# ftpy: ignore-race`',
    edit: {
      changes: {
        [uriOf(app)]: [{ range: { start: { line: 7, character: 23 }, end: { line: 7, character: 23 } }, newText: '  # ftpy: ignore-race' }],
      },
    },
  });
  const { code } = await c.shutdown();
  assert.equal(code, 0);
});

test('--help says how to run it', () => {
  const r = spawnSync(process.execPath, [SERVER, '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.match(r.stdout, /publishes ftpy race reports \(\*\.race\.json\) as LSP diagnostics/);
  assert.match(r.stdout, /--stdio/);
});
