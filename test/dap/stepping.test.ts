/** Stepping: next / stepIn / stepOut on one thread while the others stay parked; stop on entry. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { SKIP, type Session, launch, lineOf, programPath, startSession, stop, topFrame } from './helpers';

const STEP = programPath('stepping.py');
const LOOP = programPath('loop.py');

/** The value of `n` in each other counter thread's `work` frame. */
async function otherCounts(s: Session, except: number): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  const threads = (await s.dc.threadsRequest()).body.threads.filter((t) => t.name.startsWith('counter-') && t.id !== except);
  for (const t of threads) {
    const frames = (await s.dc.stackTraceRequest({ threadId: t.id })).body.stackFrames;
    const work = frames.find((f) => f.name === 'work');
    assert.ok(work, `${t.name} is in work()`);
    const r = await s.dc.evaluateRequest({ expression: 'n', frameId: work.id, context: 'watch' });
    out.set(t.id, `${work.line}:${r.body.result}`);
  }
  return out;
}

async function stepAndCheck(s: Session, kind: 'next' | 'stepIn' | 'stepOut', threadId: number): Promise<DebugProtocol.StackFrame> {
  const args = { threadId, singleThread: true };
  if (kind === 'next') await s.dc.nextRequest(args);
  else if (kind === 'stepIn') await s.dc.stepInRequest(args);
  else await s.dc.stepOutRequest(args);
  const stopped = await s.events.next('stopped');
  assert.equal(stopped.body.reason, 'step');
  assert.equal(stopped.body.threadId, threadId);
  assert.equal(stopped.body.allThreadsStopped, true);
  return topFrame(s, threadId);
}

test('single-thread stepping moves one thread while the others stay parked', { skip: SKIP, timeout: 60_000 }, async () => {
  const s = await startSession();
  try {
    await launch(s, { program: STEP }, { [STEP]: [{ line: lineOf('stepping.py', 'BP-STEP') }] });
    const stopped = await s.events.next('stopped', 30_000);
    const tid = stopped.body.threadId as number;
    assert.equal((await topFrame(s, tid)).line, lineOf('stepping.py', 'BP-STEP'));
    const before = await otherCounts(s, tid);
    assert.equal(before.size, 2);

    let f = await stepAndCheck(s, 'next', tid);
    assert.equal(f.line, lineOf('stepping.py', 'STEP-2'));
    f = await stepAndCheck(s, 'next', tid);
    assert.equal(f.line, lineOf('stepping.py', 'STEP-3'));
    f = await stepAndCheck(s, 'stepIn', tid);
    assert.equal(f.name, 'helper');
    assert.equal(f.line, lineOf('stepping.py', 'HELPER-1'));
    f = await stepAndCheck(s, 'next', tid);
    assert.equal(f.line, lineOf('stepping.py', 'HELPER-2'));
    f = await stepAndCheck(s, 'stepOut', tid);
    assert.equal(f.name, 'work');
    assert.ok([lineOf('stepping.py', 'STEP-3'), lineOf('stepping.py', 'STEP-4')].includes(f.line), `back in work at ${f.line}`);

    assert.deepEqual(await otherCounts(s, tid), before, 'the other threads did not move');
    const threads = (await s.dc.threadsRequest()).body.threads;
    assert.equal(threads.filter((t) => t.name.startsWith('counter-')).length, 3);
  } finally {
    await stop(s);
  }
});

test('next without singleThread resumes everyone and stops at the next line', { skip: SKIP, timeout: 60_000 }, async () => {
  const s = await startSession();
  try {
    await launch(s, { program: STEP }, { [STEP]: [{ line: lineOf('stepping.py', 'BP-STEP') }] });
    const stopped = await s.events.next('stopped', 30_000);
    const tid = stopped.body.threadId as number;
    await s.dc.nextRequest({ threadId: tid });
    const st = await s.events.next('stopped');
    assert.equal(st.body.reason, 'step');
    assert.equal(st.body.threadId, tid);
    assert.equal((await topFrame(s, tid)).line, lineOf('stepping.py', 'STEP-2'));
  } finally {
    await stop(s);
  }
});

test('stopOnEntry stops at the first line of the program', { skip: SKIP, timeout: 30_000 }, async () => {
  const s = await startSession();
  try {
    await launch(s, { program: LOOP, stopOnEntry: true });
    const stopped = await s.events.next('stopped');
    assert.equal(stopped.body.reason, 'entry');
    const f = await topFrame(s, stopped.body.threadId);
    assert.equal(f.source?.path, LOOP);
    assert.equal(f.name, '<module>');
    await s.dc.continueRequest({ threadId: stopped.body.threadId });
    await s.events.next('terminated');
    assert.match(s.events.output('stdout'), /total 285/);
  } finally {
    await stop(s);
  }
});

for (const justMyCode of [true, false]) {
  test(`stepIn with justMyCode=${justMyCode} ${justMyCode ? 'skips' : 'enters'} the standard library`, {
    skip: SKIP,
    timeout: 30_000,
  }, async () => {
    const prog = programPath('stepin_lib.py');
    const s = await startSession();
    try {
      await launch(s, { program: prog, justMyCode }, { [prog]: [{ line: lineOf('stepin_lib.py', 'BP-LIB') }] });
      const stopped = await s.events.next('stopped');
      const tid = stopped.body.threadId as number;
      let f = await stepAndCheck(s, 'next', tid);
      assert.equal(f.line, lineOf('stepin_lib.py', 'LIB-CALL'));
      f = await stepAndCheck(s, 'stepIn', tid);
      if (justMyCode) {
        assert.equal(f.source?.path, prog);
        assert.equal(f.line, lineOf('stepin_lib.py', 'AFTER-LIB'));
      } else {
        assert.match(f.source?.path ?? '', /json[\\/]__init__\.py$/);
        assert.equal(f.name, 'dumps');
        const st = await s.dc.stackTraceRequest({ threadId: tid, startFrame: 0, levels: 1 });
        assert.equal(st.body.stackFrames.length, 1, 'paging: one frame asked, one given');
        assert.ok((st.body.totalFrames ?? 0) >= 3, 'totalFrames counts the whole stack');
        const rest = await s.dc.stackTraceRequest({ threadId: tid, startFrame: 1, levels: 5 });
        assert.equal(rest.body.stackFrames[0].name, 'main');
        f = await stepAndCheck(s, 'stepOut', tid);
        assert.equal(f.name, 'main');
      }
      await s.dc.continueRequest({ threadId: tid });
      await s.events.next('terminated');
    } finally {
      await stop(s);
    }
  });
}

test("a single-thread step out of a thread's last frame stops the session again", { skip: SKIP, timeout: 60_000 }, async () => {
  const EXIT = programPath('step_exit.py');
  const s = await startSession();
  try {
    await launch(s, { program: EXIT }, { [EXIT]: [{ line: lineOf('step_exit.py', 'BP-LAST') }] });
    const stopped = await s.events.next('stopped', 30_000);
    assert.equal(stopped.body.reason, 'breakpoint');
    await s.dc.setBreakpointsRequest({ source: { path: EXIT }, breakpoints: [] });
    await s.dc.stepOutRequest({ threadId: stopped.body.threadId, singleThread: true });
    // The thread ends; the others are still parked, so the client must be told it is stopped.
    const again = await s.events.next('stopped', 30_000);
    assert.equal(again.body.reason, 'step');
    assert.equal(again.body.allThreadsStopped, true);
    assert.match(String(again.body.description), /'short' left its last frame/);
    const frame = await topFrame(s, again.body.threadId);
    assert.ok(frame, 'the reported thread has a stack to show');
    await s.dc.continueRequest({ threadId: again.body.threadId });
    await s.events.next('terminated', 30_000);
    assert.match(s.events.output('stdout'), /step exit done/);
  } finally {
    await stop(s);
  }
});

test("a single-thread step out of the program's last line stops while a worker is parked", { skip: SKIP, timeout: 60_000 }, async () => {
  const EXIT = programPath('step_exit_main.py');
  const s = await startSession();
  try {
    await launch(s, { program: EXIT }, { [EXIT]: [{ line: lineOf('step_exit_main.py', 'BP-MAIN-LAST') }] });
    const stopped = await s.events.next('stopped', 30_000);
    assert.equal(stopped.body.reason, 'breakpoint');
    await s.dc.stepOutRequest({ threadId: stopped.body.threadId, singleThread: true });
    // The main thread now waits for the parked worker: without a stop the session would hang.
    const again = await s.events.next('stopped', 30_000);
    assert.equal(again.body.reason, 'step');
    assert.notEqual(again.body.threadId, stopped.body.threadId, 'the parked worker is shown');
    const frames = (await s.dc.stackTraceRequest({ threadId: again.body.threadId })).body.stackFrames;
    assert.ok(
      frames.some((f) => f.name === 'counter'),
      `the worker's stack: ${frames.map((f) => f.name)}`,
    );
    await s.dc.continueRequest({ threadId: again.body.threadId });
    await s.events.next('terminated', 30_000);
    assert.match(s.events.output('stdout'), /main done/);
  } finally {
    await stop(s);
  }
});
