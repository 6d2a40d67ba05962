/**
 * Child processes (`subProcess`): every child Python process becomes a child session, started
 * through the DAP `startDebugging` reverse request. The test client answers that request as
 * VS Code does: it starts a second session (its own adapter) with the configuration given.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { type Session, launch, lineOf, programPath, SKIP, startSession, stop, topFrame, waitForOutput } from './helpers';

const PROGRAM = programPath('children.py');
const BP = lineOf('children.py', 'child-bp');

interface Child {
  session: Session;
  configuration: Record<string, unknown>;
  /** ms from the startDebugging request to the child session's configurationDone. */
  startMs: number;
}

/**
 * Answer the parent's `startDebugging` requests like VS Code: a new session, attached with the
 * configuration given, with the same breakpoints, configured. `children` fills as they come.
 */
function followChildren(parent: Session, breakpoints: Record<string, number[]>): { children: Child[]; next: () => Promise<Child> } {
  const children: Child[] = [];
  const waiters: Array<(c: Child) => void> = [];
  // biome-ignore lint/suspicious/noExplicitAny: the test client has no hook for reverse requests; we wrap its dispatcher
  const client = parent.dc as any;
  const dispatch = client.dispatch.bind(client);
  const reply = (request: DebugProtocol.Request, success: boolean, message?: string): void => {
    const json = JSON.stringify({ type: 'response', seq: 0, request_seq: request.seq, command: request.command, success, message });
    client.outputStream.write(`Content-Length: ${Buffer.byteLength(json, 'utf8')}\r\n\r\n${json}`, 'utf8');
  };
  client.dispatch = (body: string): void => {
    const msg = JSON.parse(body);
    if (msg.type !== 'request') {
      dispatch(body);
      return;
    }
    const request = msg as DebugProtocol.Request;
    if (request.command !== 'startDebugging') {
      reply(request, false, 'not supported by the test client');
      return;
    }
    const args = request.arguments as DebugProtocol.StartDebuggingRequestArguments;
    const t0 = Date.now();
    void (async () => {
      const session = await startSession();
      try {
        await session.dc.initializeRequest({ adapterID: 'ftpython', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
        await session.dc.attachRequest(args.configuration as DebugProtocol.AttachRequestArguments);
        await session.events.next('initialized');
        for (const [path, lines] of Object.entries(breakpoints))
          await session.dc.setBreakpointsRequest({ source: { path }, breakpoints: lines.map((line) => ({ line })) });
        await session.dc.setExceptionBreakpointsRequest({ filters: [] });
        await session.dc.configurationDoneRequest();
        reply(request, true);
        const child = { session, configuration: args.configuration, startMs: Date.now() - t0 };
        children.push(child);
        const w = waiters.shift();
        if (w) w(child);
      } catch (e) {
        reply(request, false, String(e));
        await session.dc.stop().catch(() => undefined);
      }
    })();
  };
  let taken = 0;
  const next = (): Promise<Child> => {
    const i = taken++;
    if (children[i]) return Promise.resolve(children[i]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no child session within 30 s')), 30_000);
      timer.unref();
      waiters.push((c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
  };
  return { children, next };
}

async function launchParent(
  mode: string[],
  extra: Record<string, unknown> = {},
): Promise<{ parent: Session; follow: ReturnType<typeof followChildren> }> {
  const parent = await startSession();
  const follow = followChildren(parent, { [PROGRAM]: [BP] });
  await parent.dc.initializeRequest({
    adapterID: 'ftpython',
    linesStartAt1: true,
    columnsStartAt1: true,
    pathFormat: 'path',
    supportsStartDebuggingRequest: true,
  });
  // launch() from the helpers sends initialize again; do the rest here.
  await parent.dc.launchRequest({
    python: process.env.FTPY_TEST_PYTHON,
    program: PROGRAM,
    args: mode,
    ...extra,
  } as DebugProtocol.LaunchRequestArguments);
  await parent.events.next('initialized');
  await parent.dc.setBreakpointsRequest({ source: { path: PROGRAM }, breakpoints: [{ line: BP }] });
  await parent.dc.setExceptionBreakpointsRequest({ filters: [] });
  await parent.dc.configurationDoneRequest();
  return { parent, follow };
}

/** The child stops at the breakpoint in work(), with n as given; then it is let go. */
async function childStopsInWork(child: Child, n: number): Promise<void> {
  const stopped = await child.session.events.next('stopped', 30_000);
  assert.equal(stopped.body.reason, 'breakpoint');
  const frame = await topFrame(child.session, stopped.body.threadId);
  assert.equal(frame.name, 'work');
  assert.equal(frame.line, BP);
  const r = await child.session.dc.evaluateRequest({ expression: 'n', frameId: frame.id, context: 'repl' });
  assert.equal(r.body.result, String(n));
  const threads = await child.session.dc.threadsRequest();
  assert.ok(threads.body.threads.length >= 1);
  await child.session.dc.continueRequest({ threadId: stopped.body.threadId });
}

async function stopAll(parent: Session, children: Child[]): Promise<void> {
  for (const c of children) await stop(c.session);
  await stop(parent);
}

for (const method of ['spawn', 'forkserver', 'fork']) {
  test(`multiprocessing ${method}: a breakpoint in the child stops in a child session`, { skip: SKIP, timeout: 90_000 }, async () => {
    const { parent, follow } = await launchParent([method]);
    try {
      const child = await follow.next();
      assert.equal((child.configuration as { request: string }).request, 'attach');
      await childStopsInWork(child, 3);
      await waitForOutput(parent, new RegExp(`child ${method} exit 0`), 30_000);
      await parent.events.next('terminated', 30_000);
      console.log(`# ${method}: child session configured ${child.startMs} ms after startDebugging`);
    } finally {
      await stopAll(parent, follow.children);
    }
  });
}

test("a child session's exited event carries the child's exit status", { skip: SKIP, timeout: 90_000 }, async () => {
  const { parent, follow } = await launchParent(['spawnexit']);
  try {
    const child = await follow.next();
    const exited = await child.session.events.next('exited', 30_000);
    assert.equal(exited.body.exitCode, 4);
    await child.session.events.next('terminated', 30_000);
    await waitForOutput(parent, /child spawnexit exit 4/, 30_000);
    await parent.events.next('terminated', 30_000);
  } finally {
    await stopAll(parent, follow.children);
  }
});

test('ProcessPoolExecutor: each worker is a child session; breakpoints stop in the workers', { skip: SKIP, timeout: 90_000 }, async () => {
  const { parent, follow } = await launchParent(['pool']);
  try {
    // Two workers, two tasks: whichever worker runs a task stops in work(); each stop is let go.
    const seen: string[] = [];
    const serve = async (child: Child): Promise<void> => {
      for (;;) {
        const e = await child.session.events.next('stopped', 60_000);
        const frame = await topFrame(child.session, e.body.threadId);
        assert.equal(frame.name, 'work');
        seen.push((await child.session.dc.evaluateRequest({ expression: 'n', frameId: frame.id, context: 'repl' })).body.result);
        await child.session.dc.continueRequest({ threadId: e.body.threadId });
      }
    };
    const sessions = (async () => {
      for (;;) void serve(await follow.next()).catch(() => undefined);
    })();
    sessions.catch(() => undefined);
    await waitForOutput(parent, /pool results \[16, 25\]/, 60_000);
    assert.deepEqual(seen.sort(), ['4', '5']);
    assert.ok(follow.children.length >= 1);
    await parent.events.next('terminated', 30_000);
  } finally {
    await stopAll(parent, follow.children);
  }
});

test('subprocess.run([sys.executable, ...]): the child interpreter is a child session', { skip: SKIP, timeout: 90_000 }, async () => {
  const { parent, follow } = await launchParent(['run']);
  try {
    const child = await follow.next();
    await childStopsInWork(child, 7);
    await waitForOutput(parent, /leaf result 49[\s\S]*run exit 0/, 30_000);
    const exited = await child.session.events.next('exited', 30_000);
    assert.equal(exited.body.exitCode, 0);
    await parent.events.next('terminated', 30_000);
    console.log(`# subprocess.run: child session configured ${child.startMs} ms after startDebugging`);
  } finally {
    await stopAll(parent, follow.children);
  }
});

test('plain os.fork: the forked child becomes a child session instead of hanging', { skip: SKIP, timeout: 90_000 }, async () => {
  const { parent, follow } = await launchParent(['osfork']);
  try {
    const child = await follow.next();
    await childStopsInWork(child, 6);
    await waitForOutput(parent, /forked child exit 0/, 30_000);
    await parent.events.next('terminated', 30_000);
  } finally {
    await stopAll(parent, follow.children);
  }
});

test('subProcess: false: children run undebugged, and a forked child reaching a breakpoint runs on with a note', {
  skip: SKIP,
  timeout: 60_000,
}, async () => {
  const { parent, follow } = await launchParent(['osfork'], { subProcess: false });
  try {
    await waitForOutput(parent, /forked child exit 0/, 30_000);
    assert.match(parent.events.output(), /forked child \d+ runs without the debugger \(subProcess is off\)/);
    await parent.events.next('terminated', 30_000);
    assert.equal(follow.children.length, 0);
  } finally {
    await stopAll(parent, follow.children);
  }
  const spawned = await launchParent(['run'], { subProcess: false });
  try {
    await waitForOutput(spawned.parent, /leaf result 49[\s\S]*run exit 0/, 30_000);
    await spawned.parent.events.next('terminated', 30_000);
    assert.equal(spawned.follow.children.length, 0);
  } finally {
    await stopAll(spawned.parent, spawned.follow.children);
  }
});

test('a child that is not Python runs undisturbed, with a note in the Debug Console', { skip: SKIP, timeout: 60_000 }, async () => {
  const { parent, follow } = await launchParent(['notpython']);
  try {
    await waitForOutput(parent, /sh exit 3/, 30_000);
    assert.match(parent.events.output(), /from sh/);
    assert.match(
      parent.events.output('console'),
      /Child process \d+ \(`\/bin\/sh -c echo from sh; exit 3`\) is not Python: it runs without the debugger/,
    );
    await parent.events.next('terminated', 30_000);
    assert.equal(follow.children.length, 0);
  } finally {
    await stopAll(parent, follow.children);
  }
});

/** The system python3 when it is a Python the runtime cannot run (older than 3.12), else undefined. */
function oldPython(): string | undefined {
  try {
    const path = execFileSync('python3', ['-c', 'import sys; print(sys.executable if sys.version_info < (3, 12) else "")'], {
      encoding: 'utf8',
    }).trim();
    return path ? realpathSync(path) : undefined;
  } catch {
    return undefined;
  }
}

test('a Python too old for the runtime runs undisturbed, and the Debug Console says why', {
  skip: SKIP || (oldPython() ? false : 'no Python older than 3.12 here'),
  timeout: 60_000,
}, async () => {
  const { parent, follow } = await launchParent(['other', oldPython()!]);
  try {
    await waitForOutput(parent, /leaf result 49[\s\S]*other python exit 0/, 30_000);
    assert.match(
      parent.events.output('console'),
      /Child process \d+ .*Python 3\.\d+\.\d+ \(with the GIL\), runs without the debugger: the debugger's runtime needs Python 3\.12 or newer/,
    );
    await parent.events.next('terminated', 30_000);
    assert.equal(follow.children.length, 0);
  } finally {
    await stopAll(parent, follow.children);
  }
});

test("the program's own sitecustomize still runs, in the program and in each child", { skip: SKIP, timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ftpy-sitecustomize-'));
  writeFileSync(join(dir, 'sitecustomize.py'), 'import os\nprint(f"user sitecustomize in {os.getpid()}", flush=True)\n');
  const { parent, follow } = await launchParent(['run'], { env: { PYTHONPATH: dir } });
  try {
    const child = await follow.next();
    await childStopsInWork(child, 7);
    await waitForOutput(parent, /run exit 0/, 30_000);
    const pids = [...parent.events.output().matchAll(/user sitecustomize in (\d+)/g)].map((m) => m[1]);
    assert.equal(new Set(pids).size, 2, `once in the program, once in the child: ${parent.events.output()}`);
    await parent.events.next('terminated', 30_000);
  } finally {
    await stopAll(parent, follow.children);
  }
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('terminate ends the whole tree: the program and its children', { skip: SKIP, timeout: 60_000 }, async () => {
  const { parent, follow } = await launchParent(['tree']);
  try {
    const child = await follow.next();
    await waitForOutput(parent, /sleeper \d+/, 30_000);
    const pid = Number(/sleeper (\d+)/.exec(parent.events.output())![1]);
    assert.ok(alive(pid));
    await parent.dc.terminateRequest({});
    await parent.events.next('terminated', 30_000);
    await child.session.events.next('terminated', 30_000);
    const deadline = Date.now() + 5000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(alive(pid), false, 'the child process outlived terminate');
  } finally {
    await stopAll(parent, follow.children);
  }
});

void launch; // the shared launch() sends its own initialize; these tests need supportsStartDebuggingRequest in it
