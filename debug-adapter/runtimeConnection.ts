/**
 * The adapter's end of the runtime protocol: a JSON-lines socket with request/response
 * matching, and the mutual handshake (`handshake`) in front of every connection (launch: the
 * runtime dials us; attach: we dial the runtime).
 */
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  type Command,
  HANDSHAKE_LABEL,
  HANDSHAKE_TIMEOUT_MS,
  MAX_HANDSHAKE_LINE,
  type Message,
  PROTOCOL_VERSION,
  type Response,
  type RuntimeEvent,
  decode,
  encode,
} from './protocol';

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

/** What the side `prover` sends to show it knows the secret: HMAC(secret, label|prover|Nc|Nl). */
export function handshakeProof(secret: string, prover: 'connector' | 'listener', connectorNonce: string, listenerNonce: string): string {
  return createHmac('sha256', secret).update(`${HANDSHAKE_LABEL}|${prover}|${connectorNonce}|${listenerNonce}`).digest('hex');
}

function sameProof(offered: unknown, expected: string): boolean {
  if (typeof offered !== 'string') return false;
  const x = Buffer.from(offered);
  const y = Buffer.from(expected);
  return x.length === y.length && timingSafeEqual(x, y);
}

const NONCE = /^[0-9a-f]{32,128}$/;

export class HandshakeError extends Error {}

/** A handshake line as a flat JSON object (nothing nested, so nothing to recurse into), or undefined. */
function parseFlat(line: string): Record<string, unknown> | undefined {
  if (line.length > MAX_HANDSHAKE_LINE || line.includes('[') || line.split('{').length !== 2) return undefined;
  try {
    const v: unknown = JSON.parse(line);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    return v as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * The mutual handshake, on a fresh socket (the twin of `handshake` in the runtime's
 * agent/handshake.py). Each side proves it knows the session secret with an HMAC over both
 * sides' fresh nonces; the secret is never sent, and the connecting side sends its proof only
 * after the listening side has proved itself. Before authentication a peer gets lines of at
 * most MAX_HANDSHAKE_LINE bytes, one deadline for the whole exchange, and no nested JSON.
 * Resolves with the lines that arrived after the handshake; rejects with a HandshakeError.
 */
export async function handshake(
  socket: net.Socket,
  secret: string,
  options: { listening: boolean; role: 'adapter' | 'runtime'; timeoutMs?: number },
): Promise<string[]> {
  const reader = new HandshakeReader(socket, options.timeoutMs ?? HANDSHAKE_TIMEOUT_MS);
  try {
    const send = (m: Record<string, unknown>): void => {
      socket.write(`${JSON.stringify(m)}\n`);
    };
    const reject = (why: string): never => {
      socket.end(encode({ type: 'rejected', message: why }));
      throw new HandshakeError(why);
    };
    if (options.listening) {
      const hello = await reader.message(reject);
      if (hello.type !== 'hello') reject('no hello');
      if (hello.protocol !== PROTOCOL_VERSION) reject('not a hello of this protocol version');
      const connectorNonce = hello.nonce;
      if (typeof connectorNonce !== 'string' || !NONCE.test(connectorNonce)) return reject('the hello has no nonce');
      const listenerNonce = randomBytes(16).toString('hex');
      send({
        type: 'challenge',
        protocol: PROTOCOL_VERSION,
        role: options.role,
        nonce: listenerNonce,
        proof: handshakeProof(secret, 'listener', connectorNonce, listenerNonce),
      });
      const answer = await reader.message(reject);
      if (answer.type !== 'proof' || !sameProof(answer.proof, handshakeProof(secret, 'connector', connectorNonce, listenerNonce)))
        reject('wrong or missing session secret');
      send({ type: 'welcome', protocol: PROTOCOL_VERSION, role: options.role });
    } else {
      const connectorNonce = randomBytes(16).toString('hex');
      send({ type: 'hello', protocol: PROTOCOL_VERSION, role: options.role, nonce: connectorNonce });
      const challenge = await reader.message(reject);
      if (challenge.type === 'rejected') throw new HandshakeError(`the peer rejected the connection: ${String(challenge.message)}`);
      const listenerNonce = challenge.nonce;
      if (
        challenge.type !== 'challenge' ||
        typeof listenerNonce !== 'string' ||
        !NONCE.test(listenerNonce) ||
        !sameProof(challenge.proof, handshakeProof(secret, 'listener', connectorNonce, listenerNonce))
      ) {
        socket.destroy();
        throw new HandshakeError(
          'the session secret does not match: the secret is wrong, or what listens on this port is not the ftpy runtime (nothing was sent to it)',
        );
      }
      send({ type: 'proof', proof: handshakeProof(secret, 'connector', connectorNonce, listenerNonce) });
      const reply = await reader.message(reject);
      if (reply.type !== 'welcome') throw new HandshakeError(`the peer rejected the connection: ${String(reply.message)}`);
    }
    return reader.rest();
  } finally {
    reader.dispose();
  }
}

/** Handshake lines from a socket, under one deadline and a size limit. */
class HandshakeReader {
  private buffer = '';
  private readonly deadline: number;
  private wake: (() => void) | undefined;
  private ended: string | undefined;
  private readonly onData = (chunk: Buffer): void => {
    this.buffer += chunk.toString('utf8');
    this.wake?.();
  };
  private readonly onEnd = (): void => {
    this.ended ??= 'the peer closed the connection during the handshake';
    this.wake?.();
  };

  constructor(
    private readonly socket: net.Socket,
    timeoutMs: number,
  ) {
    this.deadline = Date.now() + timeoutMs;
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onEnd);
  }

  async message(reject: (why: string) => never): Promise<Record<string, unknown>> {
    for (;;) {
      const nl = this.buffer.indexOf('\n');
      if (nl >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        const m = parseFlat(line);
        return m ?? reject(line.length > MAX_HANDSHAKE_LINE ? 'handshake line too long' : 'not a handshake message');
      }
      if (this.buffer.length > MAX_HANDSHAKE_LINE) reject('handshake line too long');
      if (this.ended) throw new HandshakeError(this.ended);
      const left = this.deadline - Date.now();
      if (left <= 0) reject('no handshake within the time limit');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  rest(): string[] {
    return this.buffer.split('\n').filter((l) => l.trim());
  }

  dispose(): void {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    this.socket.off('error', this.onEnd);
  }
}

/** A `log` for a listener's rejections that names the first few, then one line in a hundred with the count. */
export function throttledRejections(log: (message: string) => void): (message: string) => void {
  let n = 0;
  return (message) => {
    n++;
    if (n <= 5 || n % 100 === 0) log(n > 5 ? `${message} (${n} so far)` : message);
  };
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
    socket.on('error', () => {
      /* a reset during the handshake: handled there */
    });
    if (this.done) {
      socket.destroy();
      return;
    }
    let rest: string[];
    try {
      rest = await handshake(socket, this.token, { listening: true, role: 'adapter' });
      if (this.done) throw new HandshakeError('the runtime is already connected');
    } catch (e) {
      // Every one is reported: `log` decides how much of a flood to show (see `throttledRejections`).
      this.log(`Rejected a connection from ${who} that did not present the session secret (${(e as Error).message}).`);
      socket.destroy();
      return;
    }
    if (!this.onEach) {
      this.done = true;
      this.server.close();
    }
    const connection = new RuntimeConnection(socket, rest);
    if (this.onEach) this.onEach(connection);
    else this.resolveAccepted(connection);
  }
}

/** Dial a runtime started with `--listen` and run the mutual handshake. */
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
  try {
    const rest = await handshake(socket, token, { listening: false, role: 'adapter', timeoutMs });
    return new RuntimeConnection(socket, rest);
  } catch (e) {
    socket.destroy();
    throw e;
  }
}
