/**
 * The DAP session: a thin map from DAP requests to the runtime protocol, and from what the
 * debuggee reports to DAP events.
 *
 * All the debugging happens in the runtime (runtime/ftpy_runtime). The program itself — starting
 * it, attaching to it, its connection, ending it — is a Debuggee (debuggee.ts); runtime events
 * become DAP events in runtimeEvents.ts. This class keeps only what DAP needs: the client's
 * breakpoints (to send again after a restart) and which request started the session. It keeps
 * no process-global state and never exits the process, so the extension can run it inline.
 */
import {
  ExitedEvent,
  Event,
  InitializedEvent,
  LoggingDebugSession,
  OutputEvent,
  TerminatedEvent,
  type Thread,
  ThreadEvent,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { type AnnouncedChild, childAttachConfiguration } from './childProcesses';
import { FtpyError } from './core/errors';
import { Debuggee, type NoteCategory, type TerminalCommand } from './debuggee';
import { type AttachConfig, type LaunchConfig, parseAttach, parseLaunch } from './launchConfig';
import type { Command, ProcessInfo } from './protocol';
import { dapEvent } from './runtimeEvents';

/** How long the client may take to answer runInTerminal (it only has to start a terminal). */
const RUN_IN_TERMINAL_TIMEOUT_MS = 10_000;

/** How long the client may take to start a child session. */
const START_CHILD_TIMEOUT_MS = 20_000;

type Body = Record<string, unknown>;

/** Custom DAP requests and the runtime commands that answer them. */
const CUSTOM_REQUESTS: ReadonlyMap<string, Command> = new Map<string, Command>([
  ['ftpython/ownership', 'ownership'],
  ['ftpython/locks', 'locks'],
  ['ftpython/threadStacks', 'threadStacks'],
  ['ftpython/parallelEvaluate', 'parallelEvaluate'],
  ['ftpython/freeze', 'freeze'],
]);

/** Debug Console commands that are not Python: `!threads` prints every stack grouped (Delve's `goroutines -group`). */
const THREADS_COMMAND = /^\s*!threads(\s+--group)?\s*$/;

export class FtpySession extends LoggingDebugSession {
  private debuggee?: Debuggee;
  private launchConfig?: LaunchConfig;
  private attachConfig?: AttachConfig;
  private readonly breakpointArgs = new Map<string, DebugProtocol.SetBreakpointsArguments>();
  private functionBreakpointArgs?: DebugProtocol.SetFunctionBreakpointsArguments;
  private exceptionBreakpointArgs?: DebugProtocol.SetExceptionBreakpointsArguments;
  private configurationDone = false;
  /** Does the client answer `startDebugging` (child sessions for child processes)? */
  private clientStartsChildSessions = false;
  /** The launch configuration's name, which child sessions' names start with. */
  private sessionName = 'Free-Threaded Python';

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

  private requireDebuggee(): Debuggee {
    if (!this.debuggee?.isConnected) {
      throw new FtpyError(
        this.debuggee?.hasEnded ? 'The debuggee has ended.' : 'No program is being debugged yet: send launch or attach first.',
      );
    }
    return this.debuggee;
  }

  /** Is the debuggee gone (or on its way out), so that a request to it can only fail? */
  private get runtimeGone(): boolean {
    return this.debuggee?.isGone === true;
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
        response.body = await this.requireDebuggee().request(command, args as Body);
      } catch (err) {
        if (!whenGone || !this.runtimeGone) throw err;
        response.body = whenGone; // the connection closed while the request was on its way
      }
      this.sendResponse(response);
    });
  }

  private console(text: string, category: NoteCategory = 'console'): void {
    this.sendEvent(new OutputEvent(text.endsWith('\n') ? text : `${text}\n`, category));
  }

  // Initialization.

  protected override initializeRequest(response: DebugProtocol.InitializeResponse, args: DebugProtocol.InitializeRequestArguments): void {
    this.clientStartsChildSessions = args?.supportsStartDebuggingRequest === true;
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
      supportsDataBreakpoints: true,
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
      if (this.debuggee?.hasStarted) throw new FtpyError('This session is already debugging a program.');
      const { config, warnings } = parseLaunch((args ?? {}) as unknown as Record<string, unknown>);
      for (const w of warnings) this.console(w);
      if (typeof (args as { name?: unknown })?.name === 'string') this.sessionName = (args as { name: string }).name;
      this.launchConfig = config;
      await this.launch(config);
      this.sendResponse(response);
      this.sendEvent(new InitializedEvent());
    });
  }

  private async launch(config: LaunchConfig): Promise<void> {
    const debuggee = this.follow(new Debuggee('launch'));
    this.onProcessInfo(await debuggee.launch(config, (cmd) => this.runInTerminal(cmd)));
  }

  /** Ask the client to run the program in its terminal; rejects when it cannot. */
  private runInTerminal(cmd: TerminalCommand): Promise<void> {
    const termArgs: DebugProtocol.RunInTerminalRequestArguments = { kind: 'integrated', ...cmd };
    return new Promise((resolve, reject) => {
      this.runInTerminalRequest(termArgs, RUN_IN_TERMINAL_TIMEOUT_MS, (r) => {
        if (r.success) resolve();
        else reject(new FtpyError(`The client could not start the program in a terminal: ${r.message ?? 'unknown error'}.`));
      });
    });
  }

  protected override attachRequest(response: DebugProtocol.AttachResponse, args: DebugProtocol.AttachRequestArguments): void {
    this.handle(response, async () => {
      if (this.debuggee?.hasStarted) throw new FtpyError('This session is already debugging a program.');
      const { config, warnings } = parseAttach((args ?? {}) as unknown as Record<string, unknown>);
      for (const w of warnings) this.console(w);
      this.attachConfig = config;
      const debuggee = this.follow(new Debuggee('attach'));
      this.onProcessInfo(await debuggee.attach(config));
      this.sendResponse(response);
      this.sendEvent(new InitializedEvent());
    });
  }

  /**
   * Make `debuggee` the session's program and pass on what it reports. A debuggee that a restart
   * has replaced still has its last output shown, but its end and its runtime's events are not
   * the session's any more.
   */
  private follow(debuggee: Debuggee): Debuggee {
    this.debuggee = debuggee;
    const current = (): boolean => debuggee === this.debuggee;
    debuggee.on('output', (text, stream) => this.sendEvent(new OutputEvent(text, stream)));
    debuggee.on('note', (text, category) => this.console(text, category));
    debuggee.on('runtime', (e) => {
      const ev = current() ? dapEvent(e) : undefined;
      if (ev) this.sendEvent(ev);
    });
    debuggee.on('child', (child) => this.onChildProcess(child));
    debuggee.on('end', (exitCode) => {
      if (!current()) return;
      this.sendEvent(new ExitedEvent(exitCode));
      this.sendEvent(new TerminatedEvent());
    });
    return debuggee;
  }

  /** A child process of the program announced itself: ask the client for a child session, or let it run on. */
  private onChildProcess(child: AnnouncedChild): void {
    const { info } = child;
    const who = `Child process ${info.pid}${info.program ? ` (${info.program})` : ''}, ${info.build}`;
    if (!info.supported) {
      this.console(`${who}, runs without the debugger: ${info.reason ?? 'its Python cannot run the runtime'}.`);
      child.decline();
      return;
    }
    if (!this.clientStartsChildSessions) {
      this.console(`${who}, runs without the debugger: this client cannot start child sessions (no startDebugging).`);
      child.decline();
      return;
    }
    const configuration = childAttachConfiguration(info, this.sessionName, this.launchConfig?.justMyCode ?? true);
    this.console(`${who}: debugging it in a child session.`);
    this.sendRequest('startDebugging', { request: 'attach', configuration }, START_CHILD_TIMEOUT_MS, (r) => {
      if (r.success) child.accepted();
      else {
        this.console(`${who}, runs without the debugger: the client did not start its session (${r.message ?? 'no reason given'}).`);
        child.decline();
      }
    });
  }

  private onProcessInfo(info: ProcessInfo): void {
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
      if (!this.debuggee?.isConnected) {
        response.body = { breakpoints: specs.map((b) => ({ verified: false, line: b.line, message: 'the program is not running' })) };
      } else {
        const body = await this.debuggee.request('setBreakpoints', { source: { path }, breakpoints: specs });
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

  /** "Break on Value Change": runtime/ftpy_runtime/debugger/databreakpoints.py (a `condition` such as `thread != owner` filters by thread). */
  protected override dataBreakpointInfoRequest(
    response: DebugProtocol.DataBreakpointInfoResponse,
    args: DebugProtocol.DataBreakpointInfoArguments,
  ): void {
    if (!this.debuggee?.isConnected) {
      response.body = { dataId: null, description: 'the program is not running' };
      this.sendResponse(response);
      return;
    }
    this.forward(response, 'dataBreakpointInfo', args, { dataId: null, description: 'the program has ended' });
  }

  protected override setDataBreakpointsRequest(
    response: DebugProtocol.SetDataBreakpointsResponse,
    args: DebugProtocol.SetDataBreakpointsArguments,
  ): void {
    if (!this.debuggee?.isConnected) {
      response.body = { breakpoints: args.breakpoints.map(() => ({ verified: false, message: 'the program is not running' })) };
      this.sendResponse(response);
      return;
    }
    this.forward(response, 'setDataBreakpoints', args, { breakpoints: [] });
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
    this.forwardSingleThread(response, 'continue', args);
  }

  /**
   * A request that may let one thread go (`singleThread`). VS Code's own buttons never send it
   * (vscode#166450); the extension's "… This Thread Only" commands do, through customRequest,
   * which VS Code does not follow: the `continued` event tells it which thread runs now.
   */
  private forwardSingleThread(response: DebugProtocol.Response, command: Command, args: DebugProtocol.ContinueArguments): void {
    if (!args?.singleThread) {
      this.forward(response, command, args);
      return;
    }
    this.handle(response, async () => {
      response.body = await this.requireDebuggee().request(command, args as unknown as Body);
      this.sendResponse(response);
      this.sendEvent(new Event('continued', { threadId: args.threadId, allThreadsContinued: false }));
    });
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse, args: DebugProtocol.PauseArguments): void {
    this.forward(response, 'pause', args);
  }

  protected override nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    this.forwardSingleThread(response, 'next', args);
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
      if (this.debuggee?.isConnected) {
        try {
          const body = await this.debuggee.request('threads', {});
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
    if (args.context === 'repl' && THREADS_COMMAND.test(args.expression)) {
      this.handle(response, async () => {
        const body = await this.requireDebuggee().request('threadStacks', {});
        response.body = { result: String(body.text ?? ''), variablesReference: 0 };
        this.sendResponse(response);
      });
      return;
    }
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
   * `ftpython/threadStacks` (every stack, grouped: Parallel Stacks), `ftpython/parallelEvaluate`
   * (`{ expression, depth?, threadIds? }`: Parallel Watch), `ftpython/freeze`
   * (`{ threadId, frozen }`: freeze or thaw a thread).
   */
  protected override customRequest(command: string, response: DebugProtocol.Response, args: unknown): void {
    if (command === 'ftpython/focusThread' || command === 'ftpython/freeze') {
      this.parallelRequest(command, response, (args ?? {}) as Body);
      return;
    }
    const runtimeCommand = CUSTOM_REQUESTS.get(command);
    if (runtimeCommand === undefined) {
      this.sendErrorResponse(response, { id: 1002, format: `Unknown request ${command}.`, showUser: false });
      return;
    }
    this.forward(response, runtimeCommand, (args ?? {}) as object);
  }

  /**
   * `ftpython/focusThread` (`{ threadId }`): move the client's focus to a stopped thread. No DAP
   * request does, and no VS Code API (vscode#281784): a `stopped` event for the thread, marked
   * `ftpyFocus`, makes VS Code select it. `ftpython/freeze`: then a `thread` event, on which VS
   * Code asks for the threads again and shows the label that says "(frozen)".
   */
  private parallelRequest(command: string, response: DebugProtocol.Response, args: Body): void {
    this.handle(response, async () => {
      const threadId = Number(args.threadId);
      if (command === 'ftpython/freeze') response.body = await this.requireDebuggee().request('freeze', args);
      this.sendResponse(response);
      if (command === 'ftpython/freeze') this.sendEvent(new ThreadEvent('started', threadId));
      else
        this.sendEvent(
          new Event('stopped', {
            reason: 'pause',
            description: 'Selected in Parallel Stacks',
            threadId,
            allThreadsStopped: true,
            preserveFocusHint: false,
            ftpyFocus: true,
          }),
        );
    });
  }

  // Ending and restarting.

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse, args: DebugProtocol.DisconnectArguments): void {
    this.handle(response, async () => {
      await this.debuggee?.disconnect(args?.terminateDebuggee ?? !this.attachConfig);
      this.sendResponse(response);
    });
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.handle(response, async () => {
      await this.debuggee?.terminate();
      this.sendResponse(response);
    });
  }

  /** Start the program again (with new arguments if given) and send it the client's breakpoints. */
  protected override restartRequest(response: DebugProtocol.RestartResponse, args: DebugProtocol.RestartArguments): void {
    this.handle(response, async () => {
      if (!this.launchConfig) throw new FtpyError('Only a launched program can be restarted.');
      const newArgs = args?.arguments as Record<string, unknown> | undefined;
      const config = newArgs ? parseLaunch(newArgs).config : this.launchConfig;
      const old = this.debuggee;
      this.debuggee = undefined; // from now on its end is not the session's: a new program follows
      if (old) {
        await old.kill();
        old.close();
      }
      this.launchConfig = config;
      await this.launch(config);
      const debuggee = this.requireDebuggee();
      for (const bpArgs of this.breakpointArgs.values()) {
        await debuggee.request('setBreakpoints', { source: { path: bpArgs.source.path }, breakpoints: bpArgs.breakpoints ?? [] });
      }
      if (this.functionBreakpointArgs) await debuggee.request('setFunctionBreakpoints', this.functionBreakpointArgs as unknown as Body);
      if (this.exceptionBreakpointArgs) await debuggee.request('setExceptionBreakpoints', this.exceptionBreakpointArgs as unknown as Body);
      if (this.configurationDone) await debuggee.request('configurationDone', {});
      this.sendResponse(response);
    });
  }
}
