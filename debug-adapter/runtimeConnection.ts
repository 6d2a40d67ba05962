/**
 * The adapter's end of the runtime protocol: a JSON-lines socket with request/response
 * matching, and the secret handshake in both directions (launch: the runtime dials us;
 * attach: we dial the runtime).
 */
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { type Command, type Message, PROTOCOL_VERSION, type Response, type RuntimeEvent, decode, encode } from './protocol';

export class RuntimeRequestError extends Error {}

interface Pending {
  resolve: (body: Record<string, unknown>) => void;
  reject: (err: Error) => void;
  command: string;
}

/** Splits a byte stream into lines. */
class LineReader {
  private buffer = '';
  constructor(private readonly onLine: (line: string) => void) {}
  push(chunk: Buffer): void {
    this.buffer += chunk.toString('utf8');
    for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (line.trim()) this.onLine(line);
    }
  }
}

/** An authenticated connection to one runtime. */
export class RuntimeConnection extends EventEmitter<{ event: [RuntimeEvent]; close: [] }> {
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  private closed = false;

  constructor(
    private readonly socket: net.Socket,
    leftover: string[] = [],
  ) {
    super();
    socket.setNoDelay(true); // small messages both ways: no Nagle delay
    const reader = new LineReader((line) => this.onLine(line));
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('close', () => this.onClose());
    socket.on('error', () => {
      /* 'close' follows */
    });
    // Lines that arrived with the handshake are delivered once listeners are attached.
    if (leftover.length)
      setImmediate(() => {
        for (const l of leftover) this.onLine(l);
      });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  request(command: Command, args: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    if (this.closed) return Promise.reject(new RuntimeRequestError('The debuggee is no longer running.'));
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject, command });
      this.socket.write(encode({ type: 'request', seq, command, arguments: args }));
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onLine(line: string): void {
    let msg: Message;
    try {
      msg = decode(line);
    } catch {
      return;
    }
    if (msg.type === 'response') this.onResponse(msg);
    else if (msg.type === 'event') this.emit('event', msg);
  }

  private onResponse(msg: Response): void {
    const p = this.pending.get(msg.request_seq);
    if (!p) return;
    this.pending.delete(msg.request_seq);
    if (msg.success) p.resolve(msg.body ?? {});
    else p.reject(new RuntimeRequestError(msg.message ?? `${p.command} failed`));
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) p.reject(new RuntimeRequestError('The debuggee is no longer running.'));
    this.pending.clear();
    this.emit('close');
  }
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Read the first line of a socket (the handshake), keeping whatever followed it. */
function firstLine(socket: net.Socket, timeoutMs: number): Promise<{ line: string; rest: string[] }> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error('no handshake within the time limit'));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString('utf8');
      const nl = buffer.indexOf('\n');
      if (nl >= 0) {
        cleanup();
        const rest = buffer
          .slice(nl + 1)
          .split('\n')
          .filter((l) => l.trim());
        resolve({ line: buffer.slice(0, nl), rest });
      }
    };
    const onEnd = (): void => {
      cleanup();
      reject(new Error('the peer closed the connection during the handshake'));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onEnd);
      socket.off('error', onEnd);
    };
    socket.on('data', onData);
    socket.on('close', onEnd);
    socket.on('error', onEnd);
  });
}

/** A loopback server that waits for the launched runtime and turns away anyone without the secret. */
export class RuntimeListener {
  private readonly server = net.createServer();
  private resolveAccepted!: (c: RuntimeConnection) => void;
  readonly accepted: Promise<RuntimeConnection>;
  private done = false;

  /** `onEach`: keep listening and hand over every authenticated connection (the child listener). */
  constructor(
    private readonly token: string,
    private readonly log: (message: string) => void,
    private readonly onEach?: (connection: RuntimeConnection) => void,
  ) {
    this.accepted = new Promise((resolve) => {
      this.resolveAccepted = resolve;
    });
    this.server.on('connection', (socket) => void this.onConnection(socket));
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : 0);
      });
    });
  }

  close(): void {
    this.done = true;
    this.server.close();
  }

  private async onConnection(socket: net.Socket): Promise<void> {
    const who = `${socket.remoteAddress}:${socket.remotePort}`;
    if (this.done) {
      socket.destroy();
      return;
    }
    let hello: { line: string; rest: string[] };
    try {
      hello = await firstLine(socket, 10_000);
    } catch (e) {
      this.log(`Rejected a connection from ${who}: ${(e as Error).message}.`);
      socket.destroy();
      return;
    }
    let msg: Message | undefined;
    try {
      msg = decode(hello.line);
    } catch {
      msg = undefined;
    }
    if (msg?.type !== 'hello' || typeof msg.token !== 'string' || !sameSecret(msg.token, this.token) || this.done) {
      this.log(`Rejected a connection from ${who}: it did not present the session secret.`);
      socket.end(encode({ type: 'rejected', message: 'wrong or missing session secret' }));
      socket.destroy();
      return;
    }
    if (!this.onEach) {
      this.done = true;
      this.server.close();
    }
    socket.write(encode({ type: 'welcome', protocol: PROTOCOL_VERSION, role: 'adapter' }));
    const connection = new RuntimeConnection(socket, hello.rest);
    if (this.onEach) this.onEach(connection);
    else this.resolveAccepted(connection);
  }
}

/** Dial a runtime started with `--listen` and present the secret. */
export async function connectToRuntime(host: string, port: number, token: string, timeoutMs = 10_000): Promise<RuntimeConnection> {
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.createConnection({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`timed out connecting to ${host}:${port}`));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  socket.write(encode({ type: 'hello', protocol: PROTOCOL_VERSION, role: 'adapter', token }));
  const { line, rest } = await firstLine(socket, timeoutMs);
  const reply = decode(line);
  if (reply.type !== 'welcome') {
    socket.destroy();
    throw new Error(
      reply.type === 'rejected' ? `the runtime rejected the session secret (${reply.message})` : 'unexpected handshake reply',
    );
  }
  return new RuntimeConnection(socket, rest);
}
