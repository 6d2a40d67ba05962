// Starting a real VS Code for an end-to-end test: the extension packaged (or FTPY_E2E_VSIX),
// code-server with it installed, headless chromium on the workbench, screenshots on the way,
// and everything stopped and removed at the end. (vscode.test.ts predates this and keeps its own.)

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM, CodeServer, missingTools } from '../../cli/codeServer';
import { LONG, Workbench } from './vscodeUi';

export const ROOT = process.cwd();
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'e2e');

/** Why an e2e test is skipped here (false: it runs); with FTPY_E2E_REQUIRED a missing tool is a failure instead. */
export function e2eSkip(): string | false {
  const missing = missingTools();
  return missing && !process.env.FTPY_E2E_REQUIRED ? `${missing}; set FTPY_E2E_REQUIRED=1 to make this a failure` : false;
}

/** The package under test: FTPY_E2E_VSIX (e.g. the linux-x64 one), else a universal one built now. */
export function buildVsix(): string {
  if (process.env.FTPY_E2E_VSIX) return resolve(process.env.FTPY_E2E_VSIX);
  const r = spawnSync(process.execPath, ['scripts/package-vsix.mjs', '--universal-only', '--no-build'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, `packaging the extension failed:\n${r.stdout}${r.stderr}`);
  const vsix = readdirSync(join(ROOT, 'out', 'vsix')).find((n) => /^ftpython-debugger-\d[^/]*\.vsix$/.test(n));
  assert.ok(vsix, 'scripts/package-vsix.mjs made no universal .vsix');
  return join(ROOT, 'out', 'vsix', vsix);
}

export interface Session {
  page: Page;
  wb: Workbench;
  /** Saves test-artifacts/e2e/<prefix>-NN-<name>.png. */
  snap(name: string): Promise<void>;
}

/**
 * Runs `body` against VS Code with `workspace` open. Screenshots are named `<prefix>-NN-…` so
 * that tests sharing test-artifacts/e2e/ do not overwrite each other; this removes only its own
 * earlier ones. On failure it adds a screenshot, the page's DOM and the code-server log.
 */
export async function withWorkbench(prefix: string, workspace: string, env: NodeJS.ProcessEnv, body: (s: Session) => Promise<void>) {
  const missing = missingTools();
  if (missing) assert.fail(`FTPY_E2E_REQUIRED is set but ${missing}`);
  mkdirSync(ARTIFACTS, { recursive: true });
  for (const f of readdirSync(ARTIFACTS)) if (f.startsWith(`${prefix}-`)) rmSync(join(ARTIFACTS, f), { force: true });
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  let shot = 0;
  const started = Date.now();
  const snap = async (name: string): Promise<void> => {
    shot += 1;
    console.log(`e2e ${prefix}: ${name} at ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await page?.screenshot({ path: join(ARTIFACTS, `${prefix}-${String(shot).padStart(2, '0')}-${name}.png`) });
  };
  try {
    server = await CodeServer.start(buildVsix(), env);
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
    await body({ page, wb, snap });
  } catch (e) {
    await snap('failure').catch(() => undefined);
    const dom = await page?.content().catch(() => undefined);
    if (dom) writeFileSync(join(ARTIFACTS, `${prefix}-failure-dom.html`), dom);
    throw new Error(`${(e as Error).message}\n--- code-server log (tail) ---\n${server?.log().slice(-4000) ?? ''}`, { cause: e });
  } finally {
    await browser?.close().catch(() => undefined);
    server?.stop();
  }
}
