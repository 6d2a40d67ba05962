// Nothing found is lost: reports are streamed as they are found, and when the program dies
// (SIGSEGV, SIGABRT, os._exit) `ftpy race` still writes complete JSON and SARIF. Report files
// that cannot be written are refused before the program runs; fork children keep their own
// exit status; a program that replaces sys.stderr neither swallows nor sees the reports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ftpyRace, readRaces } from './helpers';

const programs = resolve('test', 'race', 'programs');
const corpus = resolve('test', 'corpus');
const dir = mkdtempSync(join(tmpdir(), 'ftpy-race-out-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function sarifResults(file: string): Array<{ ruleId: string; locations: Array<{ physicalLocation: { region: { startLine: number } } }> }> {
  return JSON.parse(readFileSync(file, 'utf8')).runs[0].results;
}

test('a race, then SIGSEGV: JSON and SARIF hold the race, the status says the program crashed (139)', async () => {
  const json = join(dir, 'segv.json');
  const sarif = join(dir, 'segv.sarif');
  const r = await ftpyRace(['--json', json, '--sarif', sarif, join(corpus, 'race_then_segfault.py')]);
  assert.equal(r.code, 139, r.stderr);
  assert.match(r.stdout, /about to crash/);
  assert.doesNotMatch(r.stdout, /not reached/);
  assert.match(r.stderr, /WARNING: DATA RACE/);
  assert.match(r.stderr, /the program was killed by SIGSEGV; 1 data race had been reported/);
  const races = readRaces(json);
  assert.equal(races.length, 1);
  assert.equal(races[0].location.field, 'hits');
  assert.equal(races[0].current.stack[0].line, 20);
  const results = sarifResults(sarif);
  assert.equal(results.length, 1);
  assert.equal(results[0].locations[0].physicalLocation.region.startLine, 20);
});

test('a race, then SIGABRT (os.abort in -c code): status 134, JSON complete', async () => {
  const json = join(dir, 'abrt.json');
  const code = [
    'import os, threading',
    'class C: n = 0',
    'c = C()',
    'def f():',
    '    c.n += 1',
    'ts = [threading.Thread(target=f) for _ in range(2)]',
    '[t.start() for t in ts]',
    '[t.join() for t in ts]',
    'os.abort()',
  ].join('\n');
  const r = await ftpyRace(['--json', json, '-c', code], dir);
  assert.equal(r.code, 134, r.stderr);
  assert.match(r.stderr, /killed by SIGABRT/);
  assert.equal(readRaces(json).length, 1);
});

test('killed by SIGKILL with no race found: an empty but valid JSON, status 137', async () => {
  const json = join(dir, 'kill.json');
  const r = await ftpyRace(['--json', json, '-c', 'import os, signal; os.kill(os.getpid(), signal.SIGKILL)'], dir);
  assert.equal(r.code, 137, r.stderr);
  assert.deepEqual(readRaces(json), []);
});

test('an unwritable --json or --sarif path is refused before the program starts (status 2)', async () => {
  const marker = join(dir, 'ran.txt');
  const prog = join(dir, 'writes_marker.py');
  writeFileSync(prog, `open(${JSON.stringify(marker)}, "w").write("ran")\n`);
  for (const [flag, path] of [
    ['--json', join(dir, 'no', 'such', 'folder', 'r.json')],
    ['--sarif', join(dir, 'no-such-folder', 'r.sarif')],
    ['--json', dir], // a folder
  ]) {
    const r = await ftpyRace([flag, path, prog]);
    assert.equal(r.code, 2, `${flag} ${path}: ${r.stderr}`);
    assert.match(r.stderr, /^ftpy race: cannot write the (JSON|SARIF) report file .*Nothing was run/m);
    assert.equal(existsSync(marker), false, 'the program must not have run');
  }
});

test('checking a --json path before the run creates no file the program could see', async () => {
  const fresh = join(dir, 'fresh', 'r.json');
  mkdirSync(join(dir, 'fresh'));
  const r = await ftpyRace(['--json', fresh, '-c', 'import os, sys; print(os.path.exists(sys.argv[1]))', fresh]);
  assert.equal(r.stdout, 'False\n');
  assert.deepEqual(readRaces(fresh), []);
});

test('a fork child leaving by os._exit(7) keeps status 7; the parent reports the race (66)', async () => {
  const json = join(dir, 'fork.json');
  const r = await ftpyRace(['--json', json, join(programs, 'fork_child_exit.py')]);
  assert.equal(r.code, 66, r.stderr);
  assert.match(r.stdout, /child status 7/);
  assert.equal(readRaces(json).length, 1);
  assert.equal((r.stderr.match(/WARNING: DATA RACE/g) ?? []).length, 1);
});

test('a program that replaces sys.stderr neither swallows nor sees the reports', async () => {
  const r = await ftpyRace([join(programs, 'redirects_stderr.py')]);
  assert.equal(r.code, 66, r.stderr);
  assert.match(r.stdout, /program saw a report: False/);
  assert.match(r.stderr, /WARNING: DATA RACE/);
});
