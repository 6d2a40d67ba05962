// `ftpy race -m pytest`, the race plugin and stress mode, with real pytest (Debian's, made
// importable by `ftpy provision --with-pytest`) on the real free-threaded interpreter, over the
// small project in test/pytest_project: a racy test, safe tests, a failing test, a library
// whose race shows only under --threads, pytest-run-parallel's markers, and a unittest case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { ftpyRace, type JsonRace, readRaces, repoRoot, run, testPython } from './helpers';
import { showFindings, validateForGitHub } from './sarifValidator';

const project = resolve('test', 'pytest_project');
const dir = mkdtempSync(join(tmpdir(), 'ftpy-race-pytest-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const RACY = 'tests/test_racy.py::test_lost_update';
const STRESS = 'tests/test_stress.py::test_record_sale';

/** pytest's closing line without its timing, e.g. `1 failed, 6 passed`. */
function outcome(stdout: string): string {
  const m = stdout.match(/^=+ (.*?) in [\d.]+s\b.*=+$/m) ?? stdout.match(/^(\d+ (?:passed|failed).*?) in [\d.]+s/m);
  assert.ok(m, `no pytest summary line in:\n${stdout}`);
  return m[1];
}

/** `file:line` of every `# RACE` mark under `folder`. */
function marks(folder: string): Set<string> {
  const out = new Set<string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.py'))
        readFileSync(p, 'utf8')
          .split('\n')
          .forEach((line, i) => {
            if (/#\s*RACE\b/.test(line)) out.add(`${p}:${i + 1}`);
          });
    }
  };
  walk(folder);
  return out;
}

const at = (r: JsonRace, side: 'current' | 'previous'): string => `${r[side].stack[0].file}:${r[side].stack[0].line}`;

test('the detector changes no test outcome: the same passes and failures as plain pytest', { timeout: 180_000 }, async () => {
  const plain = await run(testPython(), ['-m', 'pytest', 'tests'], { ...process.env }, project);
  assert.equal(plain.code, 1, plain.stdout);
  const raced = await ftpyRace(['-m', 'pytest', 'tests'], project);
  assert.equal(outcome(raced.stdout), outcome(plain.stdout));
  assert.equal(outcome(plain.stdout), '1 failed, 6 passed');
});

test('-m pytest: the plugin is loaded, each report names the test of both threads, 66 wins over a failing run', {
  timeout: 180_000,
}, async () => {
  const json = join(dir, 'run.json');
  const sarif = join(dir, 'run.sarif');
  const r = await ftpyRace(['--json', json, '--sarif', sarif, '-m', 'pytest', 'tests'], project);
  assert.equal(r.code, 66, `${r.stdout}\n${r.stderr}`);
  // The failing test fails with pytest's own assertion message: rewriting is kept.
  assert.match(r.stdout, /FAILED tests\/test_failing\.py::test_order_total - assert 7 == 8/);
  assert.match(r.stdout, /where 7 = sum\(\[3, 4\]\)/);
  const races = readRaces(json);
  assert.equal(races.length, 1, r.stderr);
  const [race] = races;
  assert.equal(race.current.test, RACY);
  assert.equal(race.previous.test, RACY);
  const want = marks(join(project, 'tests'));
  for (const side of ['current', 'previous'] as const) assert.ok(want.has(at(race, side)), `${at(race, side)} is not marked # RACE`);
  // Text: who was running which test; summary: races grouped by test, after the run.
  assert.match(r.stderr, new RegExp(`by thread T\\d+ \\(.*\\) in test ${RACY.replace(/[.[\]]/g, '\\$&')}:`));
  assert.match(r.stdout, /=+ ftpy race: data races by test =+/);
  assert.match(r.stdout, new RegExp(`^${RACY.replace(/[.[\]]/g, '\\$&')}: 1 data race$`, 'm'));
  assert.match(r.stdout, /1 data race in 1 test; races do not change test outcomes/);
  // No frame of pytest's or pluggy's machinery between the test and its threads.
  assert.doesNotMatch(r.stderr, /_pytest\/|pluggy\//);
  // SARIF: the tests are in the result, and GitHub's ingestion rules are met.
  const log = JSON.parse(readFileSync(sarif, 'utf8'));
  assert.deepEqual(log.runs[0].results[0].properties.tests, [RACY]);
  assert.match(log.runs[0].results[0].codeFlows[0].threadFlows[0].message.text, / in test tests\/test_racy\.py::test_lost_update$/);
  const findings = await validateForGitHub(sarif);
  assert.deepEqual(findings, [], showFindings(findings));
});

test('exit status: a failing run without races keeps pytest 1, a passing one 0', { timeout: 120_000 }, async () => {
  const failing = await ftpyRace(['-m', 'pytest', 'tests/test_failing.py'], project);
  assert.equal(failing.code, 1, failing.stdout);
  assert.match(failing.stdout, /no data race found/);
  const safe = await ftpyRace(['-m', 'pytest', 'tests/test_safe.py', 'tests/test_stress.py'], project);
  assert.equal(safe.code, 0, `${safe.stdout}\n${safe.stderr}`);
  assert.doesNotMatch(safe.stderr, /DATA RACE/);
});

test('--threads 4: the race inside the library is found, with both stacks down to the test', { timeout: 180_000 }, async () => {
  const json = join(dir, 'stress.json');
  const r = await ftpyRace(['--json', json, '--threads', '4', '-m', 'pytest', 'tests'], project);
  assert.equal(r.code, 66, `${r.stdout}\n${r.stderr}`);
  // pytest-run-parallel's markers: the thread_unsafe test ran once, so its checker passed.
  assert.equal(outcome(r.stdout), '1 failed, 6 passed');
  assert.match(r.stdout, /ftpy race stress mode: 5 tests in 4 threads each, 2 in one thread/);
  const races = readRaces(json);
  const inLibrary = races.filter((x) => x.current.stack[0].file.startsWith(join(project, 'shop')));
  assert.ok(inLibrary.length >= 1, `no race in shop/: ${r.stderr}`);
  const want = marks(project);
  for (const race of inLibrary) {
    for (const side of ['current', 'previous'] as const) {
      assert.ok(want.has(at(race, side)), `${at(race, side)} is not marked # RACE`);
      assert.equal(race[side].test, STRESS);
      assert.match(race[side].thread.name, /^stress-\d$/);
      const testFrame = race[side].stack.find((f) => f.file === join(project, 'tests', 'test_stress.py'));
      assert.ok(testFrame, `the ${side} stack does not reach the test: ${JSON.stringify(race[side].stack)}`);
    }
  }
  // Only the racy test and the library: stress mode invents no race in the safe tests.
  for (const race of races) assert.ok([RACY, STRESS].includes(race.current.test ?? ''), JSON.stringify(race.current));
});

test('without --threads the library race stays hidden (it needs callers at once)', { timeout: 120_000 }, async () => {
  const json = join(dir, 'nostress.json');
  const r = await ftpyRace(['--json', json, '-m', 'pytest', 'tests/test_stress.py'], project);
  assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assert.deepEqual(readRaces(json), []);
  // The plugin's own option works as well as ftpy race's.
  const plug = await ftpyRace(['-m', 'pytest', '--threads', '3', 'tests/test_stress.py'], project);
  assert.equal(plug.code, 66, plug.stdout);
  assert.match(plug.stdout, /1 tests in 3 threads each/);
});

test('-m unittest: a racy TestCase is reported at its marked lines (66), unittest says OK', { timeout: 120_000 }, async () => {
  const json = join(dir, 'unittest.json');
  const r = await ftpyRace(['--json', json, '-m', 'unittest', 'discover', '-s', 'unittest_tests'], project);
  assert.equal(r.code, 66, r.stderr);
  assert.match(r.stderr, /^OK$/m);
  const races = readRaces(json);
  assert.equal(races.length, 1);
  const want = marks(join(project, 'unittest_tests'));
  for (const side of ['current', 'previous'] as const) assert.ok(want.has(at(races[0], side)), at(races[0], side));
  assert.equal('test' in races[0].current, false, 'no test attribution outside pytest');
});

test('the plugin alone (python -m pytest -p ftpy_runtime.race.pytest_plugin) runs the detector: 66', { timeout: 120_000 }, async () => {
  const env = { ...process.env, PYTHONPATH: [join(repoRoot, 'runtime'), process.env.PYTHONPATH].filter(Boolean).join(delimiter) };
  const r = await run(testPython(), ['-m', 'pytest', '-p', 'ftpy_runtime.race.pytest_plugin', 'tests/test_racy.py'], env, project);
  assert.equal(r.code, 66, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /WARNING: DATA RACE/);
  assert.match(r.stdout, /tests\/test_racy\.py::test_lost_update: 1 data race/);
});

test('no instrumented bytecode is left in __pycache__ for a later plain run', { timeout: 120_000 }, async () => {
  const copy = join(dir, 'project');
  cpSync(project, copy, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONDONTWRITEBYTECODE: undefined };
  const r = await ftpyRace(['-m', 'pytest', 'tests'], copy, { PYTHONDONTWRITEBYTECODE: undefined });
  assert.equal(r.code, 66, r.stdout);
  const cached: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.includes('__pycache__')) cached.push(p);
    }
  };
  walk(copy);
  for (const pyc of cached) assert.ok(!readFileSync(pyc).includes('ftpy_runtime.race.hooks'), `${pyc} holds race hooks`);
  const plain = await run(testPython(), ['-m', 'pytest', 'tests'], env, copy);
  assert.equal(outcome(plain.stdout), '1 failed, 6 passed');
});

test('a race while pytest imports a test module has "test": null on both sides', { timeout: 120_000 }, async () => {
  const proj = join(dir, 'import-race');
  mkdirSync(join(proj, 'tests'), { recursive: true });
  writeFileSync(
    join(proj, 'tests', 'test_import_race.py'),
    [
      'import threading',
      'class Box:',
      '    v = 0',
      'box = Box()',
      'def bump():',
      '    box.v += 1',
      'ts = [threading.Thread(target=bump) for _ in range(2)]',
      '[t.start() for t in ts]',
      '[t.join() for t in ts]',
      'def test_nothing():',
      '    pass',
      '',
    ].join('\n'),
  );
  const json = join(dir, 'import.json');
  const r = await ftpyRace(['--json', json, '-m', 'pytest', '-p', 'no:cacheprovider', 'tests'], proj);
  assert.equal(r.code, 66, r.stdout);
  const races = readRaces(json);
  assert.equal(races.length, 1);
  assert.equal(races[0].current.test, null);
  assert.equal(races[0].previous.test, null);
  assert.match(r.stdout, /\(outside any test: collection, imports, fixtures of other scopes\): 1 data race/);
});
