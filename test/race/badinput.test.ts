// Awkward programs under `ftpy race`: syntax errors, uncaught exceptions, exit statuses,
// programs that patch threading, os._exit, attributes of builtins, 500 threads, plus the
// suppressions file, the inline ignore comment and the SARIF output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readRaces, run, runRace, testPython } from './helpers';

const programs = resolve('test', 'race', 'programs');
const prog = (name: string): string => join(programs, name);
const dir = mkdtempSync(join(tmpdir(), 'ftpy-race-bad-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

async function plain(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return run(testPython(), [script], { ...process.env });
}

for (const name of ['imports_broken.py', 'main_syntax_error.py', 'raises.py', 'exit_status.py']) {
  test(`${name}: output, traceback and exit status are exactly those of a plain run`, async () => {
    const want = await plain(prog(name));
    const got = await runRace([], prog(name));
    assert.equal(got.stdout, want.stdout);
    assert.equal(got.stderr, want.stderr);
    assert.equal(got.code, want.code);
    assert.notEqual(want.code, 0);
  });
}

test('a program that monkeypatches threading still runs, and its race is found', async () => {
  const json = join(dir, 'monkey.json');
  const r = await runRace(['--json', json], prog('monkeypatch_threading.py'));
  assert.equal(r.code, 66, r.stderr);
  assert.match(r.stdout, /started 2/);
  const races = readRaces(json);
  assert.equal(races.length, 1);
  assert.equal(races[0].current.stack[0].line, 26);
});

test('os._exit: reports and the JSON file are still written, and the status is 66', async () => {
  const json = join(dir, 'osexit.json');
  const r = await runRace(['--json', json], prog('os_exit_after_race.py'));
  assert.equal(r.code, 66, r.stderr);
  assert.match(r.stdout, /bye/);
  assert.match(r.stderr, /WARNING: DATA RACE/);
  assert.equal(readRaces(json).length, 1);
});

test('attribute access on builtins and C types works and reports nothing', async () => {
  const want = await plain(prog('builtin_attributes.py'));
  const json = join(dir, 'builtins.json');
  const r = await runRace(['--json', json], prog('builtin_attributes.py'));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, want.stdout);
  assert.deepEqual(readRaces(json), []);
});

test('500 threads: no crash, the race is reported once', async () => {
  const json = join(dir, 'many.json');
  const r = await runRace(['--json', json], prog('many_threads.py'));
  assert.equal(r.code, 66, r.stderr);
  assert.match(r.stdout, /threads done/);
  const races = readRaces(json);
  assert.equal(races.length, 1);
  assert.equal(races[0].location.field, 'value');
});

test('ids reused by short-lived objects in two threads never look like a race', async () => {
  const json = join(dir, 'idreuse.json');
  const r = await runRace(['--json', json], prog('id_reuse.py'));
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /ok/);
  assert.deepEqual(readRaces(json), []);
});

test('suppressions: race: matches any frame, race_top: only the innermost', async () => {
  const anyFrame = join(dir, 'any.supp');
  writeFileSync(anyFrame, '# the caller is in the stack, not on top\nrace:caller\n');
  let r = await runRace(['--suppressions', anyFrame], prog('suppressible.py'));
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /DATA RACE/);

  const topOnly = join(dir, 'top.supp');
  writeFileSync(topOnly, 'race_top:caller\n');
  r = await runRace(['--suppressions', topOnly], prog('suppressible.py'));
  assert.equal(r.code, 66, 'race_top must not match a frame below the top');

  writeFileSync(topOnly, 'race_top:legacy_*\n');
  r = await runRace(['--suppressions', topOnly], prog('suppressible.py'));
  assert.equal(r.code, 0, r.stderr);
});

test('a suppressions file that cannot be read or parsed is one clear error (status 2)', async () => {
  let r = await runRace(['--suppressions', join(dir, 'missing.supp')], prog('suppressible.py'));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot read the suppressions file/);
  const bad = join(dir, 'bad.supp');
  writeFileSync(bad, 'race:ok\nthread:nope\n');
  r = await runRace(['--suppressions', bad], prog('suppressible.py'));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bad\.supp:2: cannot read 'thread:nope'/);
});

test('a missing script is one clear error (status 2)', async () => {
  const r = await runRace([], join(dir, 'nope.py'));
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot open the script/);
});

test('--sarif writes a SARIF 2.1.0 log with both stacks', async () => {
  const sarif = join(dir, 'out.sarif');
  const r = await runRace(['--sarif', sarif], prog('suppressible.py'));
  assert.equal(r.code, 66);
  const log = JSON.parse(readFileSync(sarif, 'utf8'));
  assert.equal(log.version, '2.1.0');
  const results = log.runs[0].results;
  assert.equal(results.length, 1);
  assert.equal(results[0].ruleId, 'data-race');
  assert.match(results[0].locations[0].physicalLocation.artifactLocation.uri, /^file:\/\/.*suppressible\.py$/);
  assert.equal(results[0].locations[0].physicalLocation.region.startLine, 13);
  assert.equal(results[0].codeFlows[0].threadFlows.length, 2);
  assert.equal(log.runs[0].tool.driver.rules[0].id, 'data-race');
});

test('--include/--exclude choose the instrumented modules', async () => {
  const corpus = resolve('test', 'corpus', 'race_in_imported_module.py');
  const r = await runRace(['--exclude', '_corpus_*'], corpus);
  assert.equal(r.code, 0, `excluded module must not be instrumented:\n${r.stderr}`);
  const r2 = await runRace(['--include', '_corpus_inventory.py'], corpus);
  assert.equal(r2.code, 66, r2.stderr);
});
