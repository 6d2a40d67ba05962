/**
 * Checking `launch` and `attach` arguments before anything runs, against the declaration in
 * core/launchAttributes.ts. Bad input gets one message that says what is wrong and what to do;
 * attributes the declaration does not know are ignored with a warning.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { FtpyError } from './core/errors';
import {
  ATTACH_ATTRIBUTES,
  type AttachAttributes,
  type Attribute,
  type AttributeValues,
  CLIENT_ATTRIBUTES,
  LAUNCH_ATTRIBUTES,
  type LaunchAttributes,
  TOLERATED_ATTRIBUTES,
} from './core/launchAttributes';

type Request = 'launch' | 'attach';

/** A checked launch request: paths are absolute, and `cwd` always has a value. */
export type LaunchConfig = Omit<AttributeValues<LaunchAttributes>, 'cwd'> & { cwd: string };
export type AttachConfig = AttributeValues<AttachAttributes>;
export type GilMode = LaunchConfig['gil'];
export type ConsoleKind = LaunchConfig['console'];

/** How a right value looks, for each type (unless the attribute says more). */
function expected(a: Attribute): string {
  switch (a.type) {
    case 'boolean':
      return 'true or false';
    case 'string':
      return 'a string';
    case 'enum': {
      const quoted = (a.values ?? []).map((v) => JSON.stringify(v));
      return `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
    }
    case 'string[]':
      return 'a list of strings';
    case 'env':
      return 'an object of strings (or null to remove a variable)';
    case 'count':
      return 'a positive whole number';
    case 'address':
      return 'an address with a `port` (a number), like {"host": "127.0.0.1", "port": 5678}';
  }
}

function hasType(a: Attribute, v: unknown): boolean {
  switch (a.type) {
    case 'boolean':
      return typeof v === 'boolean';
    case 'string':
      return typeof v === 'string';
    case 'enum':
      return typeof v === 'string' && (a.values ?? []).includes(v);
    case 'string[]':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'env':
      return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string' || x === null);
    case 'count':
      return typeof v === 'number' && Number.isInteger(v) && v > 0;
    case 'address': {
      const port = (v as { port?: unknown } | null)?.port;
      const host = (v as { host?: unknown } | null)?.host;
      return (
        typeof v === 'object' &&
        v !== null &&
        typeof port === 'number' &&
        Number.isInteger(port) &&
        port > 0 &&
        port <= 65535 &&
        (host === undefined || typeof host === 'string')
      );
    }
  }
}

/** A copy of a default, so that no request can change the declaration's own array or object. */
function fresh(value: unknown): unknown {
  return value === undefined ? undefined : structuredClone(value);
}

/** Every declared attribute of `raw`, type-checked, defaults filled in; and a warning for each unknown one. */
function readAttributes<T extends Record<string, Attribute>>(
  request: Request,
  raw: Record<string, unknown>,
  declared: T,
): { values: AttributeValues<T>; warnings: string[] } {
  const known = new Set([...Object.keys(declared), ...CLIENT_ATTRIBUTES, ...TOLERATED_ATTRIBUTES[request]]);
  const warnings = Object.keys(raw)
    .filter((k) => !known.has(k) && !k.startsWith('__'))
    .map((k) => `Ignoring unknown ${request} attribute \`${k}\`.`);
  const values: Record<string, unknown> = {};
  for (const [name, a] of Object.entries(declared)) {
    const v = raw[name];
    // An empty string means "not given", as launch.json templates leave them.
    if (v === undefined || v === null || (v === '' && (a.type === 'string' || a.type === 'enum'))) {
      values[name] = fresh(a.default);
    } else if (!hasType(a, v)) {
      throw new FtpyError(`The ${request} attribute \`${name}\` must be ${a.expect ?? expected(a)}, not ${JSON.stringify(v)}.`);
    } else {
      values[name] = v;
    }
  }
  return { values: values as AttributeValues<T>, warnings };
}

export function parseLaunch(raw: Record<string, unknown>): { config: LaunchConfig; warnings: string[] } {
  const notes: string[] = [];
  if (raw.console === 'externalTerminal') {
    notes.push('`console: externalTerminal` is not supported; using the integrated terminal.');
    raw = { ...raw, console: 'integratedTerminal' };
  }
  const { values, warnings } = readAttributes('launch', raw, LAUNCH_ATTRIBUTES);
  warnings.push(...notes);
  const { program, module } = values;
  if (!program && !module) {
    throw new FtpyError(
      'The launch configuration has no `program` (the script to debug) and no `module`. Add `"program": "${file}"` or `"module": "package.name"`.',
    );
  }
  if (program && module) throw new FtpyError('The launch configuration has both `program` and `module`; keep one of them.');
  const cwd = values.cwd ? resolve(values.cwd) : program ? resolve(program, '..') : process.cwd();
  if (values.cwd && !(existsSync(cwd) && statSync(cwd).isDirectory())) {
    throw new FtpyError(`The working directory \`${values.cwd}\` (launch attribute \`cwd\`) does not exist.`);
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
  const { raceSuppressions } = values;
  if (raceSuppressions && !existsSync(resolve(cwd, raceSuppressions))) {
    throw new FtpyError(`The race suppressions file \`${raceSuppressions}\` does not exist.`);
  }
  return {
    config: { ...values, program: programPath, cwd, raceSuppressions: raceSuppressions ? resolve(cwd, raceSuppressions) : undefined },
    warnings,
  };
}

/** Hosts that are this machine: the runtime listens on loopback only. */
const LOOPBACK = ['127.0.0.1', 'localhost', '::1'];

export function parseAttach(raw: Record<string, unknown>): { config: AttachConfig; warnings: string[] } {
  const { values, warnings } = readAttributes('attach', raw, ATTACH_ATTRIBUTES);
  const { connect, pid, secret, justMyCode } = values;
  if (connect) {
    const host = connect.host || '127.0.0.1';
    if (!LOOPBACK.includes(host)) {
      throw new FtpyError(`Attaching to \`${host}\` is not allowed: the runtime only listens on this machine (127.0.0.1).`);
    }
    return { config: { connect: { host: host === 'localhost' ? '127.0.0.1' : host, port: connect.port }, secret, justMyCode }, warnings };
  }
  if (pid !== undefined) return { config: { pid, secret, justMyCode }, warnings };
  throw new FtpyError(
    'The attach configuration needs `connect` ({"host": "127.0.0.1", "port": 5678}, for `python -m ftpy_runtime --listen 5678 program.py`) or `pid`.',
  );
}
