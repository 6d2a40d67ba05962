/** The free-threaded object model through DAP: object headers, per-thread ownership, locks and deadlocks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { SKIP, type Session, launch, lineOf, programPath, startSession, stop, topFrame, waitForOutput } from './helpers';

const HEADERS = programPath('headers_demo.py');
const LOCKS = programPath('locks_demo.py');
const DEADLOCK = programPath('deadlock_demo.py');
const HEADER = '\u27e8object header\u27e9';

async function children(s: Session, ref: number): Promise<DebugProtocol.Variable[]> {
  assert.ok(ref > 0, 'has children');
  return (await s.dc.variablesRequest({ variablesReference: ref })).body.variables;
}

/** The rows of `v`'s header child, by name. */
async function headerOf(s: Session, v: DebugProtocol.Variable): Promise<Map<string, string>> {
  const kids = await children(s, v.variablesReference);
  const header = kids.find((k) => k.name === HEADER);
  assert.ok(header, `${v.name} has a ${HEADER} child: ${kids.map((k) => k.name)}`);
  assert.equal(header.presentationHint?.kind, 'virtual');
  const rows = await children(s, header.variablesReference);
  assert.equal(rows[0].name, 'owner thread (ob_tid)');
  return new Map(rows.map((r) => [r.name, r.value]));
}

function programShared(rows: Map<string, string>): number {
  const m = /shared (-?\d+)/.exec(rows.get("program's own references") ?? '');
  assert.ok(m, `a program's own references row: ${[...rows.entries()].join(' | ')}`);
  return Number(m[1]);
}

async function scopesOf(s: Session, threadId: number): Promise<DebugProtocol.Scope[]> {
  const frame = await topFrame(s, threadId);
  return (await s.dc.scopesRequest({ frameId: frame.id })).body.scopes;
}

test('object headers: owner, biased counts, immortality; and the ownership scope', { skip: SKIP, timeout: 60_000 }, async () => {
  const s = await startSession();
  try {
    await launch(s, { program: HEADERS }, { [HEADERS]: [{ line: lineOf('headers_demo.py', 'BP-HEADERS') }] });
    const stopped = await s.events.next('stopped', 30_000);
    const threads = (await s.dc.threadsRequest()).body.threads;
    assert.match(threads.find((t) => t.id === stopped.body.threadId)!.name, /^maker/);
    const scopes = await scopesOf(s, stopped.body.threadId);
    const locals = new Map((await children(s, scopes[0].variablesReference)).map((v) => [v.name, v]));

    // Made by maker and used by nobody else: owned by maker, no shared references of the program's.
    const mine = await headerOf(s, locals.get('mine')!);
    assert.match(mine.get('owner thread (ob_tid)')!, /^maker \(ident \d+\)$/);
    assert.equal(mine.get('immortal'), 'no');
    assert.equal(programShared(mine), 0);
    assert.match(mine.get('note')!, /the debugger also holds 1 more/);

    // Made by maker, referenced three times by taker: shared references.
    const shared = await headerOf(s, locals.get('shared')!);
    assert.match(shared.get('owner thread (ob_tid)')!, /^maker \(ident \d+\)$/);
    assert.ok(programShared(shared) >= 3, `taker's three references are shared: ${shared.get("program's own references")}`);

    // None and a small int: immortal, no owner.
    for (const name of ['nothing', 'small']) {
      const rows = await headerOf(s, locals.get(name)!);
      assert.equal(rows.get('immortal'), 'yes', name);
      assert.equal(rows.get('owner thread (ob_tid)'), 'none (immortal/merged)', name);
    }

    // Ownership: an expensive scope listing each thread with its counts.
    const own = scopes.find((sc) => sc.name === 'Ownership (free-threaded)');
    assert.ok(own, `an ownership scope among ${scopes.map((sc) => sc.name)}`);
    assert.equal(own.expensive, true);
    const rows = await children(s, own.variablesReference);
    const maker = rows.find((r) => /^maker \(ident \d+\)$/.test(r.name));
    const taker = rows.find((r) => /^taker \(ident \d+\)$/.test(r.name));
    assert.ok(maker && taker, `maker and taker listed: ${rows.map((r) => r.name)}`);
    assert.match(maker.value, /^\d+ objects biased, \d+ shared$/);
    assert.ok(Number(/^(\d+)/.exec(maker.value)![1]) >= 2, `maker owns its two Boxes at least: ${maker.value}`);
    assert.ok(Number(/(\d+) shared$/.exec(maker.value)![1]) >= 1, `the Box taker holds counts as shared: ${maker.value}`);
    const makerTypes = await children(s, maker.variablesReference);
    assert.ok(
      makerTypes.some((t) => t.name === '__main__.Box'),
      `maker's top types: ${makerTypes.map((t) => t.name)}`,
    );
    assert.ok(rows.some((r) => r.name === 'unowned (immortal/merged)'));

    // The same snapshot as JSON.
    const snap = (await s.dc.customRequest('ftpython/ownership', {})).body as {
      free_threaded: boolean;
      threads: Array<{ name: string; objects: number }>;
    };
    assert.equal(snap.free_threaded, true);
    assert.ok(snap.threads.some((t) => t.name === 'maker' && t.objects >= 2));
  } finally {
    await stop(s);
  }
});

test('locks: the held locks by their owners (with and acquire()), and the thread waiting for one', {
  skip: SKIP,
  timeout: 60_000,
}, async () => {
  const s = await startSession();
  try {
    await launch(s, { program: LOCKS }, { [LOCKS]: [{ line: lineOf('locks_demo.py', 'BP-LOCKS') }] });
    const stopped = await s.events.next('stopped', 30_000);
    assert.equal(stopped.body.reason, 'breakpoint');
    interface LockRef {
      id: string;
      type: string;
      created: { file: string; line: number };
    }
    interface ThreadRef {
      id: number;
      name: string;
    }
    const report = (await s.dc.customRequest('ftpython/locks', {})).body as {
      installed: boolean;
      deadlocks: unknown[];
      held: Array<{ lock: LockRef; owner: ThreadRef | null }>;
      waiting: Array<{ thread: ThreadRef; kind: string; lock?: LockRef; owner?: ThreadRef | null }>;
    };
    assert.equal(report.installed, true);
    const guardLine = lineOf('locks_demo.py', 'GUARD');
    const held = report.held.find((h) => h.lock.created.file === LOCKS && h.lock.created.line === guardLine);
    assert.ok(held, `guard is held: ${JSON.stringify(report.held)}`);
    assert.equal(held.owner?.name, 'holder');
    // A plain Lock taken with acquire() (the try/finally idiom): its holder named as well.
    const ledgerLine = lineOf('locks_demo.py', 'LEDGER');
    const ledger = report.held.find((h) => h.lock.created.file === LOCKS && h.lock.created.line === ledgerLine);
    assert.equal(ledger?.owner?.name, 'clerk', `ledger is held by clerk: ${JSON.stringify(report.held)}`);
    // One taken in a function that has returned: no frame shows its holder, and the view says so.
    const stampLine = lineOf('locks_demo.py', 'STAMP');
    const stamp = report.held.find((h) => h.lock.created.file === LOCKS && h.lock.created.line === stampLine);
    assert.ok(stamp, `stamp is held: ${JSON.stringify(report.held)}`);
    assert.equal(stamp.owner, null);
    const waiter = report.waiting.find((w) => w.thread.name === 'blocked');
    assert.ok(waiter, `blocked waits: ${JSON.stringify(report.waiting)}`);
    assert.equal(waiter.kind, 'lock');
    assert.equal(waiter.lock?.id, held.lock.id);
    assert.equal(waiter.owner?.name, 'holder');
    assert.deepEqual(report.deadlocks, []);

    // The same in the Locks scope.
    const scope = (await scopesOf(s, stopped.body.threadId)).find((sc) => sc.name === 'Locks');
    assert.ok(scope);
    const rows = await children(s, scope.variablesReference);
    const heldRow = rows.find((r) => r.name.startsWith(`Lock ${held.lock.id}`));
    assert.ok(heldRow, `a row for the held lock: ${rows.map((r) => `${r.name}=${r.value}`)}`);
    assert.match(heldRow.value, /^held by holder \(ident \d+\)$/);
    const stampRow = rows.find((r) => r.name.startsWith(`Lock ${stamp.lock.id}`));
    assert.match(String(stampRow?.value), /^held by unknown/);
    const waitRow = rows.find((r) => r.name.startsWith('blocked (ident'));
    assert.ok(waitRow);
    assert.match(waitRow.value, new RegExp(`^waits for Lock ${held.lock.id} .*held by holder`));
    const stack = await children(s, waitRow.variablesReference);
    assert.ok(
      stack.some((f) => f.name.endsWith(' blocked') && f.value.startsWith(LOCKS)),
      `blocked's stack: ${stack.map((f) => f.name)}`,
    );
  } finally {
    await stop(s);
  }
});

test('pause on a two-lock deadlock reports it, with both threads', { skip: SKIP, timeout: 60_000 }, async () => {
  const s = await startSession();
  try {
    const deadlocks: DebugProtocol.Event[] = [];
    s.dc.on('ftpython.deadlock', (e: DebugProtocol.Event) => deadlocks.push(e));
    await launch(s, { program: DEADLOCK });
    await waitForOutput(s, /deadlocked/, 30_000);
    await s.dc.pauseRequest({ threadId: 1 });
    const stopped = await s.events.next('stopped', 30_000);
    assert.equal(stopped.body.reason, 'pause');
    assert.match(String(stopped.body.description), /potential deadlock/);
    // Sent before the stopped event.
    assert.equal(deadlocks.length, 1, 'one ftpython.deadlock event');
    const report = deadlocks[0].body as { kind: string; threads: Array<{ name: string }>; text: string };
    assert.equal(report.kind, 'lock-order-inversion');
    assert.deepEqual(report.threads.map((t) => t.name).sort(), ['first', 'second']);
    const important = s.events.output('important');
    assert.match(important, /WARNING: ftpy: lock-order-inversion \(potential deadlock\)/);
    assert.match(important, /'first'/);
    assert.match(important, /'second'/);
    assert.match(important, /deadlock_demo\.py:\d+/);
    // The same deadlock at the next stop: the pause still says so, but it is not announced again.
    await s.dc.continueRequest({ threadId: stopped.body.threadId });
    await s.dc.pauseRequest({ threadId: 1 });
    const again = await s.events.next('stopped', 30_000);
    assert.equal(again.body.reason, 'pause');
    assert.match(String(again.body.description), /potential deadlock/);
    assert.equal(deadlocks.length, 1, 'the deadlock is reported once per session');
    assert.equal(s.events.output('important').match(/WARNING: ftpy: lock-order-inversion/g)?.length, 1);
  } finally {
    await stop(s);
  }
});

test('with race detection on, locks are not tracked and the Locks view says why', { skip: SKIP, timeout: 60_000 }, async () => {
  const s = await startSession();
  try {
    await launch(s, { program: HEADERS, races: true }, { [HEADERS]: [{ line: lineOf('headers_demo.py', 'BP-HEADERS') }] });
    const stopped = await s.events.next('stopped', 30_000);
    const report = (await s.dc.customRequest('ftpython/locks', {})).body as { installed: boolean; reason?: string; held: unknown[] };
    assert.equal(report.installed, false);
    assert.match(String(report.reason), /race detection/);
    const scope = (await scopesOf(s, stopped.body.threadId)).find((sc) => sc.name === 'Locks');
    assert.ok(scope);
    const rows = await children(s, scope.variablesReference);
    assert.equal(rows[0].name, 'tracked locks');
    assert.match(rows[0].value, /^tracked locks are off/);
  } finally {
    await stop(s);
  }
});

test('trackLocks: false leaves threading.Lock alone: the program gets plain locks and the Locks view says why', {
  skip: SKIP,
  timeout: 60_000,
}, async () => {
  const s = await startSession();
  try {
    await launch(s, { program: HEADERS, trackLocks: false }, { [HEADERS]: [{ line: lineOf('headers_demo.py', 'BP-HEADERS') }] });
    const stopped = await s.events.next('stopped', 30_000);
    const report = (await s.dc.customRequest('ftpython/locks', {})).body as { installed: boolean; reason?: string };
    assert.equal(report.installed, false);
    assert.match(String(report.reason), /trackLocks is false/);
    const frame = (await s.dc.stackTraceRequest({ threadId: stopped.body.threadId })).body.stackFrames[0];
    const ev = await s.dc.evaluateRequest({
      expression: '__import__("threading").Lock().__class__.__module__',
      frameId: frame.id,
      context: 'repl',
    });
    assert.equal(ev.body.result, "'_thread'", 'threading.Lock() is the plain C lock');
  } finally {
    await stop(s);
  }
});
