// `ftpy race -m MODULE` and `-c CODE` run the program exactly as `python -m` / `python -c`
// would: the same sys.argv, sys.path[0], __main__, output, tracebacks and exit status.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ftpyRace, readRaces, run, testPython } from './helpers';

const programs = resolve('test', 'race', 'programs');
const corpus = resolve('test', 'corpus');
const dir = mkdtempSync(join(tmpdir(), 'ftpy-race-launch-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const plain = (args: string[], cwd: string) => run(testPython(), args, { ...process.env }, cwd);

for (const [what, args] of [
  ['-m with arguments and its own exit status', ['-m', 'argv_probe', 'a', '--json', 'b']],
  ['-m of a module that raises', ['-m', 'raises']],
  ['-m of a module that does not exist', ['-m', 'no_such_module_here']],
  ['-c with arguments', ['-c', 'import sys; print(sys.argv, repr(sys.path[0]), __name__, __spec__); sys.exit(3)', 'x', '-y']],
  ['-c that raises (the traceback shows the -c source line)', ['-c', 'def f():\n    raise KeyError(3)\nf()']],
] as const) {
  test(`${what}: output, traceback and status are those of plain python`, async () => {
    const want = await plain([...args], programs);
    const got = await ftpyRace([...args], programs);
    assert.equal(got.stdout, want.stdout);
    assert.equal(got.stderr, want.stderr);
    assert.equal(got.code, want.code);
  });
}

test('-mMODULE and -cCODE attached, as python accepts them', async () => {
  const got = await ftpyRace(['-margv_probe', 'z'], programs);
  assert.equal(got.code, 5);
  assert.match(got.stdout, /argv \['\/.*argv_probe\.py', 'z'\]/);
  const c = await ftpyRace(['-cprint(7)'], programs);
  assert.equal(c.stdout, '7\n');
});

test('a race in a module run with -m is reported (exit 66, JSON at the marked lines)', async () => {
  const json = join(dir, 'm.json');
  const r = await ftpyRace(['--json', json, '-m', 'race_two_writers'], corpus);
  assert.equal(r.code, 66, r.stderr);
  const races = readRaces(json);
  assert.equal(races.length, 1);
  assert.equal(races[0].current.stack[0].file, join(corpus, 'race_two_writers.py'));
  assert.deepEqual([races[0].current.stack[0].line, races[0].previous.stack[0].line].sort(), [13, 18]);
});

test('a race in -c code is reported, with <string> frames', async () => {
  const json = join(dir, 'c.json');
  const code = [
    'import threading',
    'class C: n = 0',
    'c = C()',
    'def f():',
    '    c.n += 1',
    'ts = [threading.Thread(target=f) for _ in range(2)]',
    '[t.start() for t in ts]',
    '[t.join() for t in ts]',
  ].join('\n');
  const r = await ftpyRace(['--json', json, '-c', code], dir);
  assert.equal(r.code, 66, r.stderr);
  const races = readRaces(json);
  assert.equal(races.length, 1);
  assert.deepEqual(races[0].current.stack[0], { function: 'f', file: '<string>', line: 5 });
});

test('-m runs the program under the working directory: --include/--exclude are relative to it', async () => {
  const r = await ftpyRace(['--exclude', 'race_*', '-m', 'race_two_writers'], corpus);
  assert.equal(r.code, 0, `the excluded module must not be instrumented:\n${r.stderr}`);
});

test('--threads without -m pytest is a usage error (status 2)', async () => {
  const r = await ftpyRace(['--threads', '4', '-m', 'argv_probe'], programs);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--threads .* works with -m pytest/);
  assert.equal(r.stdout, '');
});
