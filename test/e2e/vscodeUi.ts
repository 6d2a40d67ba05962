// Small, patient helpers for driving the VS Code workbench with playwright-core: the command
// palette, quick open, the debug views and the Problems panel. Every wait is on something the
// UI shows; none is a fixed sleep.

import type { Locator, Page } from 'playwright-core';

export const LONG = 60_000;

/** Polls `probe` until it returns a value other than undefined/false, or fails saying `what`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = LONG): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export class Workbench {
  constructor(readonly page: Page) {}

  async ready(): Promise<void> {
    await this.page.locator('.monaco-workbench').waitFor({ timeout: LONG });
    await this.page.locator('.explorer-folders-view, .part.sidebar').first().waitFor({ timeout: LONG });
  }

  private get quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  /**
   * Picks the quick-input row whose label contains `label`, after typing `filter`. When the pick
   * opens another picker (`thenPicker`), the widget stays up; otherwise it waits for it to close.
   * The filter is typed again while the row does not show: a picker that replaces another
   * starts with an empty input.
   */
  async pickQuickInput(filter: string, label: string | RegExp, thenPicker = false): Promise<void> {
    const input = this.quickInput.locator('input');
    const row = this.quickInput.locator('.monaco-list-row', { hasText: label }).first();
    await until(`"${String(label)}" in the quick input`, async () => {
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      if ((await input.inputValue()) !== filter) await input.fill(filter);
      await row.waitFor({ state: 'visible', timeout: 5_000 });
      return true;
    });
    await row.click();
    if (!thenPicker) await this.quickInput.waitFor({ state: 'hidden', timeout: LONG });
  }

  /** Runs a command from the command palette by its title, with or without its category ("Debug: "). */
  async command(title: string, thenPicker = false): Promise<void> {
    await this.page.keyboard.press('F1');
    const escaped = title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    await this.pickQuickInput(`>${title}`, new RegExp(`^(?:[^:]+: )?${escaped}`), thenPicker);
  }

  /** Opens a workspace file with Quick Open and waits for its editor to be active. */
  async openFile(name: string): Promise<void> {
    await this.page.keyboard.press('Control+P');
    await this.pickQuickInput(name, name);
    await this.page.locator('.tabs-container .tab.active', { hasText: name }).waitFor({ timeout: LONG });
    await this.page.locator('.editor-instance .monaco-editor').first().waitFor({ timeout: LONG });
  }

  /** Moves the cursor of the active editor to `line` (1-based). */
  async goToLine(line: number): Promise<void> {
    await this.page.locator('.editor-instance .monaco-editor .view-lines').first().click();
    await this.page.keyboard.press('Control+G');
    const input = this.quickInput.locator('input');
    await input.waitFor({ state: 'visible', timeout: LONG });
    await input.fill(`:${line}`);
    await this.page.keyboard.press('Enter');
    await this.quickInput.waitFor({ state: 'hidden', timeout: LONG });
    await until(
      `the cursor on line ${line}`,
      async () =>
        /Ln (\d+)/.exec((await this.page.locator('.statusbar-item[id="status.editor.selection"]').textContent()) ?? '')?.[1] ===
        String(line),
    );
  }

  /**
   * Picks `item` from `target`'s context menu. A menu item of VS Code's ignores mouse-ups until
   * 100 ms after it is drawn (menu.ts, `runOnceToEnableMouseUp`: so that the right-click's own
   * mouse-up picks nothing), a timer that can run late on a loaded machine: a click that lands
   * before it is dropped without a trace and the menu stays open. So the item is clicked again
   * while the menu is still up, as a user would; a click that picks it closes the menu.
   * `whenShown` runs once the menu shows (a screenshot of it).
   */
  async contextMenu(target: Locator, item: string, whenShown?: () => Promise<void>): Promise<void> {
    await target.click({ button: 'right' });
    const entry = this.page.locator('.monaco-menu .action-item', { hasText: item }).first();
    await entry.waitFor();
    await whenShown?.();
    await until(`"${item}" picked from the context menu`, async () => {
      if (await entry.isVisible()) await entry.click({ timeout: 5_000 });
      await entry.waitFor({ state: 'hidden', timeout: 2_000 }).catch(() => undefined);
      return !(await entry.isVisible());
    });
  }

  /**
   * The Call Stack row showing `text`, scrolled into the view. The view is a virtual list: it
   * renders only the rows in (or near) view, so a thread below the fold has no element at all.
   * This scrolls the list with the mouse wheel, as a user would, until the row is wholly inside
   * the list's box, turning back at either end.
   */
  async callStackRow(text: string | RegExp): Promise<Locator> {
    const list = this.page.locator('.debug-call-stack .monaco-list').first();
    const row = this.page.locator('.debug-call-stack .monaco-list-row', { hasText: text }).first();
    await list.waitFor();
    let step = 66; // three rows
    await until(`the Call Stack row ${String(text)} in view`, async () => {
      // Short timeouts: the virtual list re-renders as it scrolls, and a row counted a moment
      // ago may be gone, where boundingBox would wait its whole default timeout for it.
      const box = await list.boundingBox({ timeout: 1_000 }).catch(() => null);
      const r = (await row.count()) > 0 ? await row.boundingBox({ timeout: 1_000 }).catch(() => null) : null;
      if (box && r && r.y >= box.y && r.y + r.height <= box.y + box.height) return true;
      const where = async (): Promise<string> =>
        `${(await this.callStackRows()).join('\n')}@${(await this.page.locator('.debug-call-stack .monaco-list-row').first().boundingBox())?.y}`;
      const before = await where();
      await list.hover();
      await this.page.mouse.wheel(0, step);
      await until('the Call Stack to scroll', async () => (await where()) !== before, 1_000).catch(() => {
        step = -step; // nothing moved: an end of the list, go the other way
      });
      return false;
    });
    return row;
  }

  /** The text of every row of the Call Stack view. */
  async callStackRows(): Promise<string[]> {
    return this.page.locator('.debug-call-stack .monaco-list-row').evaluateAll((els) => els.map((e) => (e.textContent ?? '').trim()));
  }

  /** A scope ("Locals") in the Variables view. */
  scopeRow(name: string): Locator {
    return this.page.locator(`.debug-variables .monaco-list-row[aria-label="Scope ${name}"]`).first();
  }

  /** A variable row in the Variables view; its aria-label is "NAME, value VALUE". */
  variableRow(name: string): Locator {
    return this.page.locator(`.debug-variables .monaco-list-row[aria-label^="${name}, value"]`).first();
  }

  /** Expands a tree row (Call Stack, Variables) unless it is expanded already. */
  async expand(row: Locator): Promise<void> {
    await row.waitFor();
    if ((await row.getAttribute('aria-expanded')) !== 'true') await row.locator('.monaco-tl-twistie').click();
    await until('the row to expand', async () => (await row.getAttribute('aria-expanded')) === 'true');
  }

  /** The aria-labels of the Variables view's rows ("NAME, value VALUE"). */
  async variableRows(): Promise<string[]> {
    return this.page.locator('.debug-variables .monaco-list-row').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
  }

  /** Whether a debug session is running (the debug toolbar is shown). */
  async debugging(): Promise<boolean> {
    return this.page.locator('.debug-toolbar').isVisible();
  }

  /** Whether the debuggee is paused (the debug toolbar offers Continue). */
  async paused(): Promise<boolean> {
    return this.page.locator('.debug-toolbar .codicon-debug-continue').isVisible();
  }

  /** The aria-labels of the Problems panel's rows. */
  async problemRows(): Promise<string[]> {
    return this.page.locator('.markers-panel .monaco-list-row').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
  }

  /** The accessible label of our status bar item ("Free-Threaded Python: GIL: off, 0 races"). */
  async ftpyStatus(): Promise<string | undefined> {
    const labels = await this.page.locator('.statusbar-item').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
    return labels.find((l) => l.startsWith('Free-Threaded Python:'));
  }
}
