/**
 * The DAP session: a thin mapping from DAP requests to the runtime protocol and back.
 *
 * All the debugging happens in the runtime (runtime/ftpy_runtime); this class launches or
 * attaches to it, forwards requests, and turns its events into DAP events. It keeps no
 * process-global state and never exits the process, so the extension can run it inline.
 */
import {
  BreakpointEvent,
  ExitedEvent,
  Event,
  InitializedEvent,
  LoggingDebugSession,
  OutputEvent,
  StoppedEvent,
  TerminatedEvent,
  type Thread,
  ThreadEvent,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { type ChildProcess, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FtpyError } from './core/errors';
import { inspectInterpreter, resolveInterpreter } from './core/interpreters';
import { runtimeDir } from './core/paths';
import { type AttachConfig, type LaunchConfig, parseAttach, parseLaunch } from './launchConfig';
import { debuggeeCommand, describeSignal, exitCodeForSignal, killTree, spawnDebuggee } from './launcher';
import { type Command, type ProcessInfo, type RuntimeEvent, SECRET_DIR } from './protocol';
import { type RuntimeConnection, RuntimeListener, connectToRuntime } from './runtimeConnection';

/** How long a launched runtime may take to dial back (a cold free-threaded interpreter is slow to start). */
const CONNECT_TIMEOUT_MS = 30_000;

/** How long the client may take to answer runInTerminal (it only has to start a terminal). */
const RUN_IN_TERMINAL_TIMEOUT_MS = 10_000;

type Body = Record<string, unknown>;

/** Custom DAP requests and the runtime commands that answer them. */
const CUSTOM_REQUESTS: ReadonlyMap<string, Command> = new Map<string, Command>([
  ['ftpython/ownership', 'ownership'],
  ['ftpython/locks', 'locks'],
]);

export class FtpySession extends LoggingDebugSession {
  private runtime?: RuntimeConnection;
  private child?: ChildProcess;
  private listener?: RuntimeListener;
  private launchConfig?: LaunchConfig;
  private attachConfig?: AttachConfig;
  private processInfo?: ProcessInfo;
  private runtimeExitCode?: number;
  private ended = false;
  private restarting = false;
  private readonly breakpointArgs = new Map<string, DebugProtocol.SetBreakpointsArguments>();
  private functionBreakpointArgs?: DebugProtocol.SetFunctionBreakpointsArguments;
  private exceptionBreakpointArgs?: DebugProtocol.SetExceptionBreakpointsArguments;
  private configurationDone = false;

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  // Plumbing.

  /**
   * Run an async handler; any failure becomes an error response, never an exception.  Failures
   * because the program has just ended are not shown to the user as errors: nothing went wrong.
   */
  private handle(response: DebugProtocol.Response, work: () => Promise<void>): void {
    work().catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      this.sendErrorResponse(response, { id: 1001, format: message, showUser: !this.runtimeGone });
    });
  }

  private requireRuntime(): RuntimeConnection {
    if (!this.runtime || this.runtime.isClosed) {
      throw new FtpyError(this.ended ? 'The debuggee has ended.' : 'No program is being debugged yet: send launch or attach first.');
    }
    return this.runtime;
  }

  /** Is the debuggee gone (or on its way out), so that a request to it can only fail? */
  private get runtimeGone(): boolean {
    return this.ended || this.runtime?.isClosed === true;
  }

  /**
   * Forward a request to the runtime and send its body back as the response body.
   *
   * `whenGone` is the answer for a request that finds the program ending or ended: the client
   * asks for threads and stacks right up to the `terminated` event, and an error there would
   * show the user a "no longer running" message for a program that just finished normally.
   */
  private forward(response: DebugProtocol.Response, command: Command, args: object, whenGone?: Body): void {
    this.handle(response, async () => {
      if (whenGone && this.runtimeGone) {
        response.body = whenGone;
        this.sendResponse(response);
        return;
      }
      try {
        response.body = await this.requireRuntime().request(command, args as Body);
      } catch (err) {
        if (!whenGone || !this.runtimeGone) throw err;
        response.body = whenGone; // the connection closed while the request was on its way
      }
      this.sendResponse(response);
    });
  }

  private console(text: string, category: 'console' | 'stderr' | 'important' = 'console'): void {
    this.sendEvent(new OutputEvent(text.endsWith('\n') ? text : `${text}\n`, category));
  }

  // Initialization.

  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsFunctionBreakpoints: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsEvaluateForHovers: true,
      supportsSetVariable: true,
      supportsCompletionsRequest: true,
      supportsExceptionInfoRequest: true,
      supportsTerminateRequest: true,
      supportTerminateDebuggee: true,
      supportsRestartRequest: true,
      supportsDelayedStackTraceLoading: true,
      supportsSingleThreadExecutionRequests: true,
      exceptionBreakpointFilters: [
        { filter: 'raised', label: 'Raised Exceptions', description: 'Stop wherever an exception is raised in your code.', default: false },
        {
          filter: 'uncaught',
          label: 'Uncaught Exceptions',
          description: 'Stop when an exception is about to end a thread or the program.',
          default: true,
        },
      ],
    };
    this.sendResponse(response);
  }

  // Launch and attach.

  protected override launchRequest(response: DebugProtocol.LaunchResponse, args: DebugProtocol.LaunchRequestArguments): void {
    this.handle(response, async () => {
      if (this.runtime || this.child) throw new FtpyError('This session is already debugging a program.');
      const { config, warnings } = parseLaunch((args ?? {}) as unknown as Record<string, unknown>);
      for (const w of warnings) this.console(w);
      this.launchConfig = config;
      await this.startDebuggee(config);
      this.sendResponse(response);
      this.sendEvent(new InitializedEvent());
    });
  }

  private async startDebuggee(config: LaunchConfig): Promise<void> {
    const interpreter = await resolveInterpreter(config.python);
    const token = randomBytes(32).toString('hex');
    const listener = new RuntimeListener(token, (m) => this.console(m, 'important'));
    this.listener = listener;
    const port = await listener.listen();
    const cmd = debuggeeCommand(interpreter.path, config, port, token);
    let earlyExit: Promise<never>;
    if (config.console === 'integratedTerminal') {
      const termArgs: DebugProtocol.RunInTerminalRequestArguments = {
        kind: 'integrated',
        title: 'Free-Threaded Python',
        cwd: cmd.cwd,
        args: [cmd.python, ...cmd.args],
        env: cmd.envDelta,
      };
      earlyExit = new Promise((_, reject) => {
        this.runInTerminalRequest(termArgs, RUN_IN_TERMINAL_TIMEOUT_MS, (r) => {
          if (!r.success) reject(new FtpyError(`The client could not start the program in a terminal: ${r.message ?? 'unknown error'}.`));
        });
      });
    } else {
      const child = spawnDebuggee(cmd);
      this.child = child;
      let stderrTail = '';
      child.stdout?.on('data', (d: Buffer) => this.sendEvent(new OutputEvent(d.toString('utf8'), 'stdout')));
      child.stderr?.on('data', (d: Buffer) => {
        const text = d.toString('utf8');
        stderrTail = (stderrTail + text).slice(-2000);
        this.sendEvent(new OutputEvent(text, 'stderr'));
      });
      earlyExit = new Promise((_, reject) => {
        child.once('error', (e) => reject(new FtpyError(`Could not start \`${cmd.python}\`: ${e.message}.`)));
        child.once('exit', (code, signal) => {
          if (!this.runtime) {
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
      const runtime = await Promise.race([listener.accepted, earlyExit, timeout]);
      this.attachRuntime(runtime);
    } catch (e) {
      listener.close();
      if (this.child?.pid) killTree(this.child.pid, 'SIGKILL');
      throw e;
    } finally {
      clearTimeout(timer);
    }
    const info = await this.requireRuntime().request('initialize', { justMyCode: config.justMyCode });
    this.onProcessInfo(info as unknown as ProcessInfo);
  }

  protected override attachRequest(response: DebugProtocol.AttachResponse, args: DebugProtocol.AttachRequestArguments): void {
    this.handle(response, async () => {
      if (this.runtime || this.child) throw new FtpyError('This session is already debugging a program.');
      const { config, warnings } = parseAttach((args ?? {}) as unknown as Record<string, unknown>);
      for (const w of warnings) this.console(w);
      this.attachConfig = config;
      let host: string, port: number, secret: string;
      if (config.pid !== undefined) {
        ({ host, port, secret } = await this.attachByPid(config.pid));
      } else {
        ({ host, port } = config.connect as { host: string; port: number });
        secret = config.secret ?? this.readSecretFile(port);
      }
      let runtime: RuntimeConnection;
      try {
        runtime = await connectToRuntime(host, port, secret);
      } catch (e) {
        throw new FtpyError(
          `Could not attach to the runtime at ${host}:${port}: ${(e as Error).message}. ` +
            'Start the program with `python -m ftpy_runtime --listen PORT program.py` and check the port and secret.',
        );
      }
      this.attachRuntime(runtime);
      const info = await runtime.request('initialize', { justMyCode: config.justMyCode });
      this.onProcessInfo(info as unknown as ProcessInfo);
      this.sendResponse(response);
      this.sendEvent(new InitializedEvent());
    });
  }

  private readSecretFile(port: number): string {
    const path = join(homedir(), ...SECRET_DIR, `port-${port}.secret`);
    if (!existsSync(path)) {
      throw new FtpyError(
        `No \`secret\` was given and the runtime's secret file \`${path}\` does not exist. ` +
          'Pass the secret the runtime printed (attach attribute `secret`), or start it with `--listen` on this machine.',
      );
    }
    return readFileSync(path, 'utf8').trim();
  }

  /**
   * Python 3.14+: run a few lines inside the target with `sys.remote_exec` that start the runtime
   * listening on a free loopback port; the port comes back through a file in a private folder.
   */
  private async attachByPid(pid: number): Promise<{ host: string; port: number; secret: string }> {
    let exe: string;
    try {
      exe = readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
    } catch {
      throw new FtpyError(`There is no process ${pid} that this user can inspect.`);
    }
    const info = await inspectInterpreter(exe);
    const [major, minor] = info.version.split('.').map(Number);
    if (major < 3 || (major === 3 && minor < 14)) {
      throw new FtpyError(
        `Attaching by process id needs Python 3.14's sys.remote_exec, but process ${pid} runs Python ${info.version}. ` +
          'Start the program with `python -m ftpy_runtime --listen 5678 program.py` and attach with "connect": {"port": 5678}.',
      );
    }
    const secret = randomBytes(32).toString('hex');
    const dir = mkdtempSync(join(tmpdir(), 'ftpy-attach-'));
    try {
      const portFile = join(dir, 'port');
      const script = join(dir, 'attach.py');
      writeFileSync(
        script,
        [
          'import sys',
          `sys.path.insert(0, ${JSON.stringify(runtimeDir())})`,
          'from ftpy_runtime.remote import serve',
          `serve(${JSON.stringify(portFile)}, ${JSON.stringify(secret)})`,
          '',
        ].join('\n'),
        { mode: 0o600 },
      );
      await new Promise<void>((resolvePromise, reject) => {
        execFile(
          exe,
          ['-c', `import sys; sys.remote_exec(${pid}, ${JSON.stringify(script)})`],
          { timeout: 15_000 },
          (err, _out, stderr) => {
            if (err)
              reject(
                new FtpyError(
                  `sys.remote_exec into process ${pid} failed: ${stderr.trim() || err.message}. ` +
                    'It needs the same user and ptrace permission (see /proc/sys/kernel/yama/ptrace_scope).',
                ),
              );
            else resolvePromise();
          },
        );
      });
      const deadline = Date.now() + 15_000;
      while (!existsSync(portFile)) {
        if (Date.now() > deadline) {
          throw new FtpyError(
            `Process ${pid} did not start the debugger within 15 s (it runs the attach code the next time its main thread runs Python).`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      return { host: '127.0.0.1', port: Number(readFileSync(portFile, 'utf8')), secret };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  private onProcessInfo(info: ProcessInfo): void {
    this.processInfo = info;
    if (info && typeof info.pid === 'number') {
      this.sendEvent(
        new Event('process', {
          name: info.program ?? 'python',
          systemProcessId: info.pid,
          isLocalProcess: true,
          startMethod: this.attachConfig ? 'attach' : 'launch',
        }),
      );
    }
  }

  private attachRuntime(runtime: RuntimeConnection): void {
    this.runtime = runtime;
    runtime.on('event', (e) => this.onRuntimeEvent(e));
    runtime.on('close', () => {
      // Launched with pipes: the child's exit handler reports the end, with its status.
      if (!this.child && !this.restarting) this.end(this.runtimeExitCode ?? null, null, 'the runtime closed the connection');
    });
  }

  private watchChild(child: ChildProcess): void {
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const finish = (): void => {
      if (!exited || child !== this.child) return;
      this.child = undefined;
      if (!this.restarting) this.end(exited.code, exited.signal);
    };
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      setTimeout(finish, 300); // let the pipes drain; 'close' usually comes first
    });
    child.once('close', () => {
      if (exited) finish();
    });
  }

  /** The debuggee is gone: say how, once. */
  private end(code: number | null, signal: NodeJS.Signals | null, why?: string): void {
    if (this.ended) return;
    this.ended = true;
    this.listener?.close();
    this.runtime?.close();
    let exitCode = code ?? this.runtimeExitCode;
    if (signal) {
      this.console(`The program was killed by signal ${describeSignal(signal)}.`, 'stderr');
      exitCode = exitCodeForSignal(signal);
    } else if (exitCode === undefined || exitCode === null) {
      this.console(`The program ended without reporting an exit status (${why ?? 'it may have crashed'}).`, 'stderr');
    }
    this.sendEvent(new ExitedEvent(exitCode ?? 1));
    this.sendEvent(new TerminatedEvent());
  }

  private onRuntimeEvent(e: RuntimeEvent): void {
    const body = e.body ?? {};
    switch (e.event) {
      case 'stopped': {
        const ev = new StoppedEvent(String(body.reason ?? 'pause'), Number(body.threadId ?? 1)) as DebugProtocol.StoppedEvent;
        Object.assign(ev.body, body, { allThreadsStopped: true });
        this.sendEvent(ev);
        break;
      }
      case 'continued':
        this.sendEvent(new Event('continued', body));
        break;
      case 'output': {
        const ev = new OutputEvent(String(body.output ?? ''), String(body.category ?? 'console')) as DebugProtocol.OutputEvent;
        if (body.source) ev.body.source = body.source as DebugProtocol.Source;
        if (typeof body.line === 'number') ev.body.line = body.line;
        this.sendEvent(ev);
        break;
      }
      case 'breakpoint':
        this.sendEvent(new BreakpointEvent(String(body.reason ?? 'changed'), body.breakpoint as DebugProtocol.Breakpoint));
        break;
      case 'thread':
        this.sendEvent(new ThreadEvent(String(body.reason ?? 'started'), Number(body.threadId ?? 0)));
        break;
      case 'exited':
        if (typeof body.exitCode === 'number') this.runtimeExitCode = body.exitCode;
        break;
      case 'race':
        this.sendEvent(new Event('ftpython.race', body));
        break;
      case 'gil':
        this.sendEvent(new Event('ftpython.gil', body));
        break;
      case 'deadlock':
        this.sendEvent(new Event('ftpython.deadlock', body));
        break;
      case 'process':
        break;
    }
  }

  // Configuration.

  protected override setBreakPointsRequest(
    response: DebugProtocol.SetBreakpointsResponse,
    args: DebugProtocol.SetBreakpointsArguments,
  ): void {
    this.handle(response, async () => {
      const path = args.source?.path;
      if (typeof path !== 'string') throw new FtpyError('setBreakpoints needs a source with a path.');
      this.breakpointArgs.set(path, args);
      const specs = (args.breakpoints ?? (args.lines ?? []).map((line) => ({ line }))).map((b) => ({
        ...b,
        line: this.convertClientLineToDebugger(b.line),
      }));
      if (!this.runtime || this.runtime.isClosed) {
        response.body = { breakpoints: specs.map((b) => ({ verified: false, line: b.line, message: 'the program is not running' })) };
      } else {
        const body = await this.runtime.request('setBreakpoints', { source: { path }, breakpoints: specs });
        const bps = (body.breakpoints as DebugProtocol.Breakpoint[]) ?? [];
        response.body = {
          breakpoints: bps.map((b) => ({ ...b, line: b.line !== undefined ? this.convertDebuggerLineToClient(b.line) : undefined })),
        };
      }
      this.sendResponse(response);
    });
  }

  protected override setFunctionBreakPointsRequest(
    response: DebugProtocol.SetFunctionBreakpointsResponse,
    args: DebugProtocol.SetFunctionBreakpointsArguments,
  ): void {
    this.functionBreakpointArgs = args;
    this.forward(response, 'setFunctionBreakpoints', args);
  }

  protected override setExceptionBreakPointsRequest(
    response: DebugProtocol.SetExceptionBreakpointsResponse,
    args: DebugProtocol.SetExceptionBreakpointsArguments,
  ): void {
    this.exceptionBreakpointArgs = args;
    this.forward(response, 'setExceptionBreakpoints', args);
  }

  protected override configurationDoneRequest(
    response: DebugProtocol.ConfigurationDoneResponse,
    args: DebugProtocol.ConfigurationDoneArguments,
  ): void {
    this.configurationDone = true;
    this.forward(response, 'configurationDone', args ?? {});
  }

  // Execution.

  protected override continueRequest(response: DebugProtocol.ContinueResponse, args: DebugProtocol.ContinueArguments): void {
    this.forward(response, 'continue', args);
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse, args: DebugProtocol.PauseArguments): void {
    this.forward(response, 'pause', args);
  }

  protected override nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    this.forward(response, 'next', args);
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    this.forward(response, 'stepIn', args);
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): void {
    this.forward(response, 'stepOut', args);
  }

  // Inspection.

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    this.handle(response, async () => {
      let threads: Thread[] = [];
      if (this.runtime && !this.runtime.isClosed) {
        try {
          const body = await this.runtime.request('threads', {});
          threads = (body.threads as Thread[]) ?? [];
        } catch (err) {
          if (!this.runtimeGone) throw err; // the program ended meanwhile: no threads is the answer
        }
      }
      response.body = { threads };
      this.sendResponse(response);
    });
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    this.forward(response, 'stackTrace', args, { stackFrames: [], totalFrames: 0 });
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    this.forward(response, 'scopes', args, { scopes: [] });
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    this.forward(response, 'variables', args, { variables: [] });
  }

  protected override setVariableRequest(response: DebugProtocol.SetVariableResponse, args: DebugProtocol.SetVariableArguments): void {
    this.forward(response, 'setVariable', args);
  }

  protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    this.forward(response, 'evaluate', args);
  }

  protected override completionsRequest(response: DebugProtocol.CompletionsResponse, args: DebugProtocol.CompletionsArguments): void {
    this.forward(response, 'completions', args);
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse, args: DebugProtocol.ExceptionInfoArguments): void {
    this.forward(response, 'exceptionInfo', args);
  }

  /**
   * Custom requests: `ftpython/ownership` (live objects per owning thread, `{ top?: number }`)
   * and `ftpython/locks` (held tracked locks, waiting threads, deadlocks). Both only while stopped.
   */
  protected override customRequest(command: string, response: DebugProtocol.Response, args: unknown): void {
    const runtimeCommand = CUSTOM_REQUESTS.get(command);
    if (runtimeCommand === undefined) {
      this.sendErrorResponse(response, { id: 1002, format: `Unknown request ${command}.`, showUser: false });
      return;
    }
    this.forward(response, runtimeCommand, (args ?? {}) as object);
  }

  // Ending and restarting.

  /** Stop the debuggee and wait (briefly) until it is gone. */
  private async killDebuggee(): Promise<void> {
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
    if (!child && !this.ended && this.launchConfig?.console === 'integratedTerminal' && this.processInfo?.pid) {
      // Started in a terminal: we only know its pid, and only trust it while its runtime is connected.
      const runtime = this.runtime;
      const gone =
        runtime && !runtime.isClosed ? new Promise<void>((resolve) => runtime.once('close', () => resolve())) : Promise.resolve();
      try {
        process.kill(this.processInfo.pid, 'SIGTERM');
      } catch {
        /* gone */
      }
      await Promise.race([gone, new Promise<void>((resolve) => setTimeout(resolve, 2000).unref())]);
    }
  }

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse, args: DebugProtocol.DisconnectArguments): void {
    this.handle(response, async () => {
      const terminate = args?.terminateDebuggee ?? !this.attachConfig;
      if (this.attachConfig && this.runtime && !this.runtime.isClosed) {
        await this.runtime.request('disconnect', { terminateDebuggee: terminate }).catch(() => undefined);
        this.runtime.close();
      }
      if (terminate) await this.killDebuggee();
      this.listener?.close();
      this.sendResponse(response);
    });
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.handle(response, async () => {
      if (this.attachConfig && this.runtime && !this.runtime.isClosed) {
        await this.runtime.request('disconnect', { terminateDebuggee: true }).catch(() => undefined);
      } else {
        await this.killDebuggee();
      }
      this.sendResponse(response);
    });
  }

  protected override restartRequest(response: DebugProtocol.RestartResponse, args: DebugProtocol.RestartArguments): void {
    this.handle(response, async () => {
      if (!this.launchConfig) throw new FtpyError('Only a launched program can be restarted.');
      const newArgs = args?.arguments as Record<string, unknown> | undefined;
      const config = newArgs ? parseLaunch(newArgs).config : this.launchConfig;
      this.restarting = true;
      try {
        await this.killDebuggee();
        this.runtime?.close();
        this.listener?.close();
        this.runtime = undefined;
        this.child = undefined;
        this.runtimeExitCode = undefined;
        this.launchConfig = config;
        await this.startDebuggee(config);
      } finally {
        this.restarting = false;
      }
      const runtime = this.requireRuntime();
      for (const bpArgs of this.breakpointArgs.values()) {
        await runtime.request('setBreakpoints', { source: { path: bpArgs.source.path }, breakpoints: bpArgs.breakpoints ?? [] });
      }
      if (this.functionBreakpointArgs) await runtime.request('setFunctionBreakpoints', this.functionBreakpointArgs as unknown as Body);
      if (this.exceptionBreakpointArgs) await runtime.request('setExceptionBreakpoints', this.exceptionBreakpointArgs as unknown as Body);
      if (this.configurationDone) await runtime.request('configurationDone', {});
      this.sendResponse(response);
    });
  }
}
