// End to end in a real VS Code: code-server in headless chromium, the extension installed from
// its .vsix, debugging the examples on the free-threaded interpreter.
//
//   1. F5 on examples/e2e_workers.py with no launch.json stops at a breakpoint in a worker, with
//      every worker thread in the Call Stack and the status bar saying "GIL: off";
//   2. the worker's object shows its free-threaded header, owned by that worker;
//   3. continuing runs the program to its end;
//   4. the race-detecting configuration on examples/racy_counter.py puts the race in the Problems
//      panel at the racy line, with the other access as related information, and it stays there
//      after the session ends; its quick fix adds `# ftpy: ignore-race`;
//   5. "Select Free-Threaded Interpreter" offers the interpreter and stores it in the settings;
//   6. importing an extension module without Py_mod_gil (built here; left out without a C
//      compiler) warns, marks the import line, and turns the status bar to "GIL: on";
//   7. "Clear Race Reports" empties the Problems panel of ftpy diagnostics.
//
// Screenshots of each step go to test-artifacts/e2e/. Needs scripts/install-code-server.sh;
// skipped when it has not been run, unless FTPY_E2E_REQUIRED is set (CI), where that fails.
// FTPY_E2E_VSIX=path tests a given package (e.g. the linux-x64 one) instead of building one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM, CodeServer, missingTools } from '../../cli/codeServer';
import { LONG, Workbench, until } from './vscodeUi';

const ROOT = process.cwd();
const ARTIFACTS = join(ROOT, 'test-artifacts', 'e2e');
const missing = missingTools();
const skip = missing && !process.env.FTPY_E2E_REQUIRED ? `${missing}; set FTPY_E2E_REQUIRED=1 to make this a failure` : false;

function lineOf(file: string, marker: string): number {
  const i = readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(marker));
  assert.ok(i >= 0, `${file} has no line marked ${marker}`);
  return i + 1;
}

/** A C compiler, for building an extension module that turns the GIL back on. */
function compiler(): string | undefined {
  for (const cc of [process.env.CC, 'gcc', 'cc', 'clang']) {
    if (cc && spawnSync(cc, ['--version'], { stdio: 'ignore' }).status === 0) return cc;
  }
  return undefined;
}

/**
 * Builds `ftpy_needs_gil` (single-phase init, no Py_mod_gil slot: importing it turns the GIL
 * back on) into `dir`, with a script that imports it. Returns the script; undefined without a compiler.
 */
function buildGilProgram(python: string, dir: string): string | undefined {
  const cc = compiler();
  if (!cc) return undefined;
  const src = join(dir, 'ftpy_needs_gil.c');
  writeFileSync(
    src,
    [
      '#include <Python.h>',
      'static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "ftpy_needs_gil", NULL, -1, NULL};',
      'PyMODINIT_FUNC PyInit_ftpy_needs_gil(void) { return PyModule_Create(&def); }',
      '',
    ].join('\n'),
  );
  const cfg = spawnSync(
    python,
    ['-c', 'import sysconfig; print(sysconfig.get_paths()["include"]); print(sysconfig.get_config_var("EXT_SUFFIX"))'],
    { encoding: 'utf8' },
  );
  assert.equal(cfg.status, 0, cfg.stderr);
  const [include, suffix] = cfg.stdout.trim().split('\n');
  const r = spawnSync(cc, ['-shared', '-fPIC', `-I${include}`, '-o', join(dir, `ftpy_needs_gil${suffix}`), src], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(r.status, 0, `building the test extension failed:\n${r.stderr}`);
  const script = join(dir, 'gil_import.py');
  writeFileSync(
    script,
    [
      '"""Imports an extension module that has not declared Py_mod_gil: the GIL comes back on."""',
      'import ftpy_needs_gil  # GIL HERE',
      '',
      'print("imported", ftpy_needs_gil.__name__)',
      '',
    ].join('\n'),
  );
  return script;
}

/** The package under test: FTPY_E2E_VSIX (e.g. the linux-x64 one), else a universal one built now. */
function buildVsix(): string {
  if (process.env.FTPY_E2E_VSIX) return resolve(process.env.FTPY_E2E_VSIX);
  const r = spawnSync(process.execPath, ['scripts/package-vsix.mjs', '--universal-only', '--no-build'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, `packaging the extension failed:\n${r.stdout}${r.stderr}`);
  const vsix = readdirSync(join(ROOT, 'out', 'vsix')).find((n) => /^ftpython-debugger-\d[^/]*\.vsix$/.test(n));
  assert.ok(vsix, 'scripts/package-vsix.mjs made no universal .vsix');
  return join(ROOT, 'out', 'vsix', vsix);
}

test('VS Code: breakpoint in a worker, threads, variables, races in Problems, GIL status, interpreter choice', {
  skip,
  timeout: 300_000,
}, async (t) => {
  if (missing) assert.fail(`FTPY_E2E_REQUIRED is set but ${missing}`);
  const python = process.env.FTPY_TEST_PYTHON;
  assert.ok(python, 'FTPY_TEST_PYTHON is not set: run this through `npm test`, which provides the free-threaded interpreter');

  // Only this test's own earlier files (NN-name.png): the other e2e tests (harness.ts) share
  // the folder, and those that ran before this one would lose their screenshots.
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const f of readdirSync(ARTIFACTS)) if (/^\d\d-/.test(f) || f === 'failure-dom.html') rmSync(join(ARTIFACTS, f), { force: true });
  const workspace = mkdtempSync(join(tmpdir(), 'ftpy-e2e-ws-'));
  cpSync(join(ROOT, 'examples'), workspace, { recursive: true });
  const workers = join(workspace, 'e2e_workers.py');
  const racy = join(workspace, 'racy_counter.py');
  const breakLine = lineOf(workers, '# BREAK HERE');
  const raceLine = lineOf(racy, '# RACE HERE');
  const gilProgram = buildGilProgram(python, workspace);
  if (!gilProgram)
    t.diagnostic('step 6 (GIL re-enabled by an import) left out: no C compiler (gcc, cc or clang) to build its extension module');

  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  let shot = 0;
  const started = Date.now();
  const snap = async (name: string): Promise<void> => {
    shot += 1;
    console.log(`e2e: ${name} at ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await page?.screenshot({ path: join(ARTIFACTS, `${String(shot).padStart(2, '0')}-${name}.png`) });
  };
  try {
    server = await CodeServer.start(buildVsix(), { FTPY_PYTHON: resolve(python) });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.setDefaultTimeout(LONG);
    await page.goto(`${server.url}/?folder=${encodeURIComponent(workspace)}`);
    const wb = new Workbench(page);
    await wb.ready();
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'e2e_workers.py' }).waitFor();

    // 1. Breakpoint in the worker function, F5 with no launch.json.
    await wb.openFile('e2e_workers.py');
    await wb.goToLine(breakLine);
    await page.keyboard.press('F9');
    await page.locator('.editor-instance .codicon-debug-breakpoint').first().waitFor();
    await snap('breakpoint-set');

    await page.keyboard.press('F5');
    const paused = page.locator('.debug-call-stack .monaco-list-row', { hasText: /paused on breakpoint/i }).first();
    await paused.waitFor({ timeout: 120_000 });
    const pausedThread = /worker-\d/.exec((await paused.textContent()) ?? '')?.[0];
    assert.ok(pausedThread, `the thread that hit the breakpoint is a worker: ${await paused.textContent()}`);
    await wb.expand(paused);
    const frame = page
      .locator('.debug-call-stack .monaco-list-row', { hasText: 'e2e_workers.py' })
      .filter({ hasText: `${breakLine}:` })
      .first();
    await frame.waitFor();
    const frameText = (await frame.textContent()) ?? '';
    assert.match(
      frameText,
      new RegExp(`^\\s*work\\s*e2e_workers\\.py\\s*${breakLine}:`),
      `the top frame is the worker function: ${frameText}`,
    );
    await frame.click(); // focus it: its variables show, and its line is revealed in the editor
    await page.locator('.editor-instance .debug-top-stack-frame-line').first().waitFor();
    const threads = await until('all three worker threads in the Call Stack', async () => {
      const rows = await wb.callStackRows();
      return ['worker-0', 'worker-1', 'worker-2'].every((w) => rows.some((r) => r.includes(w))) && rows;
    });
    assert.ok(
      threads.some((r) => /MainThread/.test(r)),
      `the main thread is listed too: ${JSON.stringify(threads)}`,
    );
    const gil = await until('"GIL: off" in the status bar', async () => {
      const s = await wb.ftpyStatus();
      return s && /GIL: off,/.test(s) ? s : undefined; // reported by the runtime, not only expected
    });
    assert.doesNotMatch(gil, /GIL: on/);
    await snap('stopped-in-worker');

    // 2. The worker's object and its free-threaded header, owned by that worker.
    await wb.expand(wb.scopeRow('Locals'));
    await wb.expand(wb.variableRow('item'));
    const owner = await until('item.owner in Variables', async () =>
      (await wb.variableRows()).map((r) => /^owner, value '(worker-\d)'/.exec(r)?.[1]).find(Boolean),
    );
    assert.equal(owner, pausedThread, "the Variables view shows the stopped worker's own frame");
    await wb.expand(wb.variableRow('⟨object header⟩'));
    const tid = await until('the owning thread (ob_tid) in the object header', async () =>
      (await wb.variableRows()).find((r) => /^[^,]*ob_tid[^,]*, value/.test(r)),
    );
    assert.match(tid, new RegExp(`value ${owner} `), `the header's owning thread is the worker that made the object (${owner}): ${tid}`);
    assert.ok(
      (await wb.variableRows()).some((r) => r.startsWith('ob_ref_local, value')),
      'the biased (local) refcount is shown',
    );
    await snap('object-header');

    // 3. Run to the end.
    await wb.command('Remove All Breakpoints');
    // Continue (the debug toolbar's button) until the program ends. Workers that reached the
    // breakpoint while the world was stopping must not stop on it once it is removed (the
    // adapter re-checks such pending hits), so one continue ends the session.
    let continues = 0;
    const pausedOn = async (): Promise<string | undefined> =>
      /worker-\d/.exec(
        (await page!
          .locator('.debug-call-stack .monaco-list-row', { hasText: /paused on breakpoint/i })
          .first()
          .textContent({ timeout: 1000 })
          .catch(() => '')) ?? '',
      )?.[0];
    await until(
      'the session to end',
      async () => {
        if (!(await wb.debugging())) return true;
        if (await wb.paused()) {
          assert.equal(continues, 0, 'no stop on a removed breakpoint after the first continue');
          continues += 1;
          const before = await pausedOn();
          await page!.locator('.debug-toolbar .codicon-debug-continue').click();
          // Running, ended, or stopped again in another worker (a stop can follow within a millisecond).
          await until(
            'the program to run on',
            async () => !(await wb.paused()) || !(await wb.debugging()) || (await pausedOn()) !== before,
          );
        }
        return false;
      },
      120_000,
    );
    console.log(`e2e: session ended after ${continues} continue(s) at ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await wb.command('Focus on Debug Console View');
    await until('the program output in the Debug Console', async () =>
      ((await page!.locator('.repl').textContent()) ?? '').includes('results: [0, 499500, 999000]'),
    );
    await snap('ran-to-end');

    // 4. The race detector: the "Find Races" configuration (races: true) that the extension
    //    offers for the Python file in the editor.
    await wb.openFile('racy_counter.py');
    await wb.command('Debug: Select and Start Debugging', true);
    await wb.pickQuickInput('debug Free-Threaded', 'Free-Threaded Python...', true);
    await wb.pickQuickInput('Find Races', 'Free-Threaded Python: Find Races');
    // The first race shows the "Free-Threaded Races" Output channel; its newest lines are in view.
    await until(
      'the race report in the "Free-Threaded Races" Output channel',
      async () => {
        const text = (await page!.locator('.output-view .view-lines').first().textContent())?.replace(/\u00a0/g, ' ') ?? '';
        return /SUMMARY: DATA RACE \S*racy_counter\.py:\d+ in bump/.test(text);
      },
      120_000,
    );
    await snap('race-output');
    await until('the race session to end', async () => !(await wb.debugging()), 120_000);

    await wb.command('Focus on Problems View');
    const race = await until(`the race at racy_counter.py line ${raceLine} in Problems`, async () =>
      (await wb.problemRows()).find((r) => r.includes('Data race on Counter.value') && r.includes(`at line ${raceLine} `)),
    );
    assert.match(race, /generated by ftpy-race/);
    const related = (await wb.problemRows()).find((r) => r.startsWith('Previous '));
    assert.ok(related, 'the other access is listed under the race');
    assert.match(
      related,
      new RegExp(`of Counter\\.value by thread T\\d+ \\(worker-\\d\\) in bump at line ${raceLine} .* in racy_counter\\.py`),
    );
    const status = await wb.ftpyStatus();
    assert.match(status ?? '', /GIL: off, [1-9]\d* races?/);
    await snap('race-in-problems');

    // 4b. The quick fix "Suppress with `# ftpy: ignore-race`" edits the racy line; the edit
    //     takes the (now stale) race diagnostic away.
    await wb.goToLine(raceLine);
    await page.keyboard.press('Home'); // onto the code, inside the diagnostic's range
    await page.keyboard.press('Control+.');
    const fix = page.locator('.action-widget .monaco-list-row', { hasText: 'Suppress with' }).first();
    await fix.waitFor();
    await fix.click();
    await until('the ignore comment on the racy line', async () =>
      ((await page!.locator('.editor-instance .view-lines').first().textContent()) ?? '')
        .replace(/\u00a0/g, ' ')
        .includes('counter.value += 1  # RACE HERE  # ftpy: ignore-race'),
    );
    await until(
      'the race to leave Problems after the edit',
      async () => !(await wb.problemRows()).some((r) => r.includes('Data race on Counter.value')),
    );
    await snap('race-suppressed');

    // 5. "Select Free-Threaded Interpreter" lists the interpreter and stores the choice.
    await wb.command('Select Free-Threaded Interpreter', true);
    await wb.pickQuickInput(resolve(python), /Python 3\.\d+\.\d+ \(free-threaded\)/);
    await page.locator('.notifications-toasts', { hasText: 'Free-Threaded Python: using Python 3.' }).first().waitFor();
    const settings = await until('ftpy.pythonPath in the workspace settings', async () => {
      try {
        return JSON.parse(readFileSync(join(workspace, '.vscode', 'settings.json'), 'utf8')) as Record<string, unknown>;
      } catch {
        return undefined;
      }
    });
    assert.equal(settings['ftpy.pythonPath'], resolve(python));
    await snap('interpreter-selected');

    // 6. An import that turns the GIL back on: a warning naming the module, a diagnostic at the
    //    import line, and "GIL: on" in the status bar.
    if (gilProgram) {
      const gilLine = lineOf(gilProgram, '# GIL HERE');
      await wb.openFile('gil_import.py');
      await wb.command('Start Debugging');
      await page
        .locator('.notifications-toasts', { hasText: /GIL was re-enabled by importing .?ftpy_needs_gil/ })
        .first()
        .waitFor({ timeout: 120_000 });
      await until('the GIL session to end', async () => !(await wb.debugging()), 120_000);
      await wb.command('Focus on Problems View');
      const gilProblem = await until(`the GIL diagnostic at gil_import.py line ${gilLine}`, async () =>
        (await wb.problemRows()).find((r) => r.includes('re-enabled the GIL') && r.includes(`at line ${gilLine} `)),
      );
      assert.match(gilProblem, /Importing .?ftpy_needs_gil.? re-enabled the GIL.*generated by ftpy-gil/);
      assert.match((await wb.ftpyStatus()) ?? '', /GIL: on,/);
      await snap('gil-reenabled');
    }

    // 7. "Clear Race Reports" removes what is left.
    await wb.command('Clear Race Reports');
    await until('Problems to hold no ftpy diagnostics', async () => !(await wb.problemRows()).some((r) => /generated by ftpy-/.test(r)));
  } catch (e) {
    await snap('failure').catch(() => undefined);
    const dom = await page?.content().catch(() => undefined);
    if (dom) writeFileSync(join(ARTIFACTS, 'failure-dom.html'), dom);
    throw new Error(`${(e as Error).message}\n--- code-server log (tail) ---\n${server?.log().slice(-4000) ?? ''}`, { cause: e });
  } finally {
    await browser?.close().catch(() => undefined);
    server?.stop();
    rmSync(workspace, { recursive: true, force: true });
  }
});
