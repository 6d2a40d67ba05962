// Runs a real VS Code for the end-to-end tests: code-server (installed by
// scripts/install-code-server.sh) with a throwaway profile and the extension installed from a
// .vsix, driven by playwright-core in Debian's chromium.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

export const TOOLS_DIR = process.env.FTPY_TOOLS_DIR || join(homedir(), '.cache', 'ftpy', 'tools');
export const CODE_SERVER = join(TOOLS_DIR, 'bin', 'code-server');
export const CHROMIUM = '/usr/bin/chromium';

/** Why the e2e test cannot run here, or undefined when it can. */
export function missingTools(): string | undefined {
  if (!existsSync(CODE_SERVER)) return `code-server is not installed (${CODE_SERVER}); run scripts/install-code-server.sh`;
  if (!existsSync(CHROMIUM)) return `chromium is not installed (${CHROMIUM}); run scripts/install-code-server.sh`;
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Settings for a quiet, deterministic profile: no telemetry, welcome page, trust prompt or updates. */
const USER_SETTINGS = {
  'telemetry.telemetryLevel': 'off',
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'security.workspace.trust.startupPrompt': 'never',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'editor.minimap.enabled': false,
  'editor.hover.enabled': false,
  'editor.quickSuggestions': { other: false, comments: false, strings: false },
  'files.autoSave': 'off',
  'chat.disableAIFeatures': true,
  'chat.commandCenter.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'debug.openDebug': 'openOnDebugBreak',
  'debug.internalConsoleOptions': 'neverOpen',
  'debug.showInStatusBar': 'never',
  'problems.autoReveal': true,
};

export class CodeServer {
  readonly url: string;
  private constructor(
    private readonly proc: ChildProcess,
    readonly port: number,
    private readonly dirs: string[],
    readonly log: () => string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Installs `vsix` into a fresh profile and starts code-server on a free loopback port. */
  static async start(vsix: string, env: NodeJS.ProcessEnv): Promise<CodeServer> {
    const base = mkdtempSync(join(tmpdir(), 'ftpy-e2e-'));
    const userData = join(base, 'user-data');
    const extensions = join(base, 'extensions');
    const config = join(base, 'config');
    mkdirSync(join(userData, 'User'), { recursive: true });
    mkdirSync(extensions);
    mkdirSync(config);
    writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2));
    const csEnv = {
      ...process.env,
      ...env,
      XDG_CONFIG_HOME: config,
      XDG_DATA_HOME: join(base, 'data'),
      XDG_CACHE_HOME: join(base, 'cache'),
    };
    const common = ['--user-data-dir', userData, '--extensions-dir', extensions];
    const inst = spawnSync(CODE_SERVER, [...common, '--install-extension', vsix], { env: csEnv, encoding: 'utf8', timeout: 120_000 });
    if (inst.status !== 0 || !/successfully installed/i.test(inst.stdout + inst.stderr)) {
      rmSync(base, { recursive: true, force: true });
      throw new Error(`code-server --install-extension ${vsix} failed (exit ${inst.status ?? inst.signal}):\n${inst.stdout}${inst.stderr}`);
    }
    const port = await freePort();
    let log = '';
    // detached: the child calls setsid(), so code-server and everything it starts (extension
    // host, debug adapter, debuggee) share one process group, stopped together. (The setsid(1)
    // program would fork again here, and its child would escape that group.)
    const proc = spawn(
      CODE_SERVER,
      [
        ...common,
        '--auth',
        'none',
        '--bind-addr',
        `127.0.0.1:${port}`,
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-workspace-trust',
        '--disable-getting-started-override',
        '--ignore-last-opened',
      ],
      { env: csEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    proc.stdout?.on('data', (d: Buffer) => {
      log += d.toString();
    });
    proc.stderr?.on('data', (d: Buffer) => {
      log += d.toString();
    });
    const server = new CodeServer(proc, port, [base], () => log);
    try {
      await server.waitUntilListening(90_000);
    } catch (e) {
      server.stop();
      throw e;
    }
    return server;
  }

  private async waitUntilListening(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.proc.exitCode !== null) throw new Error(`code-server exited (${this.proc.exitCode}) before listening:\n${this.log()}`);
      try {
        const res = await fetch(`${this.url}/healthz`);
        if (res.ok) return;
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`code-server did not listen on ${this.url} within ${timeoutMs / 1000} s:\n${this.log()}`);
  }

  /** Stops code-server and everything it started (its process group), and removes the profile. */
  stop(): void {
    if (this.proc.pid && this.proc.exitCode === null) {
      try {
        process.kill(-this.proc.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        try {
          process.kill(-this.proc.pid, 0);
        } catch {
          break;
        }
        spawnSync('sleep', ['0.1']);
      }
      try {
        process.kill(-this.proc.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}
