/** A thin DAP driver over the standalone adapter (dist/debugAdapter.js), for the benchmarks. */
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { resolve } from 'node:path';

export const ADAPTER = resolve(__dirname, '..', 'dist', 'debugAdapter.js');

export interface Session {
  dc: DebugClient;
  /** Everything the program printed so far (stdout and stderr output events). */
  output: () => string;
  /** Resolves when the session ends. */
  terminated: Promise<void>;
}

export interface LaunchOptions {
  program: string;
  args?: string[];
  python: string;
  breakpoints?: Array<{ path: string; lines: number[] }>;
  extra?: Record<string, unknown>;
}

/** Starts the adapter, launches the program with the given breakpoints, and returns once it runs. */
export async function launch(opts: LaunchOptions): Promise<Session> {
  const dc = new DebugClient(process.execPath, ADAPTER, 'ftpython');
  dc.defaultTimeout = 60000;
  await dc.start();
  let out = '';
  dc.on('output', (e: DebugProtocol.OutputEvent) => {
    if (e.body.category !== 'telemetry') out += e.body.output;
  });
  const terminated = dc.waitForEvent('terminated', 10 * 60 * 1000).then(() => undefined);
  await dc.initializeRequest({
    adapterID: 'ftpython',
    clientID: 'ftpy-bench',
    linesStartAt1: true,
    columnsStartAt1: true,
    pathFormat: 'path',
  });
  const initialized = dc.waitForEvent('initialized');
  const launched = dc.launchRequest({
    program: opts.program,
    args: opts.args ?? [],
    python: opts.python,
    console: 'internalConsole',
    ...opts.extra,
  } as DebugProtocol.LaunchRequestArguments);
  await initialized;
  for (const bp of opts.breakpoints ?? []) {
    await dc.setBreakpointsRequest({ source: { path: bp.path }, breakpoints: bp.lines.map((line) => ({ line })) });
  }
  await dc.configurationDoneRequest();
  await launched;
  return { dc, output: () => out, terminated };
}

/** Waits until the program has printed `text`. */
export async function waitForOutput(s: Session, text: string, timeoutMs = 60000): Promise<void> {
  const t0 = Date.now();
  while (!s.output().includes(text)) {
    if (Date.now() - t0 > timeoutMs)
      throw new Error(`timed out waiting for the program to print ${JSON.stringify(text)}; it printed:\n${s.output()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export async function end(s: Session): Promise<void> {
  try {
    await s.dc.disconnectRequest({ terminateDebuggee: true });
  } catch {
    /* already gone */
  }
  await s.dc.stop();
}
