/** Shared helpers for the DAP tests: a DebugClient on dist/debugAdapter.js, event queues, markers. */
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const PYTHON = process.env.FTPY_TEST_PYTHON ?? '';
export const SKIP = PYTHON ? false : 'FTPY_TEST_PYTHON is not set (run through `npm test`)';
export const ADAPTER = resolve('dist/debugAdapter.js');

export function programPath(name: string): string {
  return resolve('test/dap/programs', name);
}

/** The line of `programs/<file>` that carries the comment `# <marker>`. */
export function lineOf(file: string, marker: string): number {
  const lines = readFileSync(programPath(file), 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(`# ${marker}`));
  if (i < 0) throw new Error(`marker ${marker} not found in ${file}`);
  return i + 1;
}

/** Every event of the kinds asked for, queued from the moment the client starts: none is missed. */
export class Events {
  private readonly queues = new Map<string, DebugProtocol.Event[]>();
  private readonly waiters = new Map<string, Array<(e: DebugProtocol.Event) => void>>();
  readonly all: DebugProtocol.Event[] = [];

  constructor(dc: DebugClient, kinds: string[]) {
    for (const kind of kinds) {
      this.queues.set(kind, []);
      dc.on(kind, (e: DebugProtocol.Event) => {
        this.all.push(e);
        const w = this.waiters.get(kind);
        if (w?.length) w.shift()!(e);
        else this.queues.get(kind)!.push(e);
      });
    }
  }

  next(kind: string, timeoutMs = 20_000): Promise<DebugProtocol.Event> {
    const q = this.queues.get(kind);
    if (!q) throw new Error(`not collecting ${kind}`);
    if (q.length) return Promise.resolve(q.shift()!);
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        const list = this.waiters.get(kind)!;
        const i = list.indexOf(done);
        if (i >= 0) list.splice(i, 1);
        reject(new Error(`no ${kind} event within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref(); // a waiter left behind by a race must not keep the test process alive
      const done = (e: DebugProtocol.Event): void => {
        clearTimeout(timer);
        resolvePromise(e);
      };
      if (!this.waiters.has(kind)) this.waiters.set(kind, []);
      this.waiters.get(kind)!.push(done);
    });
  }

  pending(kind: string): number {
    return this.queues.get(kind)?.length ?? 0;
  }

  /** All output text so far, optionally of one category. */
  output(category?: string): string {
    return this.all
      .filter((e) => e.event === 'output' && (!category || e.body.category === category))
      .map((e) => e.body.output)
      .join('');
  }
}

export interface Session {
  dc: DebugClient;
  events: Events;
}

export async function startSession(): Promise<Session> {
  const dc = new DebugClient('node', ADAPTER, 'ftpython');
  dc.defaultTimeout = 20_000;
  await dc.start();
  const events = new Events(dc, [
    'stopped',
    'output',
    'terminated',
    'exited',
    'initialized',
    'breakpoint',
    'thread',
    'ftpython.gil',
    'ftpython.race',
  ]);
  return { dc, events };
}

export type BreakpointSpec = Omit<DebugProtocol.SourceBreakpoint, 'line'> & { line: number };

/**
 * initialize, launch, set breakpoints (per file), exception filters, configurationDone.
 * Returns the setBreakpoints responses by file.
 */
export async function launch(
  s: Session,
  args: Record<string, unknown>,
  breakpoints: Record<string, BreakpointSpec[]> = {},
  exceptionFilters: string[] = [],
): Promise<Map<string, DebugProtocol.Breakpoint[]>> {
  await s.dc.initializeRequest({ adapterID: 'ftpython', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
  const launched = s.dc.launchRequest({ python: PYTHON, ...args } as DebugProtocol.LaunchRequestArguments);
  await launched;
  await s.events.next('initialized');
  const result = new Map<string, DebugProtocol.Breakpoint[]>();
  for (const [path, bps] of Object.entries(breakpoints)) {
    const r = await s.dc.setBreakpointsRequest({ source: { path }, breakpoints: bps });
    result.set(path, r.body.breakpoints);
  }
  await s.dc.setExceptionBreakpointsRequest({ filters: exceptionFilters });
  await s.dc.configurationDoneRequest();
  return result;
}

export async function stop(s: Session): Promise<void> {
  try {
    await Promise.race([s.dc.disconnectRequest({ terminateDebuggee: true }), new Promise((r) => setTimeout(r, 5000).unref())]);
  } catch {
    /* already gone */
  }
  await s.dc.stop();
}

/** Wait until the program's output (any category) matches `pattern`. */
export async function waitForOutput(s: Session, pattern: RegExp, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(s.events.output())) {
    if (Date.now() > deadline)
      throw new Error(`no output matching ${pattern} within ${timeoutMs} ms: ${JSON.stringify(s.events.output())}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function topFrame(s: Session, threadId: number): Promise<DebugProtocol.StackFrame> {
  const st = await s.dc.stackTraceRequest({ threadId, startFrame: 0, levels: 20 });
  return st.body.stackFrames[0];
}

export async function evaluate(s: Session, expression: string, frameId?: number): Promise<string> {
  const r = await s.dc.evaluateRequest({ expression, frameId, context: 'repl' });
  return r.body.result;
}
