/**
 * The launch attributes have one declaration (debug-adapter/core/launchAttributes.ts): package.json
 * and the README say what it says, and launchConfig.ts checks requests against it. All in
 * milliseconds, without a debuggee.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  DEBUG_TYPE,
  INITIAL_CONFIGURATIONS,
  TABLE_BEGIN,
  TABLE_END,
  attributeTable,
  configurationAttributes,
} from '../../debug-adapter/core/contributions';
import { ATTACH_ATTRIBUTES, type Attribute, LAUNCH_ATTRIBUTES } from '../../debug-adapter/core/launchAttributes';
import { parseAttach, parseLaunch } from '../../debug-adapter/launchConfig';

const REGENERATE = 'out of date with debug-adapter/core/launchAttributes.ts: run `node scripts/generate-contributions.mjs`';
const PROGRAM = resolve('test/dap/programs/loop.py');

interface Debugger {
  type: string;
  configurationAttributes: unknown;
  initialConfigurations: unknown;
}
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { contributes: { debuggers: Debugger[] } };

test("package.json's launch.json schema and initial configurations are the declaration's", () => {
  const [debuggerEntry] = pkg.contributes.debuggers;
  assert.equal(debuggerEntry.type, DEBUG_TYPE);
  assert.deepEqual(debuggerEntry.configurationAttributes, configurationAttributes(), `package.json is ${REGENERATE}`);
  assert.deepEqual(debuggerEntry.initialConfigurations, INITIAL_CONFIGURATIONS, `package.json is ${REGENERATE}`);
});

test("the README's attribute table is the declaration's", () => {
  const readme = readFileSync('README.md', 'utf8');
  const begin = readme.indexOf(TABLE_BEGIN);
  const end = readme.indexOf(TABLE_END);
  assert.ok(begin >= 0 && end > begin, 'README.md has the table markers');
  assert.equal(readme.slice(begin + TABLE_BEGIN.length, end).trim(), attributeTable(), `README.md is ${REGENERATE}`);
  for (const name of [...Object.keys(LAUNCH_ATTRIBUTES), ...Object.keys(ATTACH_ATTRIBUTES)]) {
    assert.ok(attributeTable().includes(`| \`${name}\` |`), `the table has a row for ${name}`);
  }
});

test('every attribute is described, and its default is a value of its type', () => {
  for (const [name, a] of Object.entries({ ...LAUNCH_ATTRIBUTES, ...ATTACH_ATTRIBUTES } as Record<string, Attribute>)) {
    assert.ok(a.description.length > 10, `${name} has a description`);
    if (a.type === 'enum') assert.ok(a.values?.includes(a.default as string), `${name}'s default is one of its values`);
    if (a.type === 'boolean') assert.equal(typeof a.default, 'boolean', `${name} has a boolean default`);
  }
});

test('a launch with only a program gets every declared default', () => {
  const { config, warnings } = parseLaunch({ program: PROGRAM });
  assert.deepEqual(warnings, []);
  for (const [name, a] of Object.entries(LAUNCH_ATTRIBUTES as Record<string, Attribute>)) {
    if (a.default !== undefined) assert.deepEqual((config as Record<string, unknown>)[name], a.default, name);
  }
  assert.equal(config.program, PROGRAM);
  assert.equal(config.cwd, resolve('test/dap/programs'), "cwd defaults to the program's folder");
  // A default is copied: changing one launch's list cannot change the next launch's.
  config.args.push('--changed');
  assert.deepEqual(parseLaunch({ program: PROGRAM }).config.args, []);
});

test('unknown attributes are warned about from the same list; declared, client and tolerated ones are not', () => {
  const declared = Object.fromEntries(Object.keys(LAUNCH_ATTRIBUTES).map((k) => [k, undefined]));
  const { warnings } = parseLaunch({
    ...declared,
    program: PROGRAM,
    colour: 'blue',
    type: 'ftpython',
    request: 'launch',
    name: 'x',
    trace: true,
    __ftpyExpectedGil: false,
  });
  assert.deepEqual(warnings, ['Ignoring unknown launch attribute `colour`.']);
  const attach = parseAttach({ connect: { port: 5678 }, secret: 's', python: '/usr/bin/python3', justMyCode: false, stopOnEntry: true });
  assert.deepEqual(attach.warnings, ['Ignoring unknown attach attribute `stopOnEntry`.']);
  assert.deepEqual(attach.config, { connect: { host: '127.0.0.1', port: 5678 }, secret: 's', justMyCode: false });
});

test('a value of the wrong type gets a message naming the attribute and what it takes', () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ trackLocks: 'yes' }, /launch attribute `trackLocks` must be true or false, not "yes"/],
    [{ console: 'pager' }, /`console` must be "internalConsole" or "integratedTerminal", not "pager"/],
    [{ gil: 'sometimes' }, /`gil` must be "off", "on" or "default"/],
    [{ args: 'a b' }, /`args` must be a list of strings, like \["--verbose", "input.txt"\], not "a b"/],
    [{ env: { A: 1 } }, /`env` must be an object of strings \(or null to remove a variable\)/],
    [{ python: 3 }, /`python` must be a string, not 3/],
  ];
  for (const [attrs, message] of cases) assert.throws(() => parseLaunch({ program: PROGRAM, ...attrs }), message);
  assert.throws(() => parseAttach({ pid: -4 }), /attach attribute `pid` must be a process id \(a positive number\), not -4/);
  assert.throws(() => parseAttach({ connect: { host: 'example.com', port: 1 } }), /not allowed: the runtime only listens on this machine/);
  assert.throws(() => parseAttach({ connect: { port: 'x' } }), /`connect` must be an address with a `port`/);
});

test('console externalTerminal is taken as the integrated terminal, with a warning', () => {
  const { config, warnings } = parseLaunch({ program: PROGRAM, console: 'externalTerminal' });
  assert.equal(config.console, 'integratedTerminal');
  assert.deepEqual(warnings, ['`console: externalTerminal` is not supported; using the integrated terminal.']);
});
