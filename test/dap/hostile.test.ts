/**
 * Hostile and careless input (issue 12 §2): nothing a client sends, and nothing user code raises
 * while it is being inspected, ends the adapter, the runtime's agent, or the session.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { ADAPTER, PYTHON, SKIP, launch, lineOf, programPath, startSession, stop } from './helpers';

type Msg = DebugProtocol.ProtocolMessage & Record<string, unknown>;

/** The adapter as a child process spoken to in raw bytes: framing under test, not a client's. */
class RawDap {
  readonly proc: ChildProcess;
  readonly received: Msg[] = [];
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  readonly exited: Promise<number | null>;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.proc = spawn(process.execPath, [ADAPTER], { stdio: ['pipe', 'pipe', 'pipe'], env });
    this.exited = new Promise((resolve) => this.proc.once('exit', (code) => resolve(code)));
    this.proc.stdin?.on('error', () => undefined); // an adapter that died: the test says so, not an EPIPE
    this.proc.stdout?.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (;;) {
        const end = this.buf.indexOf('\r\n\r\n');
        if (end < 0) break;
        const n = Number(/Content-Length: (\d+)/.exec(this.buf.toString('utf8', 0, end))?.[1]);
        if (this.buf.length < end + 4 + n) break;
        this.received.push(JSON.parse(this.buf.toString('utf8', end + 4, end + 4 + n)) as Msg);
        this.buf = this.buf.subarray(end + 4 + n);
      }
      for (const w of this.waiters.splice(0)) w();
    });
  }

  write(raw: string | Buffer): void {
    this.proc.stdin?.write(raw);
  }

  frame(body: string): string {
    return `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  }

  request(seq: number, command: string, args?: unknown): void {
    this.write(this.frame(JSON.stringify({ seq, type: 'request', command, arguments: args })));
  }

  /** The first message received (so far or later) that `pred` accepts. */
  async next(pred: (m: Msg) => boolean, what: string, timeoutMs = 10_000): Promise<Msg> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find(pred);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms; got ${JSON.stringify(this.received).slice(0, 2000)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100); // not unref: a dead adapter must fail the test, not end the event loop
      });
    }
  }

  response(seq: number): Promise<Msg> {
    return this.next((m) => m.type === 'response' && m.request_seq === seq, `a response to request ${seq}`);
  }

  /** The adapter still answers: initialize is the request any adapter must answer. */
  async answers(seq: number): Promise<void> {
    this.request(seq, 'initialize', { adapterID: 'ftpython', pathFormat: 'path' });
    const r = await this.response(seq);
    assert.equal(r.success, true, JSON.stringify(r));
  }

  kill(): void {
    this.proc.kill('SIGKILL');
  }
}

const isOutput = (pattern: RegExp) => (m: Msg) =>
  m.type === 'event' && m.event === 'output' && pattern.test(String((m.body as { output?: string }).output));

test('a body that is not JSON gets an output event, and the session goes on', { timeout: 30_000 }, async () => {
  const a = new RawDap();
  try {
    a.write(a.frame('{"seq": 1, "type": "request", "command": '));
    await a.next(isOutput(/malformed DAP message: .*not JSON/), 'an output event about the bad body');
    await a.answers(2);
  } finally {
    a.kill();
  }
});

test('a `null` body gets an output event, and the session goes on', { timeout: 30_000 }, async () => {
  const a = new RawDap();
  try {
    a.write(a.frame('null'));
    await a.next(isOutput(/must be a JSON object, not null/), 'an output event about null');
    a.write(a.frame('[1, 2]'));
    await a.next(isOutput(/not an array/), 'an output event about an array');
    a.write(a.frame('{"seq": 7, "type": "request"}'));
    await a.next(isOutput(/needs a numeric "seq" and a string "command"/), 'an output event about a request without a command');
    await a.answers(2);
  } finally {
    a.kill();
  }
});

test('a Content-Length larger than the message: an error response to it, and the next message is read', { timeout: 30_000 }, async () => {
  const a = new RawDap();
  try {
    const short = JSON.stringify({ seq: 1, type: 'request', command: 'threads' });
    // Followed by a good message: the next header shows where the short one really ended.
    a.write(`Content-Length: ${short.length + 500}\r\n\r\n${short}`);
    a.request(2, 'initialize', { adapterID: 'ftpython', pathFormat: 'path' });
    const bad = await a.response(1);
    assert.equal(bad.success, false);
    assert.match(String(bad.message), /Content-Length \d+ is larger than the message/);
    assert.equal((await a.response(2)).success, true);
    // Followed by nothing: once the input stalls, what came is answered anyway.
    a.write(`Content-Length: ${short.length + 500}\r\n\r\n${short.replace('"seq":1', '"seq":3')}`);
    const stalled = await a.response(3);
    assert.equal(stalled.success, false);
    await a.answers(4);
  } finally {
    a.kill();
  }
});

test('arguments nested 5,000 deep are refused with an error response; the runtime and the session go on', {
  skip: SKIP,
  timeout: 60_000,
}, async () => {
  const a = new RawDap();
  try {
    const loop = programPath('loop.py');
    await a.answers(1);
    a.request(2, 'launch', { program: loop, python: PYTHON });
    assert.equal((await a.response(2)).success, true);
    a.request(3, 'setBreakpoints', { source: { path: loop }, breakpoints: [{ line: lineOf('loop.py', 'BP-LOOP') }] });
    a.request(4, 'configurationDone', {});
    const stopped = await a.next((m) => m.type === 'event' && m.event === 'stopped', 'a stop', 20_000);
    const threadId = (stopped.body as { threadId: number }).threadId;
    a.request(5, 'stackTrace', { threadId });
    const frameId = ((await a.response(5)).body as { stackFrames: Array<{ id: number }> }).stackFrames[0].id;
    // Written by hand: JSON.stringify itself gives up on such nesting.
    const deep = `${'['.repeat(5000)}1${']'.repeat(5000)}`;
    a.write(
      a.frame(
        `{"seq": 6, "type": "request", "command": "evaluate", "arguments": {"expression": "i", "frameId": ${frameId}, "deep": ${deep}}}`,
      ),
    );
    const refused = await a.response(6);
    assert.equal(refused.success, false);
    assert.match(String(refused.message), /more than 64 levels deep/);
    a.request(7, 'evaluate', { expression: 'i + 1', frameId, context: 'repl' });
    const r = await a.response(7);
    assert.equal((r.body as { result: string }).result, '1', JSON.stringify(r));
    a.request(8, 'setBreakpoints', { source: { path: loop }, breakpoints: [] });
    a.request(9, 'continue', { threadId });
    await a.next((m) => m.type === 'event' && m.event === 'terminated', 'the end', 20_000);
  } finally {
    a.kill();
  }
});

test('framing is linear: a message 10x larger takes about 10x longer, not 100x', { timeout: 120_000 }, async () => {
  const a = new RawDap();
  try {
    await a.answers(1);
    const timeOne = async (seq: number, bytes: number): Promise<number> => {
      const body = JSON.stringify({ seq, type: 'request', command: 'threads', arguments: { padding: 'x'.repeat(bytes) } });
      const t0 = process.hrtime.bigint();
      a.write(a.frame(body));
      await a.response(seq);
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    await timeOne(2, 1_000_000); // warm up
    const small = await timeOne(3, 5_000_000);
    const large = await timeOne(4, 50_000_000);
    // Quadratic buffering (the base class's) makes this ratio ~100; linear framing ~10.
    assert.ok(large / small < 35, `5 MB took ${small.toFixed(0)} ms, 50 MB took ${large.toFixed(0)} ms`);
  } finally {
    a.kill();
  }
});

test('exit(), sys.exit(), raise SystemExit and KeyboardInterrupt in the Debug Console are errors on that request', {
  skip: SKIP,
  timeout: 60_000,
}, async () => {
  const s = await startSession();
  try {
    const loop = programPath('loop.py');
    await launch(s, { program: loop }, { [loop]: [{ line: lineOf('loop.py', 'BP-LOOP') }] });
    const stopped = await s.events.next('stopped');
    const frames = (await s.dc.stackTraceRequest({ threadId: stopped.body.threadId })).body.stackFrames;
    const frameId = frames[0].id;
    for (const [expression, expected] of [
      ['exit()', /SystemExit/],
      ['__import__("sys").exit(3)', /SystemExit: 3/],
      ['raise SystemExit', /SystemExit/],
      ['raise KeyboardInterrupt', /KeyboardInterrupt/],
    ] as const) {
      await assert.rejects(s.dc.evaluateRequest({ expression, frameId, context: 'repl' }), expected, expression);
      // The agent is alive: the next request is answered.
      assert.equal((await s.dc.evaluateRequest({ expression: 'i + 40', frameId, context: 'repl' })).body.result, '40', expression);
    }
    await s.dc.setBreakpointsRequest({ source: { path: loop }, breakpoints: [] });
    await s.dc.continueRequest({ threadId: stopped.body.threadId });
    const exited = await s.events.next('exited');
    assert.equal(exited.body.exitCode, 0, 'the program itself was not ended by the evaluated exit()');
    assert.match(s.events.output('stdout'), /total 285/);
  } finally {
    await stop(s);
  }
});

test('one bad local fails only its own value: __len__, __getattribute__, a slow or exiting __repr__', {
  skip: SKIP,
  timeout: 60_000,
}, async () => {
  const s = await startSession();
  try {
    const prog = programPath('hostile_locals.py');
    await launch(s, { program: prog }, { [prog]: [{ line: lineOf('hostile_locals.py', 'BP-HOSTILE') }] });
    const stopped = await s.events.next('stopped');
    const frames = (await s.dc.stackTraceRequest({ threadId: stopped.body.threadId })).body.stackFrames;
    const scopes = (await s.dc.scopesRequest({ frameId: frames[0].id })).body.scopes;
    const locals = (await s.dc.variablesRequest({ variablesReference: scopes[0].variablesReference })).body.variables;
    const value = (name: string): string => {
      const v = locals.find((x) => x.name === name);
      assert.ok(v, `${name} is listed: ${JSON.stringify(locals.map((x) => x.name))}`);
      return v.value;
    };
    assert.equal(value('good'), '42');
    assert.match(value('bad_len'), /ValueError: len boom/);
    assert.match(value('bad_attr'), /RuntimeError: getattribute boom/);
    assert.match(value('slow'), /did not return within/);
    assert.match(value('exits'), /SystemExit: 4/);
    assert.match(value('interrupts'), /KeyboardInterrupt/);
    // Still answering, and the program runs on normally.
    assert.equal((await s.dc.evaluateRequest({ expression: 'good * 2', frameId: frames[0].id, context: 'repl' })).body.result, '84');
    await s.dc.continueRequest({ threadId: stopped.body.threadId });
    const exited = await s.events.next('exited');
    assert.equal(exited.body.exitCode, 0);
    assert.match(s.events.output('stdout'), /the program went on/);
  } finally {
    await stop(s);
  }
});
