/**
 * The runtime protocol: what the debug adapter and the runtime say to each other.
 *
 * This file has a Python twin, `runtime/ftpy_runtime/agent/protocol.py`. The two declare the same
 * message types, command names and event names; `test/dap/protocol.test.ts` reads both and
 * fails when they drift apart. Change them together.
 *
 * Wire format: one JSON object per line over a loopback TCP socket. The side that connects
 * speaks first with a `hello` carrying the per-session secret; the listening side answers
 * `welcome` or `rejected` (and hangs up). Then the adapter sends `request`s, the runtime
 * answers each with a `response` (same seq) and volunteers `event`s.
 *
 * The first request is `initialize`, with `arguments: { options: RuntimeOptions }`: the whole
 * launch in one object keyed by the launch attribute names. Its response is the `ProcessInfo`.
 */

/** Bumped when a message changes shape incompatibly. */
export const PROTOCOL_VERSION = 1;

/** Environment variable carrying the session secret to a launched runtime (never argv). */
export const TOKEN_ENV = 'FTPY_SESSION_TOKEN';

/** Where `--listen` leaves its secret when none was given: `~/<SECRET_DIR>/port-<PORT>.secret`. */
export const SECRET_DIR = ['.cache', 'ftpy', 'sessions'] as const;

export const MESSAGE_TYPES = ['hello', 'welcome', 'rejected', 'request', 'response', 'event'] as const;

/** Requests the adapter may send. Most mirror the DAP request of the same name. */
export const COMMANDS = [
  'initialize',
  'setBreakpoints',
  'setFunctionBreakpoints',
  'setExceptionBreakpoints',
  'configurationDone',
  'continue',
  'pause',
  'next',
  'stepIn',
  'stepOut',
  'threads',
  'stackTrace',
  'scopes',
  'variables',
  'setVariable',
  'evaluate',
  'completions',
  'exceptionInfo',
  'ownership',
  'locks',
  'disconnect',
] as const;

/** Events the runtime may send. */
export const EVENTS = ['process', 'stopped', 'continued', 'output', 'breakpoint', 'thread', 'exited', 'race', 'gil', 'deadlock'] as const;

export type MessageType = (typeof MESSAGE_TYPES)[number];
export type Command = (typeof COMMANDS)[number];
export type EventName = (typeof EVENTS)[number];

export interface Hello {
  type: 'hello';
  protocol: number;
  role: 'runtime' | 'adapter';
  token: string;
}
export interface Welcome {
  type: 'welcome';
  protocol: number;
  role?: string;
}
export interface Rejected {
  type: 'rejected';
  message: string;
}
export interface Request {
  type: 'request';
  seq: number;
  command: Command;
  arguments: Record<string, unknown>;
}
export interface Response {
  type: 'response';
  request_seq: number;
  command: string;
  success: boolean;
  message?: string;
  body?: Record<string, unknown>;
}
export interface RuntimeEvent {
  type: 'event';
  event: EventName;
  body: Record<string, unknown>;
}
export type Message = Hello | Welcome | Rejected | Request | Response | RuntimeEvent;

/** The runtime's `process` event and `initialize` response. */
export interface ProcessInfo {
  pid: number;
  executable: string;
  pythonVersion: string;
  freeThreaded: boolean;
  gilEnabled: boolean;
  program: string | null;
  backend?: string;
}

/**
 * The launch options the runtime understands (`initialize`'s `arguments.options`), with their
 * wire types and the runtime's defaults: the twin of `RuntimeOptions` in `protocol.py`. A key
 * left out takes the default; a key the runtime does not know is ignored.
 */
export const RUNTIME_OPTIONS = {
  program: { type: 'string|null', default: null },
  module: { type: 'string|null', default: null },
  args: { type: 'string[]', default: [] },
  cwd: { type: 'string|null', default: null },
  stopOnEntry: { type: 'boolean', default: false },
  justMyCode: { type: 'boolean', default: true },
  races: { type: 'boolean', default: false },
  raceSuppressions: { type: 'string|null', default: null },
  trackLocks: { type: 'boolean', default: true },
} as const;

type WireType<T> = T extends 'string'
  ? string
  : T extends 'string|null'
    ? string | null
    : T extends 'boolean'
      ? boolean
      : T extends 'string[]'
        ? string[]
        : never;

/** What `initialize` carries to the runtime: every key optional (the runtime has defaults). */
export type RuntimeOptions = { -readonly [K in keyof typeof RUNTIME_OPTIONS]?: WireType<(typeof RUNTIME_OPTIONS)[K]['type']> };

/** The `arguments` of the `initialize` request. */
export interface InitializeArguments {
  options: RuntimeOptions;
}

export function encode(message: Message): string {
  return `${JSON.stringify(message)}\n`;
}

/** Parse one line; throws for anything that is not a protocol message. */
export function decode(line: string): Message {
  const obj: unknown = JSON.parse(line);
  if (typeof obj !== 'object' || obj === null || !MESSAGE_TYPES.includes((obj as { type?: MessageType }).type as MessageType)) {
    throw new Error('not a runtime protocol message');
  }
  return obj as Message;
}
