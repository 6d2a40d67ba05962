/**
 * Checking `launch` and `attach` arguments before anything runs. Bad input gets one message that
 * says what is wrong and what to do; unknown attributes are ignored with a warning.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { FtpyError } from './core/errors';

export type GilMode = 'off' | 'on' | 'default';
export type ConsoleKind = 'internalConsole' | 'integratedTerminal';

export interface LaunchConfig {
  program?: string;
  module?: string;
  args: string[];
  cwd: string;
  env: Record<string, string | null>;
  python?: string;
  stopOnEntry: boolean;
  justMyCode: boolean;
  console: ConsoleKind;
  races: boolean;
  /** Replace threading.Lock/RLock with owner-tracking locks (Locks view, deadlock reports). */
  trackLocks: boolean;
  raceSuppressions?: string;
  gil: GilMode;
}

export interface AttachConfig {
  connect?: { host: string; port: number };
  pid?: number;
  secret?: string;
  justMyCode: boolean;
  python?: string;
}

/** Attributes VS Code and DAP clients add on their own; never warned about. */
const CLIENT_KEYS = new Set([
  'type',
  'request',
  'name',
  'noDebug',
  'preLaunchTask',
  'postDebugTask',
  'internalConsoleOptions',
  'presentation',
  'debugServer',
  'windows',
  'linux',
  'osx',
  'serverReadyAction',
  'suppressMultipleSessionWarning',
]);
const LAUNCH_KEYS = new Set([
  'program',
  'module',
  'args',
  'cwd',
  'env',
  'python',
  'stopOnEntry',
  'justMyCode',
  'console',
  'races',
  'raceSuppressions',
  'trackLocks',
  'gil',
  'trace',
]);
const ATTACH_KEYS = new Set(['connect', 'pid', 'secret', 'justMyCode', 'python', 'trace']);

function unknownKeys(raw: Record<string, unknown>, known: Set<string>): string[] {
  return Object.keys(raw).filter((k) => !known.has(k) && !CLIENT_KEYS.has(k) && !k.startsWith('__'));
}

function optBool(raw: Record<string, unknown>, key: string, dflt: boolean): boolean {
  const v = raw[key];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') throw new FtpyError(`The launch attribute \`${key}\` must be true or false, not ${JSON.stringify(v)}.`);
  return v;
}

function optString(raw: Record<string, unknown>, key: string): string | undefined {
  const v = raw[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new FtpyError(`The launch attribute \`${key}\` must be a string, not ${JSON.stringify(v)}.`);
  return v;
}

export function parseLaunch(raw: Record<string, unknown>): { config: LaunchConfig; warnings: string[] } {
  const warnings = unknownKeys(raw, LAUNCH_KEYS).map((k) => `Ignoring unknown launch attribute \`${k}\`.`);
  const program = optString(raw, 'program');
  const module = optString(raw, 'module');
  if (!program && !module) {
    throw new FtpyError(
      'The launch configuration has no `program` (the script to debug) and no `module`. Add `"program": "${file}"` or `"module": "package.name"`.',
    );
  }
  if (program && module) throw new FtpyError('The launch configuration has both `program` and `module`; keep one of them.');
  const cwdRaw = optString(raw, 'cwd');
  const cwd = cwdRaw ? resolve(cwdRaw) : program ? resolve(program, '..') : process.cwd();
  if (cwdRaw && !(existsSync(cwd) && statSync(cwd).isDirectory())) {
    throw new FtpyError(`The working directory \`${cwdRaw}\` (launch attribute \`cwd\`) does not exist.`);
  }
  let programPath: string | undefined;
  if (program) {
    programPath = isAbsolute(program) ? program : resolve(cwd, program);
    if (!existsSync(programPath)) {
      throw new FtpyError(`The program \`${programPath}\` does not exist. Check the launch attribute \`program\`.`);
    }
    if (statSync(programPath).isDirectory()) {
      throw new FtpyError(
        `The program \`${programPath}\` is a folder, not a Python file. Point \`program\` at a script, or use \`module\`.`,
      );
    }
  }
  const args = raw.args ?? [];
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) {
    throw new FtpyError(
      `The launch attribute \`args\` must be a list of strings, like ["--verbose", "input.txt"], not ${JSON.stringify(args)}.`,
    );
  }
  const env = raw.env ?? {};
  if (
    typeof env !== 'object' ||
    env === null ||
    Array.isArray(env) ||
    !Object.values(env).every((v) => typeof v === 'string' || v === null)
  ) {
    throw new FtpyError('The launch attribute `env` must be an object of strings (or null to remove a variable).');
  }
  const consoleKind = optString(raw, 'console') ?? 'internalConsole';
  let console: ConsoleKind = 'internalConsole';
  if (consoleKind === 'integratedTerminal' || consoleKind === 'internalConsole') console = consoleKind;
  else if (consoleKind === 'externalTerminal') {
    warnings.push('`console: externalTerminal` is not supported; using the integrated terminal.');
    console = 'integratedTerminal';
  } else
    throw new FtpyError(
      `The launch attribute \`console\` must be "internalConsole" or "integratedTerminal", not ${JSON.stringify(consoleKind)}.`,
    );
  const gil = optString(raw, 'gil') ?? 'default';
  if (gil !== 'off' && gil !== 'on' && gil !== 'default') {
    throw new FtpyError(`The launch attribute \`gil\` must be "off", "on" or "default", not ${JSON.stringify(gil)}.`);
  }
  const raceSuppressions = optString(raw, 'raceSuppressions');
  if (raceSuppressions && !existsSync(resolve(cwd, raceSuppressions))) {
    throw new FtpyError(`The race suppressions file \`${raceSuppressions}\` does not exist.`);
  }
  return {
    config: {
      program: programPath,
      module,
      args: args as string[],
      cwd,
      env: env as Record<string, string | null>,
      python: optString(raw, 'python'),
      stopOnEntry: optBool(raw, 'stopOnEntry', false),
      justMyCode: optBool(raw, 'justMyCode', true),
      console,
      races: optBool(raw, 'races', false),
      trackLocks: optBool(raw, 'trackLocks', true),
      raceSuppressions: raceSuppressions ? resolve(cwd, raceSuppressions) : undefined,
      gil,
    },
    warnings,
  };
}

export function parseAttach(raw: Record<string, unknown>): { config: AttachConfig; warnings: string[] } {
  const warnings = unknownKeys(raw, ATTACH_KEYS).map((k) => `Ignoring unknown attach attribute \`${k}\`.`);
  const justMyCode = optBool(raw, 'justMyCode', true);
  const secret = optString(raw, 'secret');
  const python = optString(raw, 'python');
  if (raw.connect !== undefined && raw.connect !== null) {
    const c = raw.connect as { host?: unknown; port?: unknown };
    if (typeof c !== 'object' || typeof c.port !== 'number' || !Number.isInteger(c.port) || c.port <= 0 || c.port > 65535) {
      throw new FtpyError('The attach attribute `connect` needs a `port` (a number), like {"host": "127.0.0.1", "port": 5678}.');
    }
    const host = typeof c.host === 'string' && c.host ? c.host : '127.0.0.1';
    if (!['127.0.0.1', 'localhost', '::1'].includes(host)) {
      throw new FtpyError(`Attaching to \`${host}\` is not allowed: the runtime only listens on this machine (127.0.0.1).`);
    }
    return { config: { connect: { host: host === 'localhost' ? '127.0.0.1' : host, port: c.port }, secret, justMyCode, python }, warnings };
  }
  if (raw.pid !== undefined && raw.pid !== null) {
    if (typeof raw.pid !== 'number' || !Number.isInteger(raw.pid) || raw.pid <= 0) {
      throw new FtpyError(`The attach attribute \`pid\` must be a process id (a positive number), not ${JSON.stringify(raw.pid)}.`);
    }
    return { config: { pid: raw.pid, secret, justMyCode, python }, warnings };
  }
  throw new FtpyError(
    'The attach configuration needs `connect` ({"host": "127.0.0.1", "port": 5678}, for `python -m ftpy_runtime --listen 5678 program.py`) or `pid`.',
  );
}
