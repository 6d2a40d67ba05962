/**
 * Child processes (`subProcess: true`): the loopback listener that the program's child Python
 * processes announce themselves to, and the attach configuration a child session gets.
 *
 * The listener has its own secret, which reaches the children through the environment
 * (`FTPY_CHILD_LISTENER` for the program, which passes it on to its descendants as
 * `FTPY_SUBPROCESS`: runtime/ftpy_runtime/runner/child.py). Each child dials in with the usual
 * authenticated handshake (runtimeConnection.ts) and sends one `process` event whose body has
 * `child`: the loopback port its own runtime listens on and that runtime's secret, or why it
 * cannot be debugged. The session then asks the client for a child session (DAP
 * `startDebugging`), which attaches there, or declines (a `disconnect` request on the announce
 * connection) and the child runs on undebugged.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type RuntimeConnection, RuntimeListener, throttledRejections } from './runtimeConnection';

/** The environment variable that tells the launched program where the child listener is. */
export const CHILD_LISTENER_ENV = 'FTPY_CHILD_LISTENER';

/** What a child process says about itself. */
export interface ChildAnnouncement {
  pid: number;
  ppid?: number;
  program?: string | null;
  executable?: string;
  /** "Python 3.13.5 (free-threaded)" */
  build: string;
  /** Can it be debugged (does its Python run the runtime)? */
  supported: boolean;
  reason?: string;
  /** Where its runtime listens, and that runtime's secret (when supported). */
  port?: number;
  secret?: string;
  /** Announced at: for the child session's start latency. */
  announcedAt: number;
}

/** One child that announced itself, with the connection it announced on (to decline it). */
export class AnnouncedChild {
  constructor(
    readonly info: ChildAnnouncement,
    private readonly connection: RuntimeConnection,
  ) {}

  /** Let the child run on without the debugger. */
  decline(): void {
    this.connection
      .request('disconnect', { terminateDebuggee: false })
      .catch(() => undefined)
      .finally(() => this.connection.close());
  }

  /** A child session attaches to it: the announce connection has done its job. */
  accepted(): void {
    this.connection.close();
  }
}

export class ChildListener extends EventEmitter<{ child: [AnnouncedChild] }> {
  readonly token = randomBytes(32).toString('hex');
  private readonly listener: RuntimeListener;
  private readonly connections = new Set<RuntimeConnection>();
  private port = 0;

  constructor(log: (message: string) => void) {
    super();
    this.listener = new RuntimeListener(this.token, throttledRejections(log), (c) => this.onConnection(c));
  }

  async listen(): Promise<number> {
    this.port = await this.listener.listen();
    return this.port;
  }

  /** The value of `CHILD_LISTENER_ENV` for the program. */
  get envValue(): string {
    return JSON.stringify({ host: '127.0.0.1', port: this.port, token: this.token });
  }

  close(): void {
    this.listener.close();
    for (const c of this.connections) c.close();
    this.connections.clear();
  }

  private onConnection(connection: RuntimeConnection): void {
    this.connections.add(connection);
    connection.on('close', () => this.connections.delete(connection));
    const timer = setTimeout(() => connection.close(), 10_000); // announce promptly or not at all
    connection.once('event', (e) => {
      clearTimeout(timer);
      const body = e.body ?? {};
      const child = (body.child ?? {}) as Record<string, unknown>;
      if (e.event !== 'process' || typeof body.pid !== 'number') {
        connection.close();
        return;
      }
      const info: ChildAnnouncement = {
        pid: body.pid,
        ppid: typeof child.ppid === 'number' ? child.ppid : undefined,
        program: typeof body.program === 'string' ? body.program : null,
        executable: typeof body.executable === 'string' ? body.executable : undefined,
        build: typeof child.build === 'string' ? child.build : 'Python',
        supported: child.supported === true && typeof child.port === 'number' && typeof child.secret === 'string',
        reason: typeof child.reason === 'string' ? child.reason : undefined,
        port: typeof child.port === 'number' ? child.port : undefined,
        secret: typeof child.secret === 'string' ? child.secret : undefined,
        announcedAt: Date.now(),
      };
      this.emit('child', new AnnouncedChild(info, connection));
    });
  }
}

/** The attach configuration of a child's session (what `startDebugging` asks the client to start). */
export function childAttachConfiguration(info: ChildAnnouncement, parentName: string, justMyCode: boolean): Record<string, unknown> {
  const what = info.program ? ` (${info.program.split(/[\\/]/).pop()})` : '';
  return {
    type: 'ftpython',
    request: 'attach',
    name: `${parentName}: child ${info.pid}${what}`,
    connect: { host: '127.0.0.1', port: info.port },
    secret: info.secret,
    justMyCode,
  };
}
