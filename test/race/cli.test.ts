// cli/race.ts: option parsing, interpreter errors, and the exit status it hands back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseRaceArgs, raceCommand, runtimeArgs } from '../../cli/race';
import { FtpyError } from '../../debug-adapter/core/errors';
import { testPython } from './helpers';

async function capture(fn: () => Promise<number>): Promise<{ code: number; err: string }> {
  const write = process.stderr.write.bind(process.stderr);
  let err = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    err += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await fn(), err };
  } finally {
    process.stderr.write = write;
  }
}

test('parses options, keeps the script and its own arguments', () => {
  const o = parseRaceArgs([
    '--json',
    'r.json',
    '--sarif=r.sarif',
    '--include',
    'a/*',
    '--exclude',
    'b/*',
    '--suppressions',
    's.txt',
    '--python',
    '/py',
    '--',
    'prog.py',
    '--json',
    'x',
  ]);
  assert.equal(o.json, 'r.json');
  assert.equal(o.sarif, 'r.sarif');
  assert.deepEqual(o.include, ['a/*']);
  assert.deepEqual(o.exclude, ['b/*']);
  assert.equal(o.suppressions, 's.txt');
  assert.equal(o.python, '/py');
  assert.equal(o.script, 'prog.py');
  assert.deepEqual(o.args, ['--json', 'x']);
  const args = runtimeArgs(o);
  assert.deepEqual(args.slice(0, 2), ['-m', 'ftpy_runtime.race']);
  assert.equal(args[args.indexOf('--json') + 1], resolve('r.json'));
  assert.deepEqual(args.slice(args.indexOf('--')), ['--', 'prog.py', '--json', 'x']);
});

test('bad command lines are FtpyErrors with the usage', () => {
  assert.throws(() => parseRaceArgs([]), FtpyError);
  assert.throws(() => parseRaceArgs(['--json']), /needs a value/);
  assert.throws(() => parseRaceArgs(['--frobnicate', '--', 'x.py']), /unknown option --frobnicate/);
});

test('an interpreter that does not exist: message, status 2', async () => {
  const r = await capture(() => raceCommand(['--python', '/nonexistent/python3.13t', '--', 'x.py']));
  assert.equal(r.code, 2);
  assert.match(r.err, /^ftpy race: .*\/nonexistent\/python3\.13t/);
});

test('a GIL build is refused with a message, status 2', { skip: !existsSync('/usr/bin/python3') }, async () => {
  const r = await capture(() => raceCommand(['--python', '/usr/bin/python3', '--', 'x.py']));
  assert.equal(r.code, 2);
  assert.match(r.err, /not a free-threaded build|free-threaded/);
});

test('returns 66 for a racy program and the program status otherwise', async () => {
  const python = testPython();
  const racy = await capture(() => raceCommand(['--python', python, '--', resolve('test/corpus/race_two_writers.py')]));
  assert.equal(racy.code, 66);
  const clean = await capture(() => raceCommand(['--python', python, '--', resolve('test/race/programs/exit_status.py')]));
  assert.equal(clean.code, 3);
});

test('-m and -c end the options as in python; --threads needs -m pytest', () => {
  const m = parseRaceArgs(['--json', 'r.json', '--threads', '4', '-m', 'pytest', '-x', '--json', 'mine']);
  assert.equal(m.module, 'pytest');
  assert.equal(m.threads, 4);
  assert.deepEqual(m.args, ['-x', '--json', 'mine']);
  assert.deepEqual(runtimeArgs(m, '/tmp/s.jsonl').slice(-7), ['--stream', '/tmp/s.jsonl', '-m', 'pytest', '-x', '--json', 'mine']);
  const c = parseRaceArgs(['-cprint(1)', 'a']);
  assert.equal(c.code, 'print(1)');
  assert.deepEqual(runtimeArgs(c).slice(-3), ['-c', 'print(1)', 'a']);
  assert.throws(() => parseRaceArgs(['--threads', '4', 'x.py']), /works with -m pytest/);
  assert.throws(() => parseRaceArgs(['--threads', 'many', '-m', 'pytest']), /whole number/);
  assert.throws(() => parseRaceArgs(['-m']), /needs a value/);
});
