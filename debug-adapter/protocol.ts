/**
 * The runtime protocol: what the debug adapter and the runtime say to each other.
 *
 * This file has a Python twin, `runtime/ftpy_runtime/agent/protocol.py`. The two declare the same
 * message types, command names and event names; `test/dap/protocol.test.ts` reads both and
 * fails when they drift apart. Change them together.
 *
 * Wire format: one JSON object per line over a loopback TCP socket. Every connection starts with
 * the mutual handshake (`handshake` in runtimeConnection.ts): each side proves with an HMAC over
 * fresh nonces that it knows the per-session secret, which never travels (`hello`, `challenge`,
 * `proof`, then `welcome` or `rejected` and a hang-up). Then the adapter sends `request`s, the runtime
 * answers each with a `response` (same seq) and volunteers `event`s.
 *
 * The first request is `initialize`, with `arguments: { options: RuntimeOptions }`: the whole
 * launch in one object keyed by the launch attribute names (those marked `runtime: true` in
 * core/launchAttributes.ts). Its response is the `ProcessInfo`. The command line carries only
 * `--connect 127.0.0.1:PORT`; what must exist before the interpreter starts (the secret,
 * PYTHONPATH, PYTHON_GIL, PYTHONUNBUFFERED) is in the environment.
 */

import {
  type Attribute,
  type AttributeValue,
  LAUNCH_ATTRIBUTES,
  type LaunchAttributes,
  type RuntimeOptionName,
  runtimeOptionNames,
} from './core/launchAttributes';

/** Bumped when a message changes shape incompatibly (2: the mutual HMAC handshake). */
export const PROTOCOL_VERSION = 2;

/** Environment variable carrying the session secret to a launched runtime (never argv). */
export const TOKEN_ENV = 'FTPY_SESSION_TOKEN';

/** Where `--listen` leaves its secret when none was given: `~/<SECRET_DIR>/port-<PORT>.secret`. */
export const SECRET_DIR = ['.cache', 'ftpy', 'sessions'] as const;

export const MESSAGE_TYPES = ['hello', 'challenge', 'proof', 'welcome', 'rejected', 'request', 'response', 'event'] as const;

/**
 * The handshake: the label every proof's HMAC starts with, the longest line a peer may send
 * before it has authenticated, and how long it has to authenticate.
 */
export const HANDSHAKE_LABEL = 'ftpy-handshake';
export const MAX_HANDSHAKE_LINE = 1024;
export const HANDSHAKE_TIMEOUT_MS = 5000;

/** Requests the adapter may send. Most mirror the DAP request of the same name. */
export const COMMANDS = [
  'initialize',
  'setBreakpoints',
  'setFunctionBreakpoints',
  'setExceptionBreakpoints',
  'dataBreakpointInfo',
  'setDataBreakpoints',
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
  'threadStacks',
  'parallelEvaluate',
  'freeze',
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
  nonce: string;
}
export interface Challenge {
  type: 'challenge';
  protocol: number;
  role: string;
  nonce: string;
  proof: string;
}
export interface Proof {
  type: 'proof';
  proof: string;
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
export type Message = Hello | Challenge | Proof | Welcome | Rejected | Request | Response | RuntimeEvent;

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

/** A wire type, as both twins name it. */
export type WireTypeName = 'string' | 'string|null' | 'boolean' | 'string[]';

/**
 * The wire type of a launch attribute the runtime receives: an attribute without a default is
 * null when absent. Only these kinds of attribute can travel (a test checks every one that is
 * marked `runtime: true`).
 */
export function wireType(a: Attribute): WireTypeName {
  switch (a.type) {
    case 'boolean':
      return 'boolean';
    case 'string[]':
      return 'string[]';
    case 'string':
    case 'enum':
      return a.default === undefined ? 'string|null' : 'string';
    default:
      throw new Error(`a launch attribute of type ${a.type} cannot be sent to the runtime: give it a wire type in protocol.ts`);
  }
}

/**
 * The launch options the runtime understands (`initialize`'s `arguments.options`), with their
 * wire types and defaults: the launch attributes marked `runtime: true` in
 * core/launchAttributes.ts, in their order. The twin is the `RuntimeOptions` dataclass in
 * `protocol.py`; the twin test compares keys, order, types and defaults. A key left out takes
 * the default; a key the runtime does not know is ignored.
 */
export const RUNTIME_OPTIONS: Readonly<Record<RuntimeOptionName, { type: WireTypeName; default: unknown }>> = Object.fromEntries(
  runtimeOptionNames(LAUNCH_ATTRIBUTES).map((name) => {
    const a: Attribute = LAUNCH_ATTRIBUTES[name as RuntimeOptionName];
    return [name, { type: wireType(a), default: a.default ?? null }];
  }),
) as Record<RuntimeOptionName, { type: WireTypeName; default: unknown }>;

type OptionValue<K extends RuntimeOptionName> = LaunchAttributes[K] extends { default: unknown }
  ? AttributeValue<LaunchAttributes[K]>
  : AttributeValue<LaunchAttributes[K]> | null;

/** What `initialize` carries to the runtime: every key optional (the runtime has defaults). */
export type RuntimeOptions = { [K in RuntimeOptionName]?: OptionValue<K> };

/** The options for a launch: the runtime's attributes of a checked launch configuration (absent ones left out). */
export function runtimeOptions(config: { [K in RuntimeOptionName]?: OptionValue<K> }): RuntimeOptions {
  const options: Record<string, unknown> = {};
  for (const name of Object.keys(RUNTIME_OPTIONS) as RuntimeOptionName[]) {
    if (config[name] !== undefined) options[name] = config[name];
  }
  return options as RuntimeOptions;
}

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
