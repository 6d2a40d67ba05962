// The race language server in a real editor that is not VS Code: Neovim's built-in LSP client,
// headless, configured as the README says (`node dist/languageServer.js --stdio`, the project
// folder as root_dir), on result files that the real `ftpy race --json` wrote for two examples.
// The Lua side (neovim/ftpyRaceClient.lua) reports what Neovim saw; this side checks it.
//
// Needs `nvim` 0.7 or newer (scripts/setup.sh installs Debian's). Without it the test is
// skipped, saying so — unless FTPY_E2E_REQUIRED is set (scripts/test.sh, CI), where that fails.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = process.cwd();

/** Neovim's version as [major, minor], or why it cannot be used. */
function neovim(): [number, number] | string {
  const r = spawnSync('nvim', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 'Neovim (nvim) is not installed; scripts/setup.sh installs it (apt-get install neovim)';
  const m = /^NVIM v(\d+)\.(\d+)/.exec(r.stdout);
  if (!m) return `cannot read the Neovim version from: ${r.stdout.split('\n')[0]}`;
  const v: [number, number] = [Number(m[1]), Number(m[2])];
  return v[0] > 0 || v[1] >= 7 ? v : `Neovim ${v.join('.')} is older than 0.7 (no vim.diagnostic)`;
}

const found = neovim();
const missing = typeof found === 'string' ? found : undefined;
const skip = missing && !process.env.FTPY_E2E_REQUIRED ? `${missing}; set FTPY_E2E_REQUIRED=1 to make this a failure` : false;

interface Seen {
  nvim: string;
  error?: string;
  diagnostic?: { lnum: number; col: number; severity: number; message: string; related: unknown };
  codeActionProvider?: unknown;
  actions?: string[];
  suppressed_line?: string;
  later?: { lnum: number; message: string };
  exit_code?: number;
}

interface Report {
  current: { access: string; stack: { file: string; line: number }[] };
  previous: { access: string; stack: { file: string; line: number }[] };
}

/** `ftpy race --json out -- script` with the test interpreter; returns the reports. */
function race(script: string, out: string): Report[] {
  const python = process.env.FTPY_TEST_PYTHON;
  assert.ok(python, 'FTPY_TEST_PYTHON is not set: run this through `npm test`');
  const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'race', '--json', out, '--', script], {
    encoding: 'utf8',
    env: { ...process.env, FTPY_PYTHON: resolve(python) },
    timeout: 120_000,
  });
  assert.equal(r.status, 66, `ftpy race on ${script} reports its race (exit 66):\n${r.stdout}${r.stderr}`);
  return (JSON.parse(readFileSync(out, 'utf8')) as { races: Report[] }).races;
}

test('Neovim: race diagnostics, quick fixes, a later result file, shutdown', { skip, timeout: 240_000 }, () => {
  if (missing) assert.fail(`FTPY_E2E_REQUIRED is set but ${missing}`);
  const [major, minor] = found as [number, number];
  const base = mkdtempSync(join(tmpdir(), 'ftpy-nvim-'));
  try {
    const ws = join(base, 'project');
    mkdirSync(ws);
    const counter = join(ws, 'racy_counter.py');
    const ledger = join(ws, 'racy_ledger.py');
    copyFileSync(join(ROOT, 'examples', 'racy_counter.py'), counter);
    copyFileSync(join(ROOT, 'examples', 'racy_ledger.py'), ledger);
    const [counterRace] = race(counter, join(ws, 'counter.race.json'));
    // The ledger's result is written outside the workspace now and moved in while Neovim runs.
    const staged = join(base, 'ledger.race.json');
    const [ledgerRace] = race(ledger, staged);

    const outFile = join(base, 'seen.json');
    const r = spawnSync(
      'nvim',
      ['--headless', '--clean', '-n', '-i', 'NONE', '-c', `luafile ${join(ROOT, 'test', 'extension', 'neovim', 'ftpyRaceClient.lua')}`],
      {
        cwd: ws,
        encoding: 'utf8',
        timeout: 180_000,
        env: {
          ...process.env,
          XDG_CACHE_HOME: join(base, 'cache'), // Neovim's lsp.log, away from the user's
          XDG_STATE_HOME: join(base, 'state'),
          FTPY_NODE: process.execPath,
          FTPY_SERVER: join(ROOT, 'dist', 'languageServer.js'),
          FTPY_WORKSPACE: ws,
          FTPY_RACY: counter,
          FTPY_LATER_STAGED: staged,
          FTPY_LATER_FILE: join(ws, 'ledger.race.json'),
          FTPY_LATER_RACY: ledgerRace.current.stack[0].file,
          FTPY_OUT: outFile,
        },
      },
    );
    let seen: Seen;
    try {
      seen = JSON.parse(readFileSync(outFile, 'utf8')) as Seen;
    } catch {
      assert.fail(`Neovim wrote no results (exit ${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
    }
    assert.equal(seen.error, undefined, `in Neovim ${seen.nvim}: ${seen.error}`);
    assert.equal(r.status, 0, r.stderr);

    // 1. The race at the racy line, a warning, from the result file alone (no initializationOptions).
    const d = seen.diagnostic!;
    assert.equal(d.lnum, counterRace.current.stack[0].line - 1);
    assert.equal(d.severity, 2, 'vim.diagnostic.severity.WARN');
    assert.match(
      d.message,
      /^Data race on Counter\.value: (read|write) by thread T\d+ \(worker-\d\) conflicts with a previous (read|write)/,
    );
    assert.ok(Array.isArray(d.related) && d.related.length >= 1, 'Neovim said it takes related information, so it got it');
    assert.ok(seen.codeActionProvider, 'Neovim asked for code actions, so the server offers them');

    // 2. The quick fixes Neovim listed, and the suppression applied to the buffer.
    assert.ok(seen.actions?.includes('Suppress with `# ftpy: ignore-race`'), JSON.stringify(seen.actions));
    assert.ok(!seen.actions?.includes('Show race'), 'no "Show race": that is the VS Code extension\'s view');
    // "Go to the other access" needs window/showDocument, which Neovim has from 0.8.
    assert.equal(seen.actions?.includes('Go to the other access'), major > 0 || minor >= 8, JSON.stringify(seen.actions));
    assert.match(seen.suppressed_line ?? '', /counter\.value \+= 1 {2}# RACE HERE {2}# ftpy: ignore-race$/);

    // 3. The later result file, picked up while Neovim ran.
    assert.equal(seen.later?.lnum, ledgerRace.current.stack[0].line - 1);
    assert.match(seen.later?.message ?? '', /^Data race on Ledger\.balance/);

    // 4. shutdown + exit: status 0.
    assert.equal(seen.exit_code, 0);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
