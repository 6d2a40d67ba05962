// End to end in a real VS Code (code-server, the extension from its .vsix): child processes.
// F5 on a program whose ProcessPoolExecutor worker has a breakpoint: the worker process becomes
// a child session (DAP startDebugging), shown under the program's session in the Call Stack,
// and stops at the breakpoint with the worker's own locals; continuing runs the program to its
// end, with the pool's results in the Debug Console.
//
// Screenshots: test-artifacts/e2e/subprocess-*.png. Skipped without code-server unless
// FTPY_E2E_REQUIRED is set (CI), where that fails.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { e2eSkip, withWorkbench } from './harness';
import { until } from './vscodeUi';

const PROGRAM = [
  '"""A process pool whose worker has a breakpoint."""',
  'import os',
  'from concurrent.futures import ProcessPoolExecutor',
  '',
  '',
  'def work(n):',
  '    square = n * n  # BREAK HERE',
  '    return square, os.getpid()',
  '',
  '',
  'if __name__ == "__main__":',
  '    with ProcessPoolExecutor(max_workers=1) as pool:',
  '        results = list(pool.map(work, [3, 4]))',
  '    print("pool results:", [r for r, _ in results], "parent", os.getpid(), "worker", results[0][1])',
  '',
].join('\n');

test('VS Code: a breakpoint in a ProcessPoolExecutor worker stops in a child session', { skip: e2eSkip(), timeout: 300_000 }, async () => {
  const python = process.env.FTPY_TEST_PYTHON;
  assert.ok(python, 'FTPY_TEST_PYTHON is not set: run this through `npm test`, which provides the free-threaded interpreter');
  const workspace = mkdtempSync(join(tmpdir(), 'ftpy-e2e-subprocess-'));
  writeFileSync(join(workspace, 'pool_demo.py'), PROGRAM);
  const breakLine = PROGRAM.split('\n').findIndex((l) => l.includes('# BREAK HERE')) + 1;

  await withWorkbench('subprocess', workspace, { FTPY_PYTHON: resolve(python) }, async ({ page, wb, snap }) => {
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'pool_demo.py' }).waitFor();
    await wb.openFile('pool_demo.py');
    await wb.goToLine(breakLine);
    await page.keyboard.press('F9');
    await page.locator('.editor-instance .codicon-debug-breakpoint').first().waitFor();
    await snap('breakpoint-set');

    await page.keyboard.press('F5');
    const paused = page.locator('.debug-call-stack .monaco-list-row', { hasText: /paused on breakpoint/i }).first();
    await paused.waitFor({ timeout: 120_000 });
    // The Call Stack lists both sessions: the program's, and the worker's child session under it.
    const rows = await until('the child session in the Call Stack', async () => {
      const r = await wb.callStackRows();
      return r.some((row) => /: child \d+/.test(row)) && r;
    });
    const parentRow = rows.findIndex((r) => /^Free-Threaded Python: Current File/.test(r) && !/: child \d+/.test(r));
    const childRow = rows.findIndex((r) => /: child \d+/.test(r));
    assert.ok(parentRow >= 0, `the program's session is in the Call Stack: ${JSON.stringify(rows)}`);
    assert.ok(childRow > parentRow, `the child session comes under the program's: ${JSON.stringify(rows)}`);
    // The stopped session (and its stopped thread) may be collapsed: open each paused row.
    const frame = page
      .locator('.debug-call-stack .monaco-list-row', { hasText: 'pool_demo.py' })
      .filter({ hasText: `${breakLine}:` })
      .first();
    await until('the worker frame in the Call Stack', async () => {
      if (await frame.isVisible()) return true;
      const rows = page.locator('.debug-call-stack .monaco-list-row[aria-expanded="false"]', { hasText: /paused on breakpoint/i });
      if ((await rows.count()) > 0) await rows.first().locator('.monaco-tl-twistie').click();
      return false;
    });
    assert.match((await frame.textContent()) ?? '', /^\s*work\s*pool_demo\.py/, 'the top frame is the worker function');
    await frame.click();
    await wb.expand(wb.scopeRow('Locals'));
    const n = await until('n in Locals', async () => (await wb.variableRows()).find((r) => r.startsWith('n, value')));
    assert.equal(n, 'n, value 3');
    await snap('stopped-in-worker');

    // Run on to the end: remove the breakpoint, continue the worker; the program finishes.
    await wb.command('Remove All Breakpoints');
    await page.locator('.debug-toolbar .codicon-debug-continue').click();
    await until('the program to end', async () => !(await wb.debugging()), 120_000);
    await wb.command('Focus on Debug Console View');
    const output = await until('the pool results in the Debug Console', async () => {
      const text = (await page.locator('.repl').textContent()) ?? '';
      return text.includes('pool results: [9, 16]') && text;
    });
    const m = /parent (\d+) worker (\d+)/.exec(output);
    assert.ok(m && m[1] !== m[2], 'the worker ran in a process of its own');
    await snap('ran-to-end');
  });
});
