/**
 * One debugged program: starting it (a child process with pipes, or a command in the client's
 * terminal) or attaching to it, the authenticated connection to its runtime, and ending it.
 *
 * It knows nothing of DAP. It reports what happens through typed events — the program's
 * output, the adapter's notes for the user, the runtime's events, the end — and the session
 * (ftpySession.ts) turns those into DAP events, as mock-debug's MockRuntime does for its session.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type RuntimeAddress, secretFromFile, startRuntimeInProcess } from './attachTarget';
import { type AnnouncedChild, ChildListener } from './childProcesses';
import { FtpyError } from './core/errors';
import { resolveInterpreter } from './core/interpreters';
import type { AttachConfig, LaunchConfig } from './launchConfig';
import { debuggeeCommand, describeSignal, exitCodeForSignal, killTree, spawnDebuggee } from './launcher';
import { type Command, type InitializeArguments, type ProcessInfo, type RuntimeEvent, runtimeOptions } from './protocol';
import { type RuntimeConnection, RuntimeListener, connectToRuntime } from './runtimeConnection';

/** How long a launched runtime may take to dial back (a cold free-threaded interpreter is slow to start). */
const CONNECT_TIMEOUT_MS = 30_000;

/** A command for the client to run in its terminal (console: integratedTerminal). */
export interface TerminalCommand {
  title: string;
  cwd: string;
  args: string[];
  /** Only the variables to add or change (null removes one): the terminal starts from its own environment. */
  env: Record<string, string | null>;
}

/** Where a note from the adapter goes: the Debug Console, stderr, or shown prominently. */
export type NoteCategory = 'console' | 'stderr' | 'important';

export interface DebuggeeEvents {
  /** The program's own output, as it came through the pipes. */
  output: [text: string, stream: 'stdout' | 'stderr'];
  /** A line from the adapter for the user (a rejected connection, how the program ended). */
  note: [text: string, category: NoteCategory];
  /** An event from the runtime (a stop, a thread, a race report…), as the runtime sent it. */
  runtime: [event: RuntimeEvent];
  /** A child process announced itself (subProcess): the session starts a child session or declines. */
  child: [child: AnnouncedChild];
  /** The program is gone; sent once, with its exit status (128+n for signal n). */
  end: [exitCode: number];
}

export class Debuggee extends EventEmitter<DebuggeeEvents> {
  private connection?: RuntimeConnection;
  private child?: ChildProcess;
  private listener?: RuntimeListener;
  private childListener?: ChildListener;
  private info?: ProcessInfo;
  /** The status from the runtime's `exited` event: the only one we get without a child process. */
  private runtimeExitCode?: number;
  private inTerminal = false;
  private ended = false;

  /** `launch`: we started it and may end it; `attach`: it was running before us and outlives us. */
  constructor(readonly how: 'launch' | 'attach') {
    super();
  }

  /** Is there something to debug: a process we started, or a runtime that connected (even one gone since)? */
  get hasStarted(): boolean {
    return this.child !== undefined || this.connection !== undefined;
  }

  /** Has the program ended (and been reported)? */
  get hasEnded(): boolean {
    return this.ended;
  }

  /** Is the runtime there to answer requests? */
  get isConnected(): boolean {
    return this.connection !== undefined && !this.connection.isClosed;
  }

  /** Is the program gone, or on its way out, so that a request to it can only fail? */
  get isGone(): boolean {
    return this.ended || this.connection?.isClosed === true;
  }

  /** Send a runtime request; rejects when the runtime is not (or no longer) connected, or says no. */
  request(command: Command, args: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    if (!this.connection) return Promise.reject(new FtpyError('No program is being debugged yet: send launch or attach first.'));
    return this.connection.request(command, args);
  }

  /**
   * Start the program under the runtime and wait until its runtime has connected and answered
   * `initialize`. `runInTerminal` asks the client to run a command in its terminal; it rejects
   * when the client cannot.
   */
  async launch(config: LaunchConfig, runInTerminal: (cmd: TerminalCommand) => Promise<void>): Promise<ProcessInfo> {
    const interpreter = await resolveInterpreter(config.python);
    const token = randomBytes(32).toString('hex');
    const rejections = this.rejectionNotes();
    const listener = new RuntimeListener(token, rejections.note);
    this.listener = listener;
    const port = await listener.listen();
    let children: { listener: string } | undefined;
    if (config.subProcess) {
      const childListener = new ChildListener((m) => this.emit('note', m, 'important'));
      this.childListener = childListener;
      childListener.on('child', (c) => this.emit('child', c));
      await childListener.listen();
      children = { listener: childListener.envValue };
    }
    const cmd = debuggeeCommand(interpreter.path, config, port, token, children);
    let earlyExit: Promise<never>;
    if (config.console === 'integratedTerminal') {
      this.inTerminal = true;
      earlyExit = new Promise((_, reject) => {
        runInTerminal({ title: 'Free-Threaded Python', cwd: cmd.cwd, args: [cmd.python, ...cmd.args], env: cmd.envDelta }).catch(reject);
      });
    } else {
      const child = spawnDebuggee(cmd);
      this.child = child;
      let stderrTail = '';
      child.stdout?.on('data', (d: Buffer) => this.emit('output', d.toString('utf8'), 'stdout'));
      child.stderr?.on('data', (d: Buffer) => {
        const text = d.toString('utf8');
        stderrTail = (stderrTail + text).slice(-2000);
        this.emit('output', text, 'stderr');
      });
      earlyExit = new Promise((_, reject) => {
        child.once('error', (e) => reject(new FtpyError(`Could not start \`${cmd.python}\`: ${e.message}.`)));
        child.once('exit', (code, signal) => {
          if (!this.connection) {
            reject(
              new FtpyError(
                `The program ended before the debugger could start (${signal ? describeSignal(signal) : `exit code ${code}`}).` +
                  (stderrTail.trim() ? ` Its last output: ${stderrTail.trim().split('\n').slice(-3).join(' | ')}` : ''),
              ),
            );
          }
        });
      });
      this.watchChild(child);
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new FtpyError(`The debuggee did not connect back within ${CONNECT_TIMEOUT_MS / 1000} s.`)),
        CONNECT_TIMEOUT_MS,
      );
    });
    try {
      this.adopt(await Promise.race([listener.accepted, earlyExit, timeout]));
    } catch (e) {
      listener.close();
      this.childListener?.close();
      if (this.child?.pid) killTree(this.child.pid, 'SIGKILL');
      throw e;
    } finally {
      clearTimeout(timer);
      rejections.flush(); // the listener has closed: say how many more were turned away
    }
    return this.initialize({ options: runtimeOptions(config) });
  }

  /**
   * What the user is told of connections the listener turned away: the first one, then how many
   * more every 10 s while they keep coming (a flood would otherwise be thousands of messages).
   */
  private rejectionNotes(): { note: (message: string) => void; flush: () => void } {
    let shown = false;
    let more = 0;
    let timer: NodeJS.Timeout | undefined;
    const flush = (): void => {
      clearTimeout(timer);
      timer = undefined;
      if (more > 0)
        this.emit('note', `Rejected ${more} more connection${more === 1 ? '' : 's'} that did not present the session secret.`, 'important');
      more = 0;
    };
    const note = (message: string): void => {
      if (!shown) {
        shown = true;
        this.emit('note', message, 'important');
        return;
      }
      more++;
      if (!timer) {
        timer = setTimeout(flush, 10_000);
        timer.unref();
      }
    };
    return { note, flush };
  }

  /** Connect to a runtime that is already running (`--listen`, or started in a process by pid). */
  async attach(config: AttachConfig): Promise<ProcessInfo> {
    let address: RuntimeAddress;
    if (config.pid !== undefined) {
      address = await startRuntimeInProcess(config.pid);
    } else {
      const { host, port } = config.connect as { host: string; port: number };
      address = { host, port, secret: config.secret ?? secretFromFile(port) };
    }
    const { host, port, secret } = address;
    let connection: RuntimeConnection;
    try {
      connection = await connectToRuntime(host, port, secret);
    } catch (e) {
      throw new FtpyError(
        `Could not attach to the runtime at ${host}:${port}: ${(e as Error).message}. ` +
          'Start the program with `python -m ftpy_runtime --listen PORT program.py` and check the port and secret.',
      );
    }
    this.adopt(connection);
    // The program is already running: of the launch options, only justMyCode can still apply.
    return this.initialize({ options: { justMyCode: config.justMyCode } });
  }

  private async initialize(args: InitializeArguments): Promise<ProcessInfo> {
    this.info = (await this.request('initialize', { ...args })) as unknown as ProcessInfo;
    return this.info;
  }

  private adopt(connection: RuntimeConnection): void {
    this.connection = connection;
    connection.on('event', (e) => {
      if (e.event === 'exited' && typeof e.body?.exitCode === 'number') this.runtimeExitCode = e.body.exitCode;
      this.emit('runtime', e);
    });
    connection.on('close', () => {
      // Launched with pipes: the child's exit handler reports the end, with its status.
      if (!this.child) this.end(this.runtimeExitCode ?? null, null, 'the runtime closed the connection');
    });
  }

  private watchChild(child: ChildProcess): void {
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const finish = (): void => {
      if (!exited || child !== this.child) return;
      this.child = undefined;
      this.end(exited.code, exited.signal);
    };
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      setTimeout(finish, 300); // let the pipes drain; 'close' usually comes first
    });
    child.once('close', () => {
      if (exited) finish();
    });
  }

  /** The program is gone: say how, once. */
  private end(code: number | null, signal: NodeJS.Signals | null, why?: string): void {
    if (this.ended) return;
    this.ended = true;
    this.listener?.close();
    this.childListener?.close();
    this.connection?.close();
    let exitCode = code ?? this.runtimeExitCode;
    if (signal) {
      this.emit('note', `The program was killed by signal ${describeSignal(signal)}.`, 'stderr');
      exitCode = exitCodeForSignal(signal);
    } else if (exitCode === undefined || exitCode === null) {
      this.emit('note', `The program ended without reporting an exit status (${why ?? 'it may have crashed'}).`, 'stderr');
    }
    this.emit('end', exitCode ?? 1);
  }

  /** Stop a launched program and wait (briefly) until it is gone. An attached one is left alone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null && child.pid) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      killTree(child.pid, 'SIGTERM');
      const timer = setTimeout(() => {
        if (child.pid) killTree(child.pid, 'SIGKILL');
      }, 1000);
      await gone;
      clearTimeout(timer);
      return;
    }
    if (!child && !this.ended && this.inTerminal && this.info?.pid) {
      // Started in a terminal: we only know its pid, and only trust it while its runtime is connected.
      const connection = this.connection;
      const gone =
        connection && !connection.isClosed ? new Promise<void>((resolve) => connection.once('close', () => resolve())) : Promise.resolve();
      try {
        process.kill(this.info.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      await Promise.race([gone, new Promise<void>((resolve) => setTimeout(resolve, 2000).unref())]);
    }
  }

  /** End the session: an attached program is let go (or told to exit), a launched one killed if asked. */
  async disconnect(terminate: boolean): Promise<void> {
    if (this.how === 'attach' && this.connection && !this.connection.isClosed) {
      await this.connection.request('disconnect', { terminateDebuggee: terminate }).catch(() => undefined);
      this.connection.close();
    }
    if (terminate) await this.kill();
    this.listener?.close();
  }

  /** End the program: an attached one is asked to exit, a launched one is killed. */
  async terminate(): Promise<void> {
    if (this.how === 'attach' && this.connection && !this.connection.isClosed) {
      await this.connection.request('disconnect', { terminateDebuggee: true }).catch(() => undefined);
    } else {
      await this.kill();
    }
  }

  /** Let go of the connection and the listener without reporting an end (restart replaces us). */
  close(): void {
    this.connection?.close();
    this.listener?.close();
    this.childListener?.close();
  }
}
