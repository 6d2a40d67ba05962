/** Breakpoints: many threads, hit counts, conditions, logpoints, function breakpoints, late imports. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SKIP, evaluate, launch, lineOf, programPath, startSession, stop, topFrame } from './helpers';

const HITS = programPath('hits.py');
const LOOP = programPath('loop.py');
const HELPER = programPath('helper_module.py');

/** Continue after every stop until the program ends; return the stops. */
async function countStops(s: Awaited<ReturnType<typeof startSession>>, expectBreakpointId?: number): Promise<number> {
  let stops = 0;
  const terminated = s.events.next('terminated', 55_000).then(() => 'terminated' as const);
  for (;;) {
    const next = await Promise.race([s.events.next('stopped', 55_000), terminated]);
    if (next === 'terminated') break;
    assert.equal(next.body.reason, 'breakpoint');
    assert.equal(next.body.allThreadsStopped, true);
    if (expectBreakpointId !== undefined) assert.deepEqual(next.body.hitBreakpointIds, [expectBreakpointId]);
    stops++;
    await s.dc.continueRequest({ threadId: next.body.threadId });
  }
  return stops;
}

test('16 threads x 50 hits of one breakpoint: exactly 800 stops, no deadlock', { skip: SKIP, timeout: 120_000 }, async () => {
  const s = await startSession();
  try {
    const bps = await launch(s, { program: HITS }, { [HITS]: [{ line: lineOf('hits.py', 'BP-HIT') }] });
    const id = bps.get(HITS)![0].id;
    assert.equal(bps.get(HITS)![0].verified, true);
    assert.equal(await countStops(s, id), 800);
    assert.match(s.events.output('stdout'), /sum 19600/);
  } finally {
    await stop(s);
  }
});

test('hit conditions count exactly across 16 threads', { skip: SKIP, timeout: 60_000 }, async () => {
  const s = await startSession();
  try {
    await launch(s, { program: HITS }, { [HITS]: [{ line: lineOf('hits.py', 'BP-HIT'), hitCondition: '% 25' }] });
    assert.equal(await countStops(s), 32);
  } finally {
    await stop(s);
  }
  const s2 = await startSession();
  try {
    await launch(s2, { program: HITS }, { [HITS]: [{ line: lineOf('hits.py', 'BP-HIT'), hitCondition: '>= 797' }] });
    assert.equal(await countStops(s2), 4);
  } finally {
    await stop(s2);
  }
});

test('a conditional breakpoint stops only when its condition holds', { skip: SKIP, timeout: 30_000 }, async () => {
  const s = await startSession();
  try {
    await launch(s, { program: LOOP }, { [LOOP]: [{ line: lineOf('loop.py', 'BP-LOOP'), condition: 'i == 7' }] });
    const stopped = await s.events.next('stopped');
    const frame = await topFrame(s, stopped.body.threadId);
    assert.equal(frame.line, lineOf('loop.py', 'BP-LOOP'));
    assert.equal(await evaluate(s, 'i', frame.id), '7');
    await s.dc.continueRequest({ threadId: stopped.body.threadId });
    await s.events.next('terminated');
    assert.equal(s.events.pending('stopped'), 0);
  } finally {
    await stop(s);
  }
});

test('a logpoint logs interpolated values and never stops', { skip: SKIP, timeout: 30_000 }, async () => {
  const s = await startSession();
  try {
    await launch(s, { program: LOOP }, { [LOOP]: [{ line: lineOf('loop.py', 'BP-SQUARE'), logMessage: 'n={n} sq={n * n} {{literal}}' }] });
    await s.events.next('terminated');
    assert.equal(s.events.pending('stopped'), 0);
    const out = s.events.output();
    for (let n = 0; n < 10; n++)
      assert.ok(out.includes(`n=${n} sq=${n * n} {literal}\n`), `logpoint line for n=${n} in ${JSON.stringify(out)}`);
  } finally {
    await stop(s);
  }
});

test('breakpoints in a module imported later bind, and function breakpoints stop', { skip: SKIP, timeout: 30_000 }, async () => {
  const s = await startSession();
  try {
    await s.dc.initializeRequest({ adapterID: 'ftpython', pathFormat: 'path' });
    await s.dc.launchRequest({ program: LOOP, python: process.env.FTPY_TEST_PYTHON } as never);
    await s.events.next('initialized');
    const r = await s.dc.setBreakpointsRequest({
      source: { path: HELPER },
      breakpoints: [{ line: lineOf('helper_module.py', 'BP-TRIPLE') }],
    });
    assert.equal(r.body.breakpoints[0].verified, true);
    const f = await s.dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'square', condition: 'n == 4' }] });
    assert.equal(f.body.breakpoints.length, 1);
    await s.dc.configurationDoneRequest();
    const first = await s.events.next('stopped');
    assert.equal(first.body.reason, 'function breakpoint');
    const sq = await topFrame(s, first.body.threadId);
    assert.equal(sq.name, 'square');
    assert.equal(await evaluate(s, 'n', sq.id), '4');
    await s.dc.continueRequest({ threadId: first.body.threadId });
    const second = await s.events.next('stopped');
    assert.equal(second.body.reason, 'breakpoint');
    const tr = await topFrame(s, second.body.threadId);
    assert.equal(tr.source?.path, HELPER);
    assert.equal(tr.line, lineOf('helper_module.py', 'BP-TRIPLE'));
    await s.dc.continueRequest({ threadId: second.body.threadId });
    await s.events.next('terminated');
    assert.match(s.events.output('stdout'), /total 285 6/);
  } finally {
    await stop(s);
  }
});

test('a breakpoint removed while stopped never stops again, even for threads already at it', { skip: SKIP, timeout: 90_000 }, async () => {
  const STALE = programPath('stale_hits.py');
  // Several rounds: the held-back hits depend on where the other workers were at the first stop.
  for (let round = 0; round < 3; round++) {
    const s = await startSession();
    try {
      await launch(s, { program: STALE }, { [STALE]: [{ line: lineOf('stale_hits.py', 'BP-STALE') }] });
      const first = await s.events.next('stopped', 30_000);
      assert.equal(first.body.reason, 'breakpoint');
      const cleared = await s.dc.setBreakpointsRequest({ source: { path: STALE }, breakpoints: [] });
      assert.deepEqual(cleared.body.breakpoints, []);
      await s.dc.continueRequest({ threadId: first.body.threadId });
      // A stale stop would leave the program paused: race it against the end.
      const next = await Promise.race([
        s.events.next('stopped', 60_000).then((e) => e.body as unknown),
        s.events.next('terminated', 60_000).then(() => 'terminated'),
      ]);
      assert.equal(next, 'terminated', 'no stop after the breakpoint was removed');
      assert.match(s.events.output('stdout'), /stale done \d+/);
    } finally {
      await stop(s);
    }
  }
});
