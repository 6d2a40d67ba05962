/** Inspection: scopes, lazy and paged variables, evaluate (with a timeout), setVariable, completions, exceptions. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { SKIP, evaluate, launch, lineOf, programPath, startSession, stop, topFrame } from './helpers';

const INSPECT = programPath('inspect_me.py');
const EXC = programPath('exceptions.py');
const HEADER = '\u27e8object header\u27e9';

/** Every object value's first child is its header; these tests look at the rest. */
function withoutHeader(vars: DebugProtocol.Variable[]): DebugProtocol.Variable[] {
  assert.equal(vars[0]?.name, HEADER, 'the header child comes first');
  return vars.slice(1);
}

test('scopes, paged variables, setVariable and completions', { skip: SKIP, timeout: 60_000 }, async () => {
  const s = await startSession();
  try {
    await launch(s, { program: INSPECT }, { [INSPECT]: [{ line: lineOf('inspect_me.py', 'BP-INSPECT') }] });
    const stopped = await s.events.next('stopped');
    const frame = await topFrame(s, stopped.body.threadId);
    assert.equal(frame.name, 'main');
    const scopes = (await s.dc.scopesRequest({ frameId: frame.id })).body.scopes;
    assert.deepEqual(
      scopes.map((sc) => sc.name),
      ['Locals', 'Globals', 'Ownership (free-threaded)', 'Locks'],
    );
    const locals = (await s.dc.variablesRequest({ variablesReference: scopes[0].variablesReference })).body.variables;
    const byName = new Map(locals.map((v) => [v.name, v]));
    assert.deepEqual([...byName.keys()].sort(), ['big', 'd', 'p', 'total']);
    assert.equal(byName.get('total')!.value, '5');
    // Even an int has one child: its object header (see headers.test.ts).
    const totalKids = (await s.dc.variablesRequest({ variablesReference: byName.get('total')!.variablesReference })).body.variables;
    assert.deepEqual(
      totalKids.map((v) => v.name),
      [HEADER],
    );

    const big = byName.get('big')!;
    assert.equal(big.indexedVariables, 1000);
    const page = (await s.dc.variablesRequest({ variablesReference: big.variablesReference, filter: 'indexed', start: 500, count: 10 }))
      .body.variables;
    assert.deepEqual(
      page.map((v) => v.name),
      ['500', '501', '502', '503', '504', '505', '506', '507', '508', '509'],
    );
    assert.equal(page[3].value, '503');
    assert.equal(page[3].evaluateName, 'big[503]');

    const d = withoutHeader((await s.dc.variablesRequest({ variablesReference: byName.get('d')!.variablesReference })).body.variables);
    assert.deepEqual(
      d.map((v) => v.name),
      ["'a'", "'b'"],
    );
    assert.equal(d[1].evaluateName, "d['b']");
    assert.ok(d[1].variablesReference > 0, 'the nested list has children');
    const p = withoutHeader((await s.dc.variablesRequest({ variablesReference: byName.get('p')!.variablesReference })).body.variables);
    assert.deepEqual(
      p.map((v) => `${v.name}=${v.value}`),
      ['x=1', 'y=[1, 2, 3]'],
    );
    assert.equal(await evaluate(s, p[1].evaluateName!, frame.id), '[1, 2, 3]');

    const set = await s.dc.setVariableRequest({ variablesReference: scopes[0].variablesReference, name: 'total', value: '40 + 2' });
    assert.equal(set.body.value, '42');
    assert.equal(await evaluate(s, 'total', frame.id), '42');

    const comp = await s.dc.completionsRequest({ text: 'p.', column: 3, frameId: frame.id });
    const labels = comp.body.targets.map((t) => t.label);
    assert.ok(labels.includes('x') && labels.includes('y'), `completions for p.: ${labels}`);
    const comp2 = await s.dc.completionsRequest({ text: 'to', column: 3, frameId: frame.id });
    assert.ok(comp2.body.targets.some((t) => t.label === 'total'));

    await s.dc.continueRequest({ threadId: stopped.body.threadId });
    await s.events.next('terminated');
    assert.match(s.events.output('stdout'), /total is 42/);
  } finally {
    await stop(s);
  }
});

test('an evaluation whose __repr__ never returns fails within the timeout, and the session goes on', {
  skip: SKIP,
  timeout: 60_000,
}, async () => {
  const s = await startSession();
  try {
    await launch(s, { program: INSPECT }, { [INSPECT]: [{ line: lineOf('inspect_me.py', 'BP-HANG') }] });
    const stopped = await s.events.next('stopped');
    const frame = await topFrame(s, stopped.body.threadId);
    assert.equal(frame.name, 'with_hang');
    await assert.rejects(s.dc.evaluateRequest({ expression: 'h', frameId: frame.id, context: 'hover' }), /gave up after 3 s/);
    // The hanging repr was interrupted: the same thread evaluates again.
    assert.equal(await evaluate(s, '6 * 7', frame.id), '42');
    await s.dc.continueRequest({ threadId: stopped.body.threadId });
    await s.events.next('terminated');
  } finally {
    await stop(s);
  }
});

test('exception breakpoints: raised and uncaught, with exceptionInfo', { skip: SKIP, timeout: 60_000 }, async () => {
  const s = await startSession();
  try {
    await launch(s, { program: EXC }, {}, ['raised']);
    const first = await s.events.next('stopped');
    assert.equal(first.body.reason, 'exception');
    assert.equal((await topFrame(s, first.body.threadId)).line, lineOf('exceptions.py', 'RAISE-HANDLED'));
    const info = await s.dc.exceptionInfoRequest({ threadId: first.body.threadId });
    assert.equal(info.body.exceptionId, 'ValueError');
    assert.equal(info.body.description, 'handled one');
    assert.equal(info.body.breakMode, 'always');
    await s.dc.continueRequest({ threadId: first.body.threadId });
    // Raised inside the json module, reported where it reaches user code.
    const lib = await s.events.next('stopped');
    assert.equal(lib.body.reason, 'exception');
    const libFrame = await topFrame(s, lib.body.threadId);
    assert.equal(libFrame.line, lineOf('exceptions.py', 'LIBRARY-RAISE'));
    assert.equal(libFrame.name, 'parse');
    assert.equal((await s.dc.exceptionInfoRequest({ threadId: lib.body.threadId })).body.exceptionId, 'json.decoder.JSONDecodeError');
    await s.dc.continueRequest({ threadId: lib.body.threadId });
    const second = await s.events.next('stopped');
    assert.equal((await topFrame(s, second.body.threadId)).line, lineOf('exceptions.py', 'RAISE-UNCAUGHT'));
    await s.dc.continueRequest({ threadId: second.body.threadId });
    await s.events.next('terminated');
  } finally {
    await stop(s);
  }
  const u = await startSession();
  try {
    await launch(u, { program: EXC }, {}, ['uncaught']);
    const stopped = await u.events.next('stopped');
    assert.equal(stopped.body.reason, 'exception');
    const threads = (await u.dc.threadsRequest()).body.threads;
    assert.equal(threads.find((t) => t.id === stopped.body.threadId)?.name, 'crasher');
    const f = await topFrame(u, stopped.body.threadId);
    assert.equal(f.line, lineOf('exceptions.py', 'RAISE-UNCAUGHT'));
    const info = await u.dc.exceptionInfoRequest({ threadId: stopped.body.threadId });
    assert.equal(info.body.exceptionId, 'RuntimeError');
    assert.equal(info.body.breakMode, 'unhandled');
    await u.dc.continueRequest({ threadId: stopped.body.threadId });
    await u.events.next('terminated');
    assert.equal(u.events.pending('stopped'), 0, 'the handled ValueError did not stop');
    assert.match(u.events.output('stderr'), /RuntimeError: thread dies/);
    assert.match(u.events.output('stdout'), /after/);
  } finally {
    await stop(u);
  }
});

test('an uncaught exception in the main thread stops, then exits 1 with a clean traceback', { skip: SKIP, timeout: 30_000 }, async () => {
  const prog = programPath('main_uncaught.py');
  const s = await startSession();
  try {
    await launch(s, { program: prog }, {}, ['uncaught']);
    const stopped = await s.events.next('stopped');
    assert.equal(stopped.body.reason, 'exception');
    const frames = (await s.dc.stackTraceRequest({ threadId: stopped.body.threadId })).body.stackFrames;
    assert.deepEqual(
      frames.map((f) => [f.name, f.line]),
      [
        ['lookup', lineOf('main_uncaught.py', 'RAISE-MAIN')],
        ['<module>', 8],
      ],
    );
    assert.equal(await evaluate(s, 'key', frames[0].id), "'missing'");
    const info = await s.dc.exceptionInfoRequest({ threadId: stopped.body.threadId });
    assert.equal(info.body.exceptionId, 'KeyError');
    await s.dc.continueRequest({ threadId: stopped.body.threadId });
    const exited = await s.events.next('exited');
    assert.equal(exited.body.exitCode, 1);
    const stderr = s.events.output('stderr');
    assert.match(stderr, /KeyError: 'missing'/);
    assert.doesNotMatch(stderr, /ftpy_runtime/, 'the runtime frames are left out of the traceback');
  } finally {
    await stop(s);
  }
});
