// End to end in a real VS Code (code-server, the extension from its .vsix): "Show race", both
// stacks side by side, on a race that the real `ftpy race --json` found in
// examples/racy_ledger.py (a write in post/run_batch on a worker, a read in audit/main):
//
//   1. the race diagnostic's quick fixes list "Show race" beside "Suppress…" and "Go to the
//      other access"; picking it opens the view;
//   2. its two columns hold the current and the previous access as the report has them: the
//      thread, the access, the frames in order with their source lines, the racing line
//      emphasised, and where each thread was created;
//   3. clicking a frame (an access, a creation site) opens the editor at that line;
//   4. the command "Free-Threaded Python: Show Race" opens it for the race under the cursor,
//      and says so when there is none.
//
// Screenshots: test-artifacts/e2e/race-view-*.png. Skipped without code-server unless
// FTPY_E2E_REQUIRED is set (CI), where that fails.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { ROOT, e2eSkip, withWorkbench } from './harness';
import { type Workbench, until } from './vscodeUi';

interface Frame {
  function: string;
  file: string;
  line: number;
}
interface Access {
  access: string;
  thread: { id: number; name: string };
  stack: Frame[];
}
interface Report {
  location: { object: string; field: string };
  current: Access;
  previous: Access;
  threads: { id: number; name: string; createdAt: Frame[] }[];
}

/** The race view's page: VS Code puts each webview in an iframe, with the page in an inner one. */
function raceView(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

async function texts(view: FrameLocator, selector: string): Promise<string[]> {
  return view.locator(selector).evaluateAll((els) => els.map((e) => (e.textContent ?? '').replace(/\u00a0/g, ' ').trim()));
}

/** The editor's cursor line, from the status bar ("Ln 21, Col 5 (22 selected)"). */
async function cursorLine(page: Page): Promise<number | undefined> {
  const s = (await page.locator('.statusbar-item[id="status.editor.selection"]').textContent()) ?? '';
  const m = /Ln (\d+)/.exec(s);
  return m ? Number(m[1]) : undefined;
}

/** Checks one column against the report's access: thread, access, frames, source lines, creation. */
async function checkColumn(view: FrameLocator, which: 'current' | 'previous', a: Access, r: Report, source: string[]): Promise<void> {
  const col = `.column.${which}`;
  assert.deepEqual(await texts(view, `${col} h2`), [which === 'current' ? 'Current access' : 'Previous access']);
  const label = `T${a.thread.id} (${a.thread.name})`;
  assert.deepEqual(await texts(view, `${col} .access`), [`${a.access} by thread ${label}`]);
  // The access's own stack (not the creation stack), frame by frame.
  const frames = await texts(view, `${col} > ol.stack:not(.creation) > .frame > .frame-head`);
  assert.deepEqual(
    frames,
    a.stack.map((f, i) => `#${i} ${f.function} racy_ledger.py:${f.line}`),
    `${which} column frames`,
  );
  // The racing frame is the first, and its emphasised line is the racing source line.
  assert.deepEqual(await texts(view, `${col} .frame.racing .frame-function`), [a.stack[0].function]);
  assert.deepEqual(await texts(view, `${col} .frame.racing .src.here .ln`), [String(a.stack[0].line)]);
  assert.deepEqual(await texts(view, `${col} .frame.racing .src.here .text`), [source[a.stack[0].line - 1].trim()], `${which} racing line`);
  // Every frame shows the lines around its own line.
  for (const [i, f] of a.stack.entries()) {
    const lines = await texts(view, `${col} > ol.stack:not(.creation) > .frame:nth-child(${i + 1}) .src .ln`);
    assert.ok(lines.includes(String(f.line)), `frame #${i} shows its line ${f.line}: ${lines}`);
  }
  // Where the thread was created.
  const t = r.threads.find((x) => x.id === a.thread.id);
  const h3 = await texts(view, `${col} h3`);
  if (t?.createdAt.length) {
    assert.deepEqual(h3, [`Thread ${label} created at`]);
    assert.deepEqual(
      await texts(view, `${col} ol.creation > .frame > .frame-head`),
      t.createdAt.map((f, i) => `#${i} ${f.function} racy_ledger.py:${f.line}`),
    );
  } else {
    assert.deepEqual(h3, [`Thread ${label}`]);
    assert.deepEqual(await texts(view, `${col} .creation-note`), ['The main thread.']);
  }
}

/** Runs "Free-Threaded Python: Show Race" (not "Show Race Reports") from the command palette. */
async function showRaceCommand(page: Page, wb: Workbench): Promise<void> {
  await page.keyboard.press('F1');
  await wb.pickQuickInput('>Free-Threaded Python: Show Race', /Free-Threaded Python: Show Race(?! Reports)/);
}

async function openViewFromQuickFix(page: Page, wb: Workbench, line: number): Promise<void> {
  await wb.goToLine(line);
  await page.keyboard.press('Home'); // onto the code, inside the diagnostic's range
  await page.keyboard.press('Control+.');
  const rows = page.locator('.action-widget .monaco-list-row');
  await rows.filter({ hasText: 'Show race' }).first().waitFor();
  const titles = await rows.evaluateAll((els) => els.map((e) => (e.textContent ?? '').trim()));
  for (const t of ['Suppress with', 'Go to the other access', 'Show race'])
    assert.ok(
      titles.some((x) => x.includes(t)),
      `the quick fixes include "${t}": ${JSON.stringify(titles)}`,
    );
  await rows.filter({ hasText: 'Show race' }).first().click();
}

test('VS Code: "Show race" puts both stacks side by side, from the quick fix and from the command', {
  skip: e2eSkip(),
  timeout: 300_000,
}, async () => {
  const python = process.env.FTPY_TEST_PYTHON;
  assert.ok(python, 'FTPY_TEST_PYTHON is not set: run this through `npm test`');
  const workspace = mkdtempSync(join(tmpdir(), 'ftpy-e2e-raceview-'));
  try {
    cpSync(join(ROOT, 'examples', 'racy_ledger.py'), join(workspace, 'racy_ledger.py'));
    const program = join(workspace, 'racy_ledger.py');
    const source = readFileSync(program, 'utf8').split('\n');
    // The race, found by the real detector; the view is then read against its report.
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'race', '--json', 'ledger.race.json', '--', program], {
      cwd: workspace,
      encoding: 'utf8',
      env: { ...process.env, FTPY_PYTHON: resolve(python) },
      timeout: 120_000,
    });
    assert.equal(r.status, 66, `ftpy race reports the ledger's race:\n${r.stdout}${r.stderr}`);
    const reports = (JSON.parse(readFileSync(join(workspace, 'ledger.race.json'), 'utf8')) as { races: Report[] }).races;
    assert.equal(reports.length, 1, JSON.stringify(reports));
    const [report] = reports;
    const accesses = new Set([report.current.stack[0].function, report.previous.stack[0].function]);
    assert.deepEqual([...accesses].sort(), ['audit', 'post'], 'the write in post races with the read in audit');
    const raceLine = report.current.stack[0].line;

    await withWorkbench('race-view', workspace, { FTPY_PYTHON: resolve(python) }, async ({ page, wb, snap }) => {
      // 1. The diagnostic (from the result file, found by the language server), its quick fixes.
      await wb.openFile('racy_ledger.py');
      await wb.command('Focus on Problems View');
      await until(`the race at line ${raceLine} in Problems`, async () =>
        (await wb.problemRows()).find((p) => p.includes('Data race on Ledger.balance') && p.includes(`at line ${raceLine} `)),
      );
      // Room for two columns (and readable screenshots): no side bar, no panel.
      await wb.command('Close Primary Side Bar');
      await wb.command('Hide Panel');
      await wb.openFile('racy_ledger.py');
      await openViewFromQuickFix(page, wb, raceLine);
      const view = raceView(page);
      await view.locator('.column.previous .frame').first().waitFor({ timeout: 60_000 });
      await page.locator('.tabs-container .tab', { hasText: 'Race on Ledger.balance' }).waitFor();

      // 2. Both columns, as the report has them.
      assert.deepEqual(await texts(view, 'h1'), ['Data race on Ledger.balance']);
      assert.match((await texts(view, '.description'))[0] ?? '', /^attribute 'balance' of Ledger object at 0x[0-9a-f]+$/);
      // Side by side: the same top, current on the left.
      const [cur, prev] = await Promise.all(['current', 'previous'].map((c) => view.locator(`.column.${c}`).boundingBox()));
      assert.ok(cur && prev && Math.abs(cur.y - prev.y) < 1 && cur.x + cur.width <= prev.x, `two columns: ${JSON.stringify([cur, prev])}`);
      await checkColumn(view, 'current', report.current, report, source);
      await checkColumn(view, 'previous', report.previous, report, source);
      await snap('show-race');

      // 3. Frames open the editor at their line: the previous access, then a thread's creation site.
      const target = report.previous.stack[0].line;
      await view.locator('.column.previous .frame.racing .frame-head').click();
      await until(`the editor at line ${target}`, async () => (await cursorLine(page)) === target);
      const creator = [report.current, report.previous].find((a) => report.threads.find((t) => t.id === a.thread.id)?.createdAt.length);
      assert.ok(creator, 'one of the threads is a started one, with a creation stack');
      const which = creator === report.current ? 'current' : 'previous';
      const createdAt = report.threads.find((t) => t.id === creator.thread.id)!.createdAt[0].line;
      assert.match(source[createdAt - 1], /START HERE/, 'the creation site is the start() call');
      await view.locator(`.column.${which} ol.creation .frame-head`).first().click();
      await until(`the editor at line ${createdAt}`, async () => (await cursorLine(page)) === createdAt);
      await snap('frame-opened');

      // 4. The command, for the race under the cursor: close the view, put the cursor on the
      //    previous access's line (the race is found by either access), run it.
      await page
        .locator('.tabs-container .tab', { hasText: 'Race on Ledger.balance' })
        .locator('.tab-actions .action-label[aria-label^="Close"]')
        .click();
      await page.locator('.tabs-container .tab', { hasText: 'Race on Ledger.balance' }).waitFor({ state: 'detached' });
      await wb.goToLine(target);
      await showRaceCommand(page, wb);
      await raceView(page).locator('.column.current .frame.racing').waitFor({ timeout: 60_000 });
      assert.deepEqual(await texts(raceView(page), '.column.current .frame.racing .frame-function'), [report.current.stack[0].function]);
      await snap('show-race-command');

      // …and with the cursor where no race is, it says so.
      await wb.goToLine(1); // in the code's editor (group 1), which this focuses
      await showRaceCommand(page, wb);
      await page.locator('.notifications-toasts', { hasText: 'No race is reported at line 1 of racy_ledger.py' }).first().waitFor();
    });
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
});
