/**
 * FtpySession driven inline, the way the extension runs it (no child adapter process), with
 * `console: integratedTerminal`: the session asks the client to start the program (runInTerminal),
 * and the test plays the terminal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { FtpySession } from '../../debug-adapter/ftpySession';
import { PYTHON, SKIP, lineOf, programPath } from './helpers';

class InlineClient {
  private seq = 1;
  private readonly pending = new Map<number, (r: DebugProtocol.Response) => void>();
  readonly events: DebugProtocol.Event[] = [];
  private readonly eventWaiters: Array<{ kind: string; resolve: (e: DebugProtocol.Event) => void }> = [];
  readonly session = new FtpySession();
  terminal?: ChildProcess;
  terminalOutput = '';
  runInTerminalArgs?: DebugProtocol.RunInTerminalRequestArguments;

  constructor() {
    this.session.onDidSendMessage((m) => this.onMessage(m as DebugProtocol.ProtocolMessage));
  }

  request<T extends DebugProtocol.Response>(command: string, args?: unknown): Promise<T> {
    const seq = this.seq++;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, (r) => (r.success ? resolve(r as T) : reject(new Error(r.message))));
      this.session.handleMessage({ type: 'request', seq, command, arguments: args } as DebugProtocol.Request);
    });
  }

  next(kind: string, timeoutMs = 20_000): Promise<DebugProtocol.Event> {
    const i = this.events.findIndex((e) => e.event === kind);
    if (i >= 0) return Promise.resolve(this.events.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ${kind} event`)), timeoutMs);
      t.unref();
      this.eventWaiters.push({
        kind,
        resolve: (e) => {
          clearTimeout(t);
          resolve(e);
        },
      });
    });
  }

  private onMessage(m: DebugProtocol.ProtocolMessage): void {
    if (m.type === 'response') {
      const r = m as DebugProtocol.Response;
      this.pending.get(r.request_seq)?.(r);
      this.pending.delete(r.request_seq);
    } else if (m.type === 'event') {
      const e = m as DebugProtocol.Event;
      const w = this.eventWaiters.findIndex((x) => x.kind === e.event);
      if (w >= 0) this.eventWaiters.splice(w, 1)[0].resolve(e);
      else this.events.push(e);
    } else if (m.type === 'request' && (m as DebugProtocol.Request).command === 'runInTerminal') {
      const req = m as DebugProtocol.RunInTerminalRequest;
      this.runInTerminalArgs = req.arguments;
      const env = { ...process.env } as Record<string, string>;
      for (const [k, v] of Object.entries(req.arguments.env ?? {})) {
        if (v === null) delete env[k];
        else env[k] = v as string;
      }
      this.terminal = spawn(req.arguments.args[0], req.arguments.args.slice(1), {
        cwd: req.arguments.cwd,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.terminal.stdout!.on('data', (d: Buffer) => {
        this.terminalOutput += d.toString();
      });
      this.terminal.stderr!.on('data', (d: Buffer) => {
        this.terminalOutput += d.toString();
      });
      const pid = this.terminal.pid;
      // Answer on a later tick, as a real client would (never from inside the session's send).
      setImmediate(() =>
        this.session.handleMessage({
          type: 'response',
          seq: this.seq++,
          request_seq: req.seq,
          command: 'runInTerminal',
          success: true,
          body: { processId: pid },
        } as DebugProtocol.RunInTerminalResponse),
      );
    }
  }
}

test('inline session, integratedTerminal console: runInTerminal, breakpoint, exit code', { skip: SKIP, timeout: 60_000 }, async () => {
  const c = new InlineClient();
  const loop = programPath('loop.py');
  try {
    await c.request('initialize', { adapterID: 'ftpython', pathFormat: 'path', supportsRunInTerminalRequest: true });
    await c.request('launch', { program: loop, python: PYTHON, console: 'integratedTerminal' });
    assert.ok(c.runInTerminalArgs, 'the session asked the client for a terminal');
    assert.equal(c.runInTerminalArgs!.args[0], PYTHON);
    assert.ok(!c.runInTerminalArgs!.args.some((a) => /[0-9a-f]{64}/.test(a)), 'the session secret is not on the command line');
    assert.match(String(c.runInTerminalArgs!.env?.FTPY_SESSION_TOKEN), /^[0-9a-f]{64}$/);
    await c.next('initialized');
    await c.request('setBreakpoints', {
      source: { path: loop },
      breakpoints: [{ line: lineOf('loop.py', 'BP-LOOP'), condition: 'i == 2' }],
    });
    await c.request('configurationDone');
    const stopped = await c.next('stopped');
    assert.equal(stopped.body.allThreadsStopped, true);
    const st = await c.request<DebugProtocol.StackTraceResponse>('stackTrace', { threadId: stopped.body.threadId });
    const ev = await c.request<DebugProtocol.EvaluateResponse>('evaluate', {
      expression: 'i',
      frameId: st.body.stackFrames[0].id,
      context: 'watch',
    });
    assert.equal(ev.body.result, '2');
    await c.request('continue', { threadId: stopped.body.threadId });
    const exited = await c.next('exited');
    assert.equal(exited.body.exitCode, 0);
    await c.next('terminated');
    assert.match(c.terminalOutput, /total 285/);
  } finally {
    c.terminal?.kill('SIGKILL');
    c.session.dispose();
  }
});
