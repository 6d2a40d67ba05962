/** The settrace fallback backend (FTPY_BACKEND=settrace) behind the same interface. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SKIP, evaluate, launch, lineOf, programPath, startSession, stop, topFrame, waitForOutput } from './helpers';

const env = { FTPY_BACKEND: 'settrace' };

test('settrace backend: breakpoints in threads, hit conditions, pause, stepping', { skip: SKIP, timeout: 60_000 }, async () => {
  const hits = programPath('hits.py');
  const s = await startSession();
  try {
    await launch(s, { program: hits, env }, { [hits]: [{ line: lineOf('hits.py', 'BP-HIT'), hitCondition: '% 100' }] });
    let stops = 0;
    const terminated = s.events.next('terminated', 50_000).then(() => 'terminated' as const);
    for (;;) {
      const next = await Promise.race([s.events.next('stopped', 50_000), terminated]);
      if (next === 'terminated') break;
      stops++;
      await s.dc.continueRequest({ threadId: next.body.threadId });
    }
    assert.equal(stops, 8);
    assert.match(
      s.events.output('console'),
      /ftpy: tracing with settrace; not sys\.monitoring: FTPY_BACKEND=settrace asks for settrace\.\n/,
      'the Debug Console says which backend runs, and why not the other',
    );
  } finally {
    await stop(s);
  }

  const spin = programPath('spinners.py');
  const p = await startSession();
  try {
    await launch(p, { program: spin, args: ['4'], env });
    await waitForOutput(p, /all spinning/);
    await p.dc.pauseRequest({ threadId: 1 });
    const stopped = await p.events.next('stopped', 10_000);
    assert.equal(stopped.body.reason, 'pause');
    const threads = (await p.dc.threadsRequest()).body.threads;
    assert.equal(threads.filter((t) => t.name.startsWith('spinner-') && !t.name.includes('(')).length, 4);
  } finally {
    await stop(p);
  }

  const step = programPath('stepping.py');
  const q = await startSession();
  try {
    await launch(q, { program: step, env }, { [step]: [{ line: lineOf('stepping.py', 'BP-STEP') }] });
    const stopped = await q.events.next('stopped', 30_000);
    await q.dc.nextRequest({ threadId: stopped.body.threadId, singleThread: true });
    const st = await q.events.next('stopped');
    assert.equal(st.body.reason, 'step');
    const f = await topFrame(q, st.body.threadId);
    assert.equal(f.line, lineOf('stepping.py', 'STEP-2'));
    assert.equal(await evaluate(q, 'marker', f.id), '1000');
    assert.equal(await evaluate(q, '__import__("sys").gettrace() is not None', f.id), 'True', 'the settrace backend is the one tracing');
  } finally {
    await stop(q);
  }
});

test('settrace backend: raised exceptions are reported once, in the first user frame', { skip: SKIP, timeout: 30_000 }, async () => {
  const exc = programPath('exceptions.py');
  const s = await startSession();
  try {
    await launch(s, { program: exc, env }, {}, ['raised']);
    const lines: number[] = [];
    const terminated = s.events.next('terminated', 25_000).then(() => 'terminated' as const);
    for (;;) {
      const next = await Promise.race([s.events.next('stopped', 25_000), terminated]);
      if (next === 'terminated') break;
      lines.push((await topFrame(s, next.body.threadId)).line);
      await s.dc.continueRequest({ threadId: next.body.threadId });
    }
    assert.deepEqual(lines, [
      lineOf('exceptions.py', 'RAISE-HANDLED'),
      lineOf('exceptions.py', 'LIBRARY-RAISE'),
      lineOf('exceptions.py', 'RAISE-UNCAUGHT'),
    ]);
  } finally {
    await stop(s);
  }
});
