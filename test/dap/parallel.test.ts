/**
 * Parallel Stacks, Parallel Watch and per-thread control over DAP: `ftpython/threadStacks` (every
 * stack grouped in one request), `ftpython/parallelEvaluate`, `ftpython/freeze`, and
 * `continue`/`next` with `singleThread`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { type LocksReport, waitForGraph } from '../../extension/parallel/model';
import { SKIP, evaluate, launch, lineOf, programPath, startSession, stop, topFrame, waitForOutput } from './helpers';

const GROUPS = programPath('parallel_groups.py');
const SPIN = programPath('spinners.py');
const PHILOSOPHERS = resolve('examples/dining_philosophers.py');

interface StackFrameInfo {
  name: string;
  path?: string;
  file: string;
  line: number;
  user: boolean;
}
interface ThreadInfo {
  id: number;
  name: string;
  label: string;
  state: string;
  frozen: boolean;
  current: boolean;
}
interface Group {
  frames: StackFrameInfo[];
  threadIds: number[];
}
interface TreeNode {
  frames: StackFrameInfo[];
  threadIds: number[];
  endsHere: number[];
  children: TreeNode[];
}
interface ThreadStacks {
  threads: ThreadInfo[];
  currentThreadId: number;
  groups: Group[];
  tree: TreeNode[];
  text: string;
}
interface WatchRow {
  threadId: number;
  name: string;
  frame?: StackFrameInfo & { depth: number; id: number };
  result?: string;
  error?: string;
}

test('threadStacks groups 64 threads in 3 distinct stacks (and main) in one request', { skip: SKIP, timeout: 90_000 }, async () => {
  const s = await startSession();
  try {
    await launch(s, { program: GROUPS, args: ['64'] }, { [GROUPS]: [{ line: lineOf('parallel_groups.py', 'BP-ALL-WAITING') }] });
    const stopped = await s.events.next('stopped', 60_000);
    assert.equal(stopped.body.reason, 'breakpoint');
    const t0 = performance.now();
    const r = await s.dc.customRequest('ftpython/threadStacks', {});
    const ms = performance.now() - t0;
    console.log(`# threadStacks over 65 threads: ${ms.toFixed(1)} ms`);
    const body = r.body as ThreadStacks;
    assert.equal(body.threads.length, 65, 'the 64 workers and main');
    assert.equal(body.currentThreadId, stopped.body.threadId);
    const name = new Map(body.threads.map((t) => [t.id, t.name]));
    const workerGroups = body.groups.filter((g) => g.threadIds.every((id) => name.get(id)?.startsWith('worker-')));
    assert.deepEqual(
      workerGroups.map((g) => g.threadIds.length),
      [32, 16, 16],
      `groups: ${body.groups.map((g) => g.threadIds.length)}`,
    );
    assert.equal(body.groups.length, 4, 'three worker stacks and the main thread');
    // Each group's threads are the right ones, and its stack is the right one (innermost first).
    const kinds = workerGroups.map((g) => {
      const user = g.frames.filter((f) => f.path === GROUPS).map((f) => f.name);
      const indices = g.threadIds.map((id) => Number(name.get(id)!.slice('worker-'.length)) % 4);
      return { user, indices: [...new Set(indices)].sort() };
    });
    assert.deepEqual(kinds[0], { user: ['wait_here', 'alpha_inner', 'alpha', 'worker'], indices: [0, 1] });
    const rest = kinds.slice(1).sort((a, b) => a.indices[0] - b.indices[0]);
    assert.deepEqual(rest, [
      { user: ['wait_here', 'beta', 'worker'], indices: [2] },
      { user: ['wait_here', 'gamma', 'worker'], indices: [3] },
    ]);
    const waitLine = lineOf('parallel_groups.py', 'WAIT');
    for (const g of workerGroups) assert.ok(g.frames.some((f) => f.name === 'wait_here' && f.line === waitLine));
    // The tree: the workers share one root run (threading's bootstrap down to Thread.run), which
    // splits in three at worker(), whose three calls are on three lines.
    const workerRoot = body.tree.find((n) => n.threadIds.length === 64);
    assert.ok(workerRoot, `a root shared by all 64 workers: ${body.tree.map((n) => n.threadIds.length)}`);
    assert.equal(workerRoot.frames.at(-1)?.name, 'Thread.run');
    assert.deepEqual(
      workerRoot.children.map((c) => c.threadIds.length),
      [32, 16, 16],
    );
    assert.deepEqual(
      workerRoot.children
        .map((c) => c.frames.map((f) => f.name).filter((n) => n !== 'Event.wait' && n !== 'Condition.wait'))
        .sort((a, b) => a[1].localeCompare(b[1])), // the two groups of 16 come in either order
      [
        ['worker', 'alpha', 'alpha_inner', 'wait_here'],
        ['worker', 'beta', 'wait_here'],
        ['worker', 'gamma', 'wait_here'],
      ],
    );
    assert.ok(workerRoot.children.every((c) => c.children.length === 0 && c.endsHere.length === c.threadIds.length));
    // Workers wait in native code (Event.wait); the main thread is the current one, parked.
    const main = body.threads.find((t) => t.name === 'MainThread')!;
    assert.ok(main.current);
    assert.equal(main.state, 'stopped');
    assert.ok(body.threads.filter((t) => t.name.startsWith('worker-')).every((t) => t.state === 'native'));
    // The text form, also in the Debug Console as `!threads`.
    assert.match(
      body.text,
      /^65 threads in 4 distinct stacks\nGroup 1: 32 threads \(in native code\): worker-\d+ \[\d+\], worker-\d+ \[\d+\],/,
    );
    const repl = await s.dc.evaluateRequest({ expression: '!threads --group', context: 'repl' });
    assert.match(repl.body.result, /Group 2: 16 threads.*\n\s+#0 Condition\.wait at /);
    assert.match(repl.body.result, /Group 4: 1 thread: \*MainThread \[1\]\n\s+#0 checkpoint at /);
    assert.match(repl.body.result, /#\d+ alpha_inner at .*parallel_groups\.py:\d+/);
    await s.dc.continueRequest({ threadId: stopped.body.threadId });
    await waitForOutput(s, /all done/, 30_000);
  } finally {
    await stop(s);
  }
});

test('parallelEvaluate evaluates in each of 8 threads, with errors and timeouts per row', { skip: SKIP, timeout: 90_000 }, async () => {
  const s = await startSession();
  try {
    await launch(s, { program: SPIN, args: ['8'] });
    await waitForOutput(s, /all spinning/);
    await s.dc.pauseRequest({ threadId: 1 });
    await s.events.next('stopped', 10_000);
    const r = await s.dc.customRequest('ftpython/parallelEvaluate', { expression: 'idx * 10' });
    const rows = (r.body as { rows: WatchRow[] }).rows;
    assert.equal(rows.length, 9, rows.map((x) => x.name).join());
    for (const row of rows.filter((x) => x.name.startsWith('spinner-'))) {
      const i = Number(row.name.slice('spinner-'.length));
      assert.equal(row.result, String(i * 10), `${row.name}: ${JSON.stringify(row)}`);
      assert.equal(row.frame?.name, 'spin');
      assert.equal(row.frame?.depth, 0);
    }
    // The main thread's top user frame is the module, which has no `idx`: an error on its row only.
    const main = rows.find((x) => x.name === 'MainThread')!;
    assert.equal(main.frame?.name, '<module>');
    assert.match(main.error ?? '', /NameError: name 'idx' is not defined/);
    // A chosen depth: depth 1 of a spinner is threading's run(); depth 99 exists nowhere.
    const deep = (await s.dc.customRequest('ftpython/parallelEvaluate', { expression: '1', depth: 99 })).body as { rows: WatchRow[] };
    assert.ok(deep.rows.every((x) => /no frame at depth 99/.test(x.error ?? '')));
    // An expression that never returns: each row gives up on its own, and the session goes on.
    const hang = (await s.dc.customRequest('ftpython/parallelEvaluate', { expression: '[x for x in iter(int, 1) if x]' })).body as {
      rows: WatchRow[];
    };
    for (const row of hang.rows.filter((x) => x.name.startsWith('spinner-'))) assert.match(row.error ?? '', /gave up after 3 s/);
    const again = (await s.dc.customRequest('ftpython/parallelEvaluate', { expression: 'idx' })).body as { rows: WatchRow[] };
    assert.equal(again.rows.find((x) => x.name === 'spinner-5')?.result, '5');
    // A watch row's frame id is a real frame: evaluate there.
    const row5 = again.rows.find((x) => x.name === 'spinner-5')!;
    assert.equal(await evaluate(s, 'idx + 1', row5.frame!.id), '6');
    await assert.rejects(s.dc.customRequest('ftpython/parallelEvaluate', { expression: 'idx +' }), /SyntaxError/);
  } finally {
    await stop(s);
  }
});

test('a frozen thread stays parked through continues until thawed; continue this thread only', {
  skip: SKIP,
  timeout: 90_000,
}, async () => {
  const s = await startSession();
  try {
    await launch(s, { program: SPIN, args: ['4'] });
    await waitForOutput(s, /all spinning/);
    await s.dc.pauseRequest({ threadId: 1 });
    await s.events.next('stopped', 10_000);
    const byName = async (n: string) => (await s.dc.threadsRequest()).body.threads.find((t) => t.name.startsWith(n))!;
    const frozen = await byName('spinner-2');
    const other = await byName('spinner-1');
    const xOf = async (id: number) => Number(await evaluate(s, 'x', (await topFrame(s, id)).id));
    const frozenX = await xOf(frozen.id);
    const otherX = await xOf(other.id);
    const f = await s.dc.customRequest('ftpython/freeze', { threadId: frozen.id, frozen: true });
    assert.equal(f.body.frozen, true);
    assert.equal((await byName('spinner-2')).name, 'spinner-2 (frozen)');
    for (let round = 0; round < 2; round++) {
      await s.dc.continueRequest({ threadId: 1 });
      await new Promise((r) => setTimeout(r, 300));
      assert.equal((await s.dc.threadsRequest()).body.threads.find((t) => t.id === frozen.id)?.name, 'spinner-2 (frozen)');
      await s.dc.pauseRequest({ threadId: 1 });
      await s.events.next('stopped', 10_000);
      assert.equal(await xOf(frozen.id), frozenX, `round ${round}: the frozen thread did not move`);
    }
    assert.ok((await xOf(other.id)) > otherX, 'the others ran');
    const stacks = (await s.dc.customRequest('ftpython/threadStacks', {})).body as ThreadStacks;
    assert.equal(stacks.threads.find((t) => t.id === frozen.id)?.state, 'frozen');
    await s.dc.customRequest('ftpython/freeze', { threadId: frozen.id, frozen: false });
    assert.equal((await byName('spinner-2')).name, 'spinner-2');
    await s.dc.continueRequest({ threadId: 1 });
    await new Promise((r) => setTimeout(r, 300));
    await s.dc.pauseRequest({ threadId: 1 });
    await s.events.next('stopped', 10_000);
    assert.ok((await xOf(frozen.id)) > frozenX, 'thawed, it runs again');

    // Continue this thread only: spinner-1 runs, the others stay where they are.
    const before1 = await xOf(other.id);
    const before2 = await xOf(frozen.id);
    const continued = new Promise<{ threadId: number; allThreadsContinued?: boolean }>((r) => s.dc.once('continued', (e) => r(e.body)));
    const c = await s.dc.continueRequest({ threadId: other.id, singleThread: true });
    assert.equal(c.body.allThreadsContinued, false);
    // The client is told which thread runs (VS Code does not follow a custom request's continue).
    assert.deepEqual(await continued, { threadId: other.id, allThreadsContinued: false });
    await new Promise((r) => setTimeout(r, 300));
    await s.dc.pauseRequest({ threadId: 1 });
    await s.events.next('stopped', 10_000);
    assert.ok((await xOf(other.id)) > before1, 'the one thread ran');
    assert.equal(await xOf(frozen.id), before2, 'the others did not');
  } finally {
    await stop(s);
  }
});

test('the wait-for graph of three deadlocked philosophers: a cycle of three threads and three locks', {
  skip: SKIP,
  timeout: 60_000,
}, async () => {
  const s = await startSession();
  try {
    await launch(s, { program: PHILOSOPHERS });
    await waitForOutput(s, /sit down/);
    // Each holds one fork and waits for the next: pause until the runtime sees all three wait.
    let report: LocksReport | undefined;
    for (let i = 0; i < 40; i++) {
      await s.dc.pauseRequest({ threadId: 1 });
      await s.events.next('stopped', 10_000);
      report = (await s.dc.customRequest('ftpython/locks', {})).body as LocksReport;
      if (report.deadlocks.length) break;
      await s.dc.continueRequest({ threadId: 1 });
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(report?.deadlocks.length, 'a deadlock is reported');
    const g = waitForGraph(report);
    assert.equal(g.deadlocked, true);
    assert.deepEqual(
      g.nodes
        .filter((n) => n.kind === 'thread')
        .map((n) => n.label)
        .sort(),
      ['philosopher-0', 'philosopher-1', 'philosopher-2'],
    );
    const locks = g.nodes.filter((n) => n.kind === 'lock');
    assert.equal(locks.length, 3);
    assert.ok(
      locks.every((n) => /^Lock dining_philosophers\.py:\d+ \(…[0-9a-f]{4}\)$/.test(n.label)),
      locks.map((n) => n.label).join(),
    );
    // Each thread holds one lock and waits for another: 6 edges, all in the cycle.
    assert.equal(g.edges.filter((e) => e.kind === 'holds').length, 3);
    assert.equal(g.edges.filter((e) => e.kind === 'waits for').length, 3);
    assert.ok(g.edges.every((e) => e.inCycle) && g.nodes.every((n) => n.inCycle));
    // Following the edges from any thread comes back to it after three locks.
    const next = new Map(g.edges.map((e) => [e.from, e.to]));
    const start = g.nodes.find((n) => n.kind === 'thread')!.id;
    let at = start;
    for (let i = 0; i < 6; i++) at = next.get(at)!;
    assert.equal(at, start);
    assert.match(g.summary, /^Deadlock: philosopher-\d, philosopher-\d, philosopher-\d wait for each other's locks$/);
  } finally {
    await stop(s);
  }
});

test('with every thread blocked in native code, Parallel Watch and evaluate answer at once, and say why', {
  skip: SKIP,
  timeout: 90_000,
}, async () => {
  // The philosophers' deadlock: every thread waits in C (three in lock acquire, main in join),
  // so no thread is parked in Python to run an evaluation on. The runtime used to wait out the
  // whole evaluation timeout (3 s) for each thread in turn, and the agent answers in order, so
  // the `threads` and `stackTrace` requests VS Code sends on the stop waited behind it: with
  // Parallel Watch open, VS Code showed the program running (toolbar: Pause) for 12 s and more.
  const s = await startSession();
  try {
    await launch(s, { program: PHILOSOPHERS });
    await waitForOutput(s, /sit down/);
    for (let i = 0; ; i++) {
      await s.dc.pauseRequest({ threadId: 1 });
      await s.events.next('stopped', 10_000);
      const report = (await s.dc.customRequest('ftpython/locks', {})).body as LocksReport;
      if (report.deadlocks.length) break;
      assert.ok(i < 40, 'the philosophers deadlock');
      await s.dc.continueRequest({ threadId: 1 });
      await new Promise((r) => setTimeout(r, 100));
    }
    const started = Date.now();
    const [watch, threads] = await Promise.all([
      s.dc.customRequest('ftpython/parallelEvaluate', { expression: 'seat' }),
      s.dc.threadsRequest(),
    ]);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 3000, `answered in ${elapsed} ms, less than one evaluation timeout (3 s)`);
    assert.equal(threads.body.threads.length, 4);
    const rows = (watch.body as { rows: WatchRow[] }).rows;
    assert.equal(rows.length, 4);
    for (const row of rows) {
      assert.ok(row.frame, `${row.name} shows the frame it would evaluate in`);
      assert.match(row.error ?? '', /every thread is in native code/, `${row.name}: ${JSON.stringify(row)}`);
    }
    // The same for the Watch and hover evaluations in one thread's frame.
    const philosopher = threads.body.threads.find((t) => t.name.startsWith('philosopher-'));
    assert.ok(philosopher);
    const frame = await topFrame(s, philosopher.id);
    assert.equal(frame.name, 'dine');
    const t0 = Date.now();
    await assert.rejects(
      s.dc.evaluateRequest({ expression: 'seat', frameId: frame.id, context: 'watch' }),
      /every thread is in native code/,
    );
    assert.ok(Date.now() - t0 < 3000, `evaluate answered in ${Date.now() - t0} ms`);
  } finally {
    await stop(s);
  }
});
