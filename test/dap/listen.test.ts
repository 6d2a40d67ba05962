/**
 * `--listen` (attach) before authentication, the mutual handshake and the secret file, tried
 * the way a careless or hostile local process would: idle connections, a byte every 5 s, a
 * deeply nested or a 100 MB hello, a stranger holding the port of a stale secret file, a symlink
 * or a world-readable file where the secret file goes. Each time a correct attach must still
 * work (or fail with a clear message), and nothing may leak.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import * as net from 'node:net';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { RuntimeEvent } from '../../debug-adapter/protocol';
import { RuntimeListener } from '../../debug-adapter/runtimeConnection';
import { PYTHON, SKIP, lineOf, programPath, startSession, stop } from './helpers';

const TARGET = programPath('listen_target.py');
const SESSIONS = join(homedir(), '.cache', 'ftpy', 'sessions');

interface Listening {
  child: ChildProcess;
  port: number;
  secretPath: string;
  stderr: () => string;
}

/** Start the target under `--listen PORT` (secret from the environment unless `secret` is undefined). */
function startListening(secret: string | undefined, port = 0): Promise<Listening> {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONPATH: resolve('runtime') };
  delete env.FTPY_SESSION_TOKEN;
  if (secret !== undefined) env.FTPY_SESSION_TOKEN = secret;
  const child = spawn(PYTHON, ['-m', 'ftpy_runtime', '--listen', String(port), TARGET, 'attacher'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`no listening line: ${err}`)), 20_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on 127\.0\.0\.1:(\d+) \(session secret in (.*)\)/.exec(err);
      if (m) {
        clearTimeout(timer);
        res({ child, port: Number(m[1]), secretPath: m[2], stderr: () => err });
      }
    });
    child.once('exit', () => rej(new Error(`runtime exited: ${err}`)));
  });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', (code) => r(code)));
}

/** A DAP attach that stops at a breakpoint and runs the program to its end; resolves with the attach time in ms. */
async function attachAndFinish(port: number, secret: string | undefined): Promise<number> {
  const s = await startSession();
  try {
    await s.dc.initializeRequest({ adapterID: 'ftpython', pathFormat: 'path' });
    const started = Date.now();
    await s.dc.attachRequest({ connect: { host: '127.0.0.1', port }, ...(secret === undefined ? {} : { secret }) } as never);
    const took = Date.now() - started;
    await s.events.next('initialized');
    await s.dc.setBreakpointsRequest({ source: { path: TARGET }, breakpoints: [{ line: lineOf('listen_target.py', 'BP-GREET') }] });
    await s.dc.configurationDoneRequest();
    const stopped = await s.events.next('stopped');
    const frames = (await s.dc.stackTraceRequest({ threadId: stopped.body.threadId })).body.stackFrames;
    assert.equal(frames[0].name, 'greet');
    await s.dc.continueRequest({ threadId: stopped.body.threadId });
    assert.equal((await s.events.next('exited')).body.exitCode, 0);
    await s.events.next('terminated');
    return took;
  } finally {
    await stop(s);
  }
}

function connectRaw(port: number): Promise<net.Socket> {
  return new Promise((res, rej) => {
    const sock = net.createConnection({ host: '127.0.0.1', port });
    sock.once('connect', () => res(sock));
    sock.once('error', rej);
  });
}

function closed(sock: net.Socket): Promise<void> {
  return new Promise((r) => {
    if (sock.destroyed) r();
    else sock.once('close', () => r());
  });
}

function vmRssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

test('three idle connections do not make a correct attach fail', { skip: SKIP, timeout: 90_000 }, async (t) => {
  const secret = 'idle-strangers';
  const { child, port } = await startListening(secret);
  const strangers: net.Socket[] = [];
  try {
    for (let i = 0; i < 3; i++) strangers.push(await connectRaw(port));
    const took = await attachAndFinish(port, secret);
    t.diagnostic(`attached in ${took} ms with 3 idle connections open`);
  } finally {
    for (const s of strangers) s.destroy();
    child.kill('SIGKILL');
  }
});

test('a connection that sends one byte every 5 s does not block attach', { skip: SKIP, timeout: 90_000 }, async (t) => {
  const secret = 'slow-loris';
  const { child, port } = await startListening(secret);
  const slow = await connectRaw(port);
  slow.on('error', () => {});
  slow.write('{');
  const drip = setInterval(() => slow.write('"'), 5000);
  try {
    const took = await attachAndFinish(port, secret);
    t.diagnostic(`attached in ${took} ms while a peer dribbles a byte every 5 s`);
  } finally {
    clearInterval(drip);
    slow.destroy();
    child.kill('SIGKILL');
  }
});

test('a deeply nested unauthenticated line does not end attaching for good', { skip: SKIP, timeout: 90_000 }, async () => {
  const secret = 'nested';
  const { child, port, stderr } = await startListening(secret);
  try {
    const sock = await connectRaw(port);
    sock.on('error', () => {});
    sock.on('data', () => {});
    sock.write(`${'['.repeat(100_000)}\n`);
    await closed(sock);
    await attachAndFinish(port, secret);
    assert.doesNotMatch(stderr(), /RecursionError|Traceback/);
  } finally {
    child.kill('SIGKILL');
  }
});

test('a 100 MB hello is cut off: the debuggee does not grow, attach still works', { skip: SKIP, timeout: 120_000 }, async (t) => {
  const secret = 'huge-hello';
  const { child, port } = await startListening(secret);
  try {
    const before = vmRssKb(child.pid!);
    const sock = await connectRaw(port);
    sock.on('error', () => {});
    const chunk = Buffer.alloc(1 << 20, 0x61);
    let sent = 0;
    const done = closed(sock);
    let open = true;
    void done.then(() => {
      open = false;
    });
    while (open && sent < 100 * (1 << 20)) {
      if (!sock.write(chunk)) await Promise.race([new Promise((r) => sock.once('drain', r)), done]);
      sent += chunk.length;
    }
    sock.end();
    await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
    sock.destroy();
    const grown = vmRssKb(child.pid!) - before;
    t.diagnostic(`debuggee grew by ${Math.round(grown / 1024)} MB after a ${Math.round(sent / (1 << 20))} MB hello (cut off: ${!open})`);
    assert.ok(grown < 64 * 1024, `the debuggee grew by ${grown} kB`);
    await attachAndFinish(port, secret);
  } finally {
    child.kill('SIGKILL');
  }
});

test('a stranger holding the port of a stale secret file learns nothing and cannot inject output', {
  skip: SKIP,
  timeout: 60_000,
}, async () => {
  const secret = `stale-${Date.now()}-f00d`;
  let received = '';
  const stranger = net.createServer((sock) => {
    sock.on('error', () => {});
    sock.on('data', (d) => {
      received += d.toString();
      // What it would answer to take over: a welcome, then output of its own.
      sock.write('{"type":"welcome","protocol":1,"role":"runtime"}\n');
      sock.write('{"type":"event","event":"output","body":{"category":"stdout","output":"INJECTED\\n"}}\n');
    });
  });
  await new Promise<void>((r) => stranger.listen(0, '127.0.0.1', () => r()));
  const port = (stranger.address() as net.AddressInfo).port;
  mkdirSync(SESSIONS, { recursive: true, mode: 0o700 });
  const file = join(SESSIONS, `port-${port}.secret`);
  writeFileSync(file, secret, { mode: 0o600 });
  const s = await startSession();
  try {
    await s.dc.initializeRequest({ adapterID: 'ftpython', pathFormat: 'path' });
    await assert.rejects(s.dc.attachRequest({ connect: { port } } as never), /session secret does not match/);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(received.length > 0, 'the adapter did dial the stranger');
    assert.ok(!received.includes(secret), `the stranger received the secret: ${received}`);
    assert.doesNotMatch(s.events.output(), /INJECTED/);
  } finally {
    await s.dc.stop();
    stranger.close();
    rmSync(file, { force: true });
  }
});

test('the secret file is new, 0600, read by attach, and removed when the runtime exits', { skip: SKIP, timeout: 90_000 }, async () => {
  const first = await startListening(undefined);
  try {
    const st = lstatSync(first.secretPath);
    assert.ok(st.isFile());
    assert.equal(st.mode & 0o777, 0o600);
    await attachAndFinish(first.port, undefined); // no `secret`: read from the file
    assert.equal(await exitOf(first.child), 0);
    assert.ok(!existsSync(first.secretPath), 'the secret file outlived the runtime');
  } finally {
    first.child.kill('SIGKILL');
  }
  // Ended by the adapter (disconnect with terminateDebuggee: os._exit) the file goes too.
  const second = await startListening(undefined);
  try {
    const s = await startSession();
    await s.dc.initializeRequest({ adapterID: 'ftpython', pathFormat: 'path' });
    await s.dc.attachRequest({ connect: { port: second.port } } as never);
    await s.dc.disconnectRequest({ terminateDebuggee: true });
    await s.dc.stop();
    await exitOf(second.child);
    assert.ok(!existsSync(second.secretPath), 'the secret file outlived a terminated runtime');
  } finally {
    second.child.kill('SIGKILL');
  }
});

test('a symlink or a world-readable file in the secret file place is replaced, never followed', {
  skip: SKIP,
  timeout: 90_000,
}, async () => {
  mkdirSync(SESSIONS, { recursive: true, mode: 0o700 });
  const dir = mkdtempSync(join(tmpdir(), 'ftpy-test-'));
  const victim = join(dir, 'victim');
  writeFileSync(victim, 'precious', { mode: 0o644 });
  for (const kind of ['symlink', 'world-readable file']) {
    const port = await freePort();
    const file = join(SESSIONS, `port-${port}.secret`);
    rmSync(file, { force: true });
    if (kind === 'symlink') symlinkSync(victim, file);
    else writeFileSync(file, 'stale', { mode: 0o644 });
    const run = await startListening(`planted-${kind.length}`, port);
    try {
      assert.equal(run.secretPath, file);
      const st = lstatSync(file);
      assert.ok(st.isFile(), `${kind}: not a regular file now`);
      assert.equal(st.mode & 0o777, 0o600, `${kind}: mode ${(st.mode & 0o777).toString(8)}`);
      assert.equal(readFileSync(victim, 'utf8'), 'precious', `${kind}: the link was followed`);
    } finally {
      run.child.kill('SIGKILL');
      await exitOf(run.child);
      rmSync(file, { force: true });
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

test('attach refuses a secret file others can read', { skip: SKIP, timeout: 30_000 }, async () => {
  mkdirSync(SESSIONS, { recursive: true, mode: 0o700 });
  const port = await freePort();
  const file = join(SESSIONS, `port-${port}.secret`);
  writeFileSync(file, 'readable-by-all', { mode: 0o644 });
  const s = await startSession();
  try {
    await s.dc.initializeRequest({ adapterID: 'ftpython', pathFormat: 'path' });
    await assert.rejects(s.dc.attachRequest({ connect: { port } } as never), /can be read or written by others \(mode 644\)/);
  } finally {
    await s.dc.stop();
    rmSync(file, { force: true });
  }
});

/** Run the runtime's own dialling side (`connection.connect`) against a port; resolves with its exit code and stderr. */
function pythonConnector(port: number, token: string): Promise<{ code: number | null; stderr: string }> {
  const script = [
    'import sys',
    'from ftpy_runtime.agent.connection import connect',
    `try:\n    c = connect("127.0.0.1", ${port}, ${JSON.stringify(token)})\nexcept ConnectionError as e:\n    print(e, file=sys.stderr); sys.exit(3)`,
    'c.send({"type": "event", "event": "output", "body": {"output": "from the runtime"}})',
    'c.drain()',
    'c.read_line()',
  ].join('\n');
  const child = spawn(PYTHON, ['-c', script], {
    env: { ...process.env, PYTHONPATH: resolve('runtime') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((r) => child.once('exit', (code) => r({ code, stderr })));
}

test('the adapter side (the launch listener) against the runtime side: strangers refused, the runtime let in', {
  skip: SKIP,
  timeout: 60_000,
}, async () => {
  const token = 'launch-secret-0123456789abcdef';
  const notes: string[] = [];
  const listener = new RuntimeListener(token, (m) => notes.push(m));
  const port = await listener.listen();
  const strangers: net.Socket[] = [];
  try {
    for (let i = 0; i < 3; i++) strangers.push(await connectRaw(port)); // idle
    const nested = await connectRaw(port);
    nested.on('error', () => {});
    nested.on('data', () => {}); // read, so that the hang-up is seen
    nested.write(`${'['.repeat(100_000)}\n`);
    const huge = await connectRaw(port);
    huge.on('error', () => {});
    huge.on('data', () => {});
    huge.write('x'.repeat(1 << 20));
    await Promise.all([closed(nested), closed(huge)]);
    // A runtime with the wrong secret is refused and told so; it never gets a welcome.
    const wrong = await pythonConnector(port, 'not-the-secret');
    assert.equal(wrong.code, 3, wrong.stderr);
    assert.match(wrong.stderr, /session secret does not match/);
    const right = pythonConnector(port, token);
    const conn = await listener.accepted;
    const event = await new Promise<RuntimeEvent>((r) => conn.once('event', r));
    assert.deepEqual(event.body, { output: 'from the runtime' });
    conn.close();
    assert.equal((await right).code, 0);
    assert.ok(notes.filter((n) => n.startsWith('Rejected a connection')).length >= 2, notes.join('\n'));
    assert.ok(
      notes.some((n) => /line too long/.test(n)),
      notes.join('\n'),
    );
  } finally {
    for (const s of strangers) s.destroy();
    listener.close();
  }
});
