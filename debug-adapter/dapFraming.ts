/**
 * DAP framing for the standalone adapter (`Content-Length: N\r\n\r\n` + N bytes of JSON), in
 * linear time, and tolerant of whatever a client sends.
 *
 * @vscode/debugadapter's ProtocolServer concatenates every incoming chunk onto one growing buffer
 * (quadratic: a 50 MB request stalled it 13 s), and a body that is not JSON, or that is `null`,
 * makes it emit an `error` event, on which DebugSession shuts the process down. Here chunks are
 * kept in a list and joined once per message, and every malformed input becomes a `Malformed`
 * report (which the session answers with an error response or an `output` event) while framing
 * goes on with the next message.
 */

/** Headers longer than this without a blank line are not DAP. */
const MAX_HEADER = 64 * 1024;
/** Objects and arrays nested deeper than this are refused before anything looks at them. */
export const MAX_DEPTH = 64;
/** How long a body that has stopped short of its Content-Length may wait before it is looked at. */
const STALL_MS = 1000;
/** How many times one body may be re-checked because it seems to contain the next header. */
const MAX_RESYNC_CHECKS = 8;

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = Buffer.from('Content-Length:');

/** Something that could not be taken as a DAP message, and what to answer it with. */
export interface Malformed {
  reason: string;
  /** The request's seq and command, when the message was a request that can get an error response. */
  request?: { seq: number; command: string };
}

export interface FramerSink {
  message(msg: { type: string; [key: string]: unknown }): void;
  malformed(m: Malformed): void;
}

/** Does `value` nest objects/arrays deeper than `limit`? Iterative, and stops as soon as it knows. */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** Check one decoded body: a message to dispatch, or why it cannot be one. */
export function classify(value: unknown): { ok: true; msg: { type: string; [key: string]: unknown } } | { ok: false; bad: Malformed } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return {
      ok: false,
      bad: {
        reason: `a DAP message must be a JSON object, not ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`,
      },
    };
  }
  const obj = value as Record<string, unknown>;
  const asRequest =
    obj.type === 'request' && typeof obj.seq === 'number' && typeof obj.command === 'string'
      ? { seq: obj.seq, command: obj.command }
      : undefined;
  if (obj.type !== 'request' && obj.type !== 'response' && obj.type !== 'event') {
    return {
      ok: false,
      bad: { reason: `a DAP message needs a "type" of "request", "response" or "event" (got ${JSON.stringify(obj.type) ?? 'none'})` },
    };
  }
  if (obj.type === 'request' && !asRequest) {
    return { ok: false, bad: { reason: 'a DAP request needs a numeric "seq" and a string "command"' } };
  }
  if (obj.arguments !== undefined && obj.arguments !== null && (typeof obj.arguments !== 'object' || Array.isArray(obj.arguments))) {
    return { ok: false, bad: { reason: `the arguments of ${String(obj.command)} must be a JSON object`, request: asRequest } };
  }
  if (nestedDeeperThan(obj, MAX_DEPTH)) {
    return { ok: false, bad: { reason: `the message nests objects or arrays more than ${MAX_DEPTH} levels deep`, request: asRequest } };
  }
  return { ok: true, msg: obj as { type: string; [key: string]: unknown } };
}

function parse(body: Buffer): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

/** A request's seq and command, if a body that failed `classify` or `parse` at least looks like one. */
export function requestOf(value: unknown): { seq: number; command: string } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const o = value as Record<string, unknown>;
  return o.type === 'request' && typeof o.seq === 'number' && typeof o.command === 'string'
    ? { seq: o.seq, command: o.command }
    : undefined;
}

export class DapFramer {
  /** Bytes not yet framed, in arrival order. Joined only when a whole message is there. */
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** The body length announced by the current header, or -1 while reading a header. */
  private contentLength = -1;
  /** Where in the current body the search for a following header has got to. */
  private searchedTo = 0;
  private resyncChecks = 0;
  private stallTimer?: NodeJS.Timeout;

  constructor(private readonly sink: FramerSink) {}

  push(data: Buffer): void {
    if (data.length === 0) return;
    this.chunks.push(data);
    this.buffered += data.length;
    this.drain();
  }

  /** Stop the stall timer (the input has ended). */
  close(): void {
    clearTimeout(this.stallTimer);
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
    const head = all.subarray(0, n);
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.buffered = rest.length;
    return head;
  }

  private joined(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  private drain(): void {
    clearTimeout(this.stallTimer);
    for (;;) {
      if (this.contentLength < 0) {
        if (!this.readHeader()) return;
        continue;
      }
      if (this.buffered >= this.contentLength) {
        const body = this.take(this.contentLength);
        this.contentLength = -1;
        this.deliver(body);
        continue;
      }
      // The body is not all here. A Content-Length larger than the message it announced shows as
      // the next message's header inside the "body": look for one in what has arrived.
      if (this.looksResynced()) continue;
      this.stallTimer = setTimeout(() => this.stalled(), STALL_MS);
      this.stallTimer.unref();
      return;
    }
  }

  /** Read one header if it is all here; false when more input is needed. */
  private readHeader(): boolean {
    if (this.buffered === 0) return false;
    const buf = this.joined();
    const end = buf.indexOf(HEADER_END);
    if (end < 0) {
      if (buf.length > MAX_HEADER) {
        this.take(buf.length - 3);
        this.sink.malformed({ reason: `a DAP header of more than ${MAX_HEADER} bytes without a blank line; input discarded` });
      }
      return false;
    }
    const header = this.take(end + HEADER_END.length).toString('utf8', 0, end);
    let length: number | undefined;
    for (const line of header.split('\r\n')) {
      const m = /^Content-Length:\s*(\d+)\s*$/i.exec(line);
      if (m) length = Number(m[1]);
    }
    if (length === undefined || !Number.isSafeInteger(length)) {
      this.sink.malformed({ reason: `a DAP header without a valid Content-Length (${JSON.stringify(header.slice(0, 80))}); skipped` });
      return true;
    }
    this.contentLength = length;
    this.searchedTo = 0;
    this.resyncChecks = 0;
    return true;
  }

  /**
   * Does the partial body contain the next message's header right after a complete JSON value?
   * Then its Content-Length was too large: report it and frame again from that header.
   */
  private looksResynced(): boolean {
    if (this.resyncChecks >= MAX_RESYNC_CHECKS) return false;
    const at = this.findHeaderFrom(Math.max(0, this.searchedTo - (CONTENT_LENGTH.length - 1)));
    this.searchedTo = this.buffered;
    if (at <= 0) return false;
    this.searchedTo = at + CONTENT_LENGTH.length;
    this.resyncChecks++;
    const parsed = parse(this.joined().subarray(0, at));
    if (!parsed.ok) return false; // "Content-Length:" inside a string of a long body: keep reading
    this.take(at);
    this.cutShort(parsed.value, at);
    return true;
  }

  /** Where `Content-Length:` first occurs in the buffered bytes at or after `from`, or -1; joins nothing. */
  private findHeaderFrom(from: number): number {
    let pos = 0;
    let prevTail: Buffer = Buffer.alloc(0);
    for (const c of this.chunks) {
      const end = pos + c.length;
      if (end > from) {
        if (prevTail.length) {
          const joint = Buffer.concat([prevTail, c.subarray(0, CONTENT_LENGTH.length - 1)]);
          const j = joint.indexOf(CONTENT_LENGTH);
          if (j >= 0 && pos - prevTail.length + j >= from) return pos - prevTail.length + j;
        }
        const i = c.indexOf(CONTENT_LENGTH, Math.max(from, pos) - pos);
        if (i >= 0) return pos + i;
      }
      prevTail = c.subarray(Math.max(0, c.length - (CONTENT_LENGTH.length - 1)));
      pos = end;
    }
    return -1;
  }

  /** Input stopped short of the announced length: if what came is a whole message, the length was wrong. */
  private stalled(): void {
    if (this.contentLength < 0 || this.buffered === 0) return;
    const parsed = parse(this.joined());
    if (!parsed.ok) return; // a slow client still sending
    const got = this.buffered;
    this.take(got);
    this.cutShort(parsed.value, got);
    this.drain();
  }

  private cutShort(value: unknown, got: number): void {
    const announced = this.contentLength;
    this.contentLength = -1;
    this.sink.malformed({
      reason: `Content-Length ${announced} is larger than the message (${got} bytes); the message was ignored`,
      request: requestOf(value),
    });
  }

  private deliver(body: Buffer): void {
    if (body.length === 0) return;
    const parsed = parse(body);
    if (!parsed.ok) {
      this.sink.malformed({ reason: `a DAP message that is not JSON (${parsed.error})` });
      return;
    }
    const c = classify(parsed.value);
    if (c.ok) this.sink.message(c.msg);
    else this.sink.malformed(c.bad);
  }
}
