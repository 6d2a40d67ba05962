// End to end in a real VS Code (code-server, the extension from its .vsix): the parallel tools
// on examples/parallel_workers.py (six workers stopped at a breakpoint) and the wait-for graph
// on examples/dining_philosophers.py (three threads deadlocked on three locks):
//
//   1. Parallel Stacks (Run and Debug side bar) shows every thread's stack merged: the six
//      workers under one Thread.run, split into fetch and parse, the stopped worker highlighted,
//      the main thread marked as in native code; clicking the main thread's `main` frame selects
//      that thread (the Variables view shows its locals) and opens the editor at its line;
//   2. Parallel Watch ("Free-Threaded Python: Parallel Watch", and "Add to Parallel Watch" on a
//      variable) shows one row per thread, values and errors;
//   3. "Continue This Thread Only" on the stopped worker (Call Stack context menu) lets it
//      alone run to its next checkpoint: its `step` goes up by 100, every other thread's stays;
//   4. pausing the philosophers, every thread blocked in C, shows the stop at once (the toolbar
//      offers Continue, every thread is paused, the Parallel Watch rows say why they have no
//      value) and offers the wait-for graph, which draws the cycle in red.
//
// Screenshots: test-artifacts/e2e/parallel-*.png. Skipped without code-server unless
// FTPY_E2E_REQUIRED is set (CI), where that fails.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { ROOT, e2eSkip, withWorkbench } from './harness';
import { type Workbench, until } from './vscodeUi';

function markedLine(file: string, marker: string): number {
  const i = readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(`# ${marker}`));
  assert.ok(i >= 0, `${marker} in ${file}`);
  return i + 1;
}

/** The page of one of our webviews, by its title (VS Code nests each page in two iframes). */
function webview(page: Page, title: string, ready: string): Promise<Frame> {
  return until(`the ${title} webview showing ${ready}`, async () => {
    for (const f of page.frames()) {
      try {
        if ((await f.title()) === title && (await f.locator(ready).count()) > 0) return f;
      } catch {
        /* a frame going away */
      }
    }
    return undefined;
  });
}

async function texts(f: Frame, selector: string): Promise<string[]> {
  return f.locator(selector).evaluateAll((els) => els.map((e) => (e.textContent ?? '').replace(/\u00a0/g, ' ').trim()));
}

async function cursorLine(page: Page): Promise<number | undefined> {
  const s = (await page.locator('.statusbar-item[id="status.editor.selection"]').textContent()) ?? '';
  const m = /Ln (\d+)/.exec(s);
  return m ? Number(m[1]) : undefined;
}

/** Parallel Watch's rows for one expression: thread name -> value (or error). */
async function watchRows(page: Page, expression: string): Promise<Map<string, string>> {
  const f = await webview(page, 'Parallel Watch', `section.entry[data-expression="${expression}"] tbody tr`);
  const rows = await f
    .locator(`section.entry[data-expression="${expression}"] tbody tr`)
    .evaluateAll((els) => els.map((e) => [...e.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())));
  return new Map(rows.map((r) => [r[0], r[2]]));
}

async function startDebugging(page: Page, wb: Workbench, file: string): Promise<void> {
  await wb.openFile(file);
  await page.keyboard.press('F5');
  await until('the debug toolbar', () => wb.debugging(), 120_000);
}

test('VS Code: Parallel Stacks, Parallel Watch, Continue This Thread Only, the wait-for graph', {
  skip: e2eSkip(),
  timeout: 480_000,
}, async () => {
  const python = process.env.FTPY_TEST_PYTHON;
  assert.ok(python, 'FTPY_TEST_PYTHON is not set: run this through `npm test`');
  const workspace = mkdtempSync(join(tmpdir(), 'ftpy-e2e-parallel-'));
  try {
    for (const f of ['parallel_workers.py', 'dining_philosophers.py']) cpSync(join(ROOT, 'examples', f), join(workspace, f));
    const program = join(workspace, 'parallel_workers.py');
    const breakLine = markedLine(program, 'BREAK HERE');
    const mainLine = markedLine(program, 'MAIN WAITS HERE');

    await withWorkbench('parallel', workspace, { FTPY_PYTHON: resolve(python) }, async ({ page, wb, snap }) => {
      await wb.openFile('parallel_workers.py');
      await wb.goToLine(breakLine);
      await page.keyboard.press('F9');
      await page.locator('.editor-instance .codicon-debug-breakpoint').first().waitFor();
      await page.keyboard.press('F5');
      await until('the debug toolbar', () => wb.debugging(), 120_000);
      await until('the program paused at the breakpoint', () => wb.paused(), 240_000);
      await wb.command('Focus on Call Stack View');
      // At the first checkpoint the main thread may still be on its way to `join` (on a loaded
      // machine worker-0 can reach it while main is still in Python, and parks there): go on to
      // the next checkpoint until the main thread waits in `join`, in native code.
      const resume = page.locator('.debug-toolbar .codicon-debug-continue');
      await until(
        'the main thread waiting in join, in native code',
        async () => {
          const main = (await wb.callStackRows()).find((r) => r.startsWith('MainThread'));
          if (main === undefined || !(await wb.paused())) return false;
          if (main.startsWith('MainThread (in native code)')) return true;
          await resume.click();
          await resume.waitFor({ state: 'hidden', timeout: 2_000 }).catch(() => undefined); // may be back at once
          await resume.waitFor({ timeout: 60_000 });
          return false;
        },
        240_000,
      );
      const paused = await wb.callStackRow(/paused on breakpoint/i);
      const stopper = /worker-\d/.exec((await paused.textContent()) ?? '')?.[0];
      assert.equal(stopper, 'worker-0', `worker-0 stopped at the breakpoint: ${await paused.textContent()}`);

      // 1. Parallel Stacks.
      await wb.command('Focus on Parallel Stacks View');
      const stacks = await webview(page, 'Parallel Stacks', '.node');
      const summary = (await texts(stacks, '.summary span'))[0] ?? '';
      assert.match(summary, /^7 threads, \d+ distinct stacks$/);
      const counts = await stacks.locator('.node').evaluateAll((els) => els.map((e) => e.getAttribute('data-threads')));
      assert.ok(counts.includes('6'), `one box holds all six workers: ${counts}`);
      const functions = await texts(stacks, '.frame-function');
      for (const fn of ['Thread.run', 'work', 'fetch', 'parse', 'record', 'checkpoint', 'main'])
        assert.ok(functions.includes(fn), `${fn} in Parallel Stacks: ${functions}`);
      assert.deepEqual([...new Set(await texts(stacks, '.thread.current'))], [stopper], 'the stopped worker is the current thread');
      assert.deepEqual(
        [...new Set(await texts(stacks, '.thread.native'))],
        ['MainThread (native)'],
        'the main thread waits in native code (join)',
      );
      assert.ok((await stacks.locator('.node.current').count()) > 0, "the current thread's boxes are highlighted");
      await snap('parallel-stacks');
      // Click the main thread's `main` frame: the thread is selected, the editor opens there.
      await stacks
        .locator('.frame-head', { has: stacks.locator('.frame-function', { hasText: /^main$/ }) })
        .first()
        .click();
      await until(`the editor at line ${mainLine}`, async () => (await cursorLine(page)) === mainLine);
      await until('the main thread selected: its locals in Variables', async () =>
        (await wb.variableRows()).some((r) => r.startsWith('workers, value')),
      );
      await snap('parallel-stacks-clicked');

      // 2. Parallel Watch, from the command and from the Variables context menu.
      await page.keyboard.press('F1');
      await wb.pickQuickInput('>Free-Threaded Python: Parallel Watch', /Free-Threaded Python: Parallel Watch$/, true);
      await page.locator('.quick-input-widget', { hasText: 'An expression to evaluate' }).waitFor();
      const input = page.locator('.quick-input-widget input');
      await input.fill('step');
      await page.keyboard.press('Enter');
      const before = await until('a value of step for every worker', async () => {
        const rows = await watchRows(page, 'step');
        return rows.size === 7 && [...rows.entries()].filter(([n, v]) => n.startsWith('worker-') && /^\d+$/.test(v)).length >= 5 && rows;
      });
      assert.match(before.get('MainThread') ?? '', /NameError: name 'step' is not defined/, 'errors stay on their own row');
      assert.match(before.get(stopper) ?? '', /^\d+$/);
      await wb.contextMenu(wb.variableRow('workers'), 'Add to Parallel Watch');
      const workers = await watchRows(page, 'workers');
      assert.match(workers.get('MainThread') ?? '', /^\[<Thread\(worker-0/);
      await snap('parallel-watch');

      // 3. Continue This Thread Only: the stopped worker runs to its next step; nobody else moves.
      await wb.contextMenu(await wb.callStackRow(stopper), 'Continue This Thread Only');
      const expected = String(Number(before.get(stopper)) + 100); // worker-0 stops every 100 steps
      const after = await until(`${stopper}'s step at ${expected}`, async () => {
        const rows = await watchRows(page, 'step');
        return rows.get(stopper) === expected && rows;
      });
      for (const [name, value] of before) if (name !== stopper) assert.equal(after.get(name), value, `${name} did not move`);
      await wb.callStackRow(/paused on breakpoint/i);
      await snap('continue-this-thread');
      await page.keyboard.press('Shift+F5');
      await until('the session to end', async () => !(await wb.debugging()), 60_000);

      // 4. The wait-for graph on the philosophers' deadlock.
      await wb.command('Remove All Breakpoints');
      await startDebugging(page, wb, 'dining_philosophers.py');
      // Pause with the toolbar's button, as a user would (F6 goes wherever the keyboard focus is:
      // after the Parallel Stacks clicks, a webview, where it never arrives), once VS Code lists
      // the threads (the button pauses one of those it knows of; before, it sends nothing).
      const philosophers = ['philosopher-0', 'philosopher-1', 'philosopher-2'];
      await until('the philosophers in the Call Stack', async () => {
        const rows = await wb.callStackRows();
        return philosophers.every((n) => rows.some((r) => r.startsWith(n)));
      });
      await page.locator('.debug-toolbar .codicon-debug-pause').click();
      const clicked = Date.now();
      await resume.waitFor();
      // Every thread is blocked in C, and shown stopped at once. Two runtime bugs had VS Code show
      // it running (toolbar: Pause): the Parallel Watch rows left from the first program (which
      // no thread can evaluate now) held up its threads and stackTrace requests 3 s a thread, and
      // `thread` events sent during the stop made it drop its handling of the stop.
      const shownIn = Date.now() - clicked;
      console.log(`e2e parallel: the pause shown ${shownIn} ms after the click`);
      assert.ok(shownIn < 10_000, `the stop shown ${shownIn} ms after the click`);
      for (const name of philosophers) await wb.callStackRow(new RegExp(`^${name} \\(in native code\\).*paused`, 'i'));
      // Parallel Watch still has the first program's `step`: no thread can run it now, and each row says so.
      await until('Parallel Watch saying why step has no value', async () => {
        const rows = await watchRows(page, 'step');
        return rows.size === 4 && [...rows.values()].every((v) => /every thread is in native code/.test(v));
      });
      // The deadlock is offered in a notification (which may have been hidden again by now), and
      // the command is always there.
      const offer = page.locator('.notifications-toasts .notification-toast', { hasText: 'deadlocked' }).first();
      if (await offer.isVisible()) await offer.locator('.monaco-button', { hasText: 'Show Wait-For Graph' }).click();
      else await wb.command('Free-Threaded Python: Show Lock Wait-For Graph');
      const graph = await webview(page, 'Lock Wait-For Graph', '.graph .node');
      assert.match(
        (await texts(graph, '.summary.deadlocked'))[0] ?? '',
        /^Deadlock: philosopher-\d, philosopher-\d, philosopher-\d wait for each other's locks$/,
      );
      assert.equal(await graph.locator('.graph .node.thread.cycle').count(), 3);
      assert.equal(await graph.locator('.graph .node.lock.cycle').count(), 3);
      assert.equal(await graph.locator('.graph .edge.cycle').count(), 6, 'three holds and three waits-for edges, all red');
      const edges = await texts(graph, '.edges li.cycle');
      assert.equal(
        edges.filter((e) => / waits for Lock dining_philosophers\.py:\d+ \(…[0-9a-f]{4}\)$/.test(e)).length,
        3,
        edges.join('\n'),
      );
      assert.equal(edges.filter((e) => / holds Lock dining_philosophers\.py:\d+ \(…[0-9a-f]{4}\)$/.test(e)).length, 3, edges.join('\n'));
      await snap('wait-for-graph');
      await page.keyboard.press('Shift+F5');
    });
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
});
