/** Attach to `python -m ftpy_runtime --listen`, and the session secret that guards it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import * as net from 'node:net';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PYTHON, SKIP, lineOf, programPath, startSession, stop } from './helpers';

const TARGET = programPath('listen_target.py');

/** Start the target under `--listen 0`; resolve with the port it printed. */
function startListening(
  secret: string,
  program = TARGET,
  args = ['attacher'],
): Promise<{ child: ChildProcess; port: number; stderr: () => string }> {
  const child = spawn(PYTHON, ['-m', 'ftpy_runtime', '--listen', '0', program, ...args], {
    env: { ...process.env, PYTHONPATH: resolve('runtime'), FTPY_SESSION_TOKEN: secret },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`no listening line: ${err}`)), 20_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        res({ child, port: Number(m[1]), stderr: () => err });
      }
    });
    child.once('exit', () => rej(new Error(`runtime exited: ${err}`)));
  });
}

/** Connect with a hello carrying `token`; resolve with everything received before the close. */
function rawHello(port: number, token: string): Promise<string> {
  return new Promise((res, rej) => {
    const sock = net.createConnection({ host: '127.0.0.1', port });
    let got = '';
    sock.on('connect', () => sock.write(`${JSON.stringify({ type: 'hello', protocol: 1, role: 'adapter', token })}\n`));
    sock.on('data', (d) => {
      got += d.toString();
    });
    sock.on('close', () => res(got));
    sock.on('error', rej);
    setTimeout(() => {
      sock.destroy();
      rej(new Error('the runtime did not hang up'));
    }, 10_000).unref();
  });
}

test('a client without the secret is rejected and logged; the right secret attaches', { skip: SKIP, timeout: 60_000 }, async () => {
  const secret = 'correct-horse-battery-staple';
  const { child, port, stderr } = await startListening(secret);
  try {
    const reply = await rawHello(port, 'wrong');
    assert.match(reply, /"type":"rejected"/);
    const noHello = await new Promise<string>((res) => {
      const sock = net.createConnection({ host: '127.0.0.1', port });
      let got = '';
      sock.on('connect', () => sock.write('GET / HTTP/1.0\r\n\r\n'));
      sock.on('data', (d) => {
        got += d.toString();
      });
      sock.on('close', () => res(got));
    });
    assert.match(noHello, /rejected/);
    for (let i = 0; i < 100 && (stderr().match(/rejected a connection/g) ?? []).length < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal((stderr().match(/rejected a connection from 127\.0\.0\.1/g) ?? []).length, 2, stderr());

    // A DAP attach with the wrong secret fails with a clear message (the runtime's proof does not verify).
    const bad = await startSession();
    await bad.dc.initializeRequest({ adapterID: 'ftpython', pathFormat: 'path' });
    await assert.rejects(bad.dc.attachRequest({ connect: { port }, secret: 'nope' } as never), /session secret does not match/);
    await bad.dc.stop();

    const s = await startSession();
    try {
      await s.dc.initializeRequest({ adapterID: 'ftpython', pathFormat: 'path' });
      await s.dc.attachRequest({ connect: { host: '127.0.0.1', port }, secret } as never);
      await s.events.next('initialized');
      await s.dc.setBreakpointsRequest({ source: { path: TARGET }, breakpoints: [{ line: lineOf('listen_target.py', 'BP-GREET') }] });
      await s.dc.configurationDoneRequest();
      const stopped = await s.events.next('stopped');
      const frames = (await s.dc.stackTraceRequest({ threadId: stopped.body.threadId })).body.stackFrames;
      assert.equal(frames[0].name, 'greet');
      assert.equal((await s.dc.evaluateRequest({ expression: 'name', frameId: frames[0].id, context: 'watch' })).body.result, "'attacher'");
      await s.dc.continueRequest({ threadId: stopped.body.threadId });
      const exited = await s.events.next('exited');
      assert.equal(exited.body.exitCode, 0);
      await s.events.next('terminated');
    } finally {
      await stop(s);
    }
  } finally {
    child.kill('SIGKILL');
  }
});

test('attach by pid on 3.13 fails with a message that says what to do', { skip: SKIP, timeout: 30_000 }, async () => {
  const sleeper = spawn(PYTHON, ['-c', 'import time; time.sleep(30)'], { stdio: 'ignore' });
  const s = await startSession();
  try {
    await s.dc.initializeRequest({ adapterID: 'ftpython', pathFormat: 'path' });
    await assert.rejects(s.dc.attachRequest({ pid: sleeper.pid } as never), /needs Python 3\.14's sys\.remote_exec.*--listen/);
    await assert.rejects(s.dc.attachRequest({} as never), /needs `connect`/);
  } finally {
    sleeper.kill('SIGKILL');
    await s.dc.stop();
  }
});

test('detach leaves the program running; a second attach finds it and can end it', { skip: SKIP, timeout: 60_000 }, async () => {
  const secret = 'detach-and-come-back';
  const { child, port } = await startListening(secret, programPath('spinners.py'), ['2']);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  try {
    for (let round = 0; round < 2; round++) {
      const s = await startSession();
      await s.dc.initializeRequest({ adapterID: 'ftpython', pathFormat: 'path' });
      await s.dc.attachRequest({ connect: { port }, secret } as never);
      await s.events.next('initialized');
      await s.dc.configurationDoneRequest();
      for (let i = 0; i < 100; i++) {
        // let the spinners start
        const ts = (await s.dc.threadsRequest()).body.threads;
        if (ts.filter((t) => t.name.startsWith('spinner-')).length === 2) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await s.dc.pauseRequest({ threadId: 1 });
      const stopped = await s.events.next('stopped', 10_000);
      assert.equal(stopped.body.reason, 'pause');
      const names = (await s.dc.threadsRequest()).body.threads.map((t) => t.name);
      assert.ok(names.includes('spinner-0') && names.includes('spinner-1'), `round ${round}: ${names}`);
      if (round === 0) {
        await s.dc.disconnectRequest({ terminateDebuggee: false });
        await s.dc.stop();
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(child.exitCode, null, 'still running after a detach');
      } else {
        await s.dc.disconnectRequest({ terminateDebuggee: true });
        await s.dc.stop();
      }
    }
    assert.equal(await exited, 0);
  } finally {
    child.kill('SIGKILL');
  }
});

test('attaching to a program that is already running (the remote_exec entry point)', { skip: SKIP, timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ftpy-test-'));
  const portFile = join(dir, 'port');
  const secret = 'late-secret';
  const child = spawn(PYTHON, [programPath('late_attach.py'), portFile], {
    env: { ...process.env, FTPY_TEST_RUNTIME: resolve('runtime'), FTPY_TEST_SECRET: secret },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  try {
    for (let i = 0; i < 600 && !existsSync(portFile) && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(existsSync(portFile), `the program did not start the runtime: exit ${child.exitCode}, stderr: ${stderr}`);
    const port = Number(readFileSync(portFile, 'utf8'));
    const s = await startSession();
    try {
      await s.dc.initializeRequest({ adapterID: 'ftpython', pathFormat: 'path' });
      await s.dc.attachRequest({ connect: { port }, secret } as never);
      await s.events.next('initialized');
      const prog = programPath('late_attach.py');
      await s.dc.setBreakpointsRequest({ source: { path: prog }, breakpoints: [{ line: lineOf('late_attach.py', 'LATE-LOOP') }] });
      await s.dc.configurationDoneRequest();
      const stopped = await s.events.next('stopped').catch((e) => {
        throw new Error(`${e.message}; events: ${JSON.stringify(s.events.all)}`);
      });
      assert.equal(stopped.body.reason, 'breakpoint');
      const threads = (await s.dc.threadsRequest()).body.threads;
      assert.equal(threads.find((t) => t.id === stopped.body.threadId)?.name, 'late-counter');
      assert.ok(
        threads.some((t) => t.name === 'MainThread (in native code)'),
        threads.map((t) => t.name).join(),
      );
      await s.dc.disconnectRequest({ terminateDebuggee: true });
      await s.dc.stop();
    } catch (e) {
      await stop(s);
      throw e;
    }
    const code = await new Promise((r) => {
      if (child.exitCode !== null) r(child.exitCode);
      else child.once('exit', r);
    });
    assert.equal(code, 0);
  } finally {
    child.kill('SIGKILL');
  }
});
