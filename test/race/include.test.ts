// Which modules are instrumented: --include PACKAGE selects an installed library (even in
// site-packages, which is otherwise never instrumented), and a working directory that merely
// contains the standard library (`-m`/`-c` run from the interpreter's prefix) never
// instruments the standard library itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ftpyRace, readRaces, testPython } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'ftpy-race-include-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** A virtual environment of the test interpreter with `tinycache` installed in site-packages. */
function venvWithLibrary(): { python: string; site: string } {
  const env = join(dir, 'venv');
  const r = spawnSync(testPython(), ['-m', 'venv', '--without-pip', env], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lib = join(env, 'lib');
  const site = join(lib, readdirSync(lib)[0], 'site-packages');
  mkdirSync(join(site, 'tinycache'), { recursive: true });
  // A stand-in for a small caching library: a hit counter with no lock.
  writeFileSync(
    join(site, 'tinycache', '__init__.py'),
    [
      'class Cache:',
      '    def __init__(self):',
      '        self.data = {}',
      '        self.hits = 0',
      '',
      '    def get(self, key, compute):',
      '        if key in self.data:',
      '            self.hits += 1',
      '            return self.data[key]',
      '        value = self.data[key] = compute(key)',
      '        return value',
      '',
    ].join('\n'),
  );
  const bin = join(env, 'bin');
  return { python: join(bin, readdirSync(bin).find((n) => /^python3\.\d+t$/.test(n)) ?? 'python3'), site };
}

const APP = [
  'import threading',
  'from tinycache import Cache',
  'cache = Cache()',
  'cache.get(1, str)',
  'def work():',
  '    for _ in range(50):',
  '        cache.get(1, str)',
  'ts = [threading.Thread(target=work) for _ in range(2)]',
  '[t.start() for t in ts]',
  '[t.join() for t in ts]',
  'print("hits", cache.hits > 0)',
].join('\n');

test('--include PACKAGE instruments an installed library; without it site-packages is left alone', { timeout: 120_000 }, async () => {
  const { python, site } = venvWithLibrary();
  const app = join(dir, 'app.py');
  writeFileSync(app, `${APP}\n`);
  const without = await ftpyRace(['--python', python, app], dir);
  assert.equal(without.code, 0, without.stderr);
  assert.match(without.stdout, /hits True/);
  const json = join(dir, 'lib.json');
  const withLib = await ftpyRace(['--python', python, '--include', 'tinycache', '--json', json, app], dir);
  assert.equal(withLib.code, 66, withLib.stderr);
  const races = readRaces(json);
  assert.ok(races.length >= 1);
  const lib = join(site, 'tinycache', '__init__.py');
  assert.ok(
    races.some((r) => r.current.stack[0].file === lib && r.current.stack[0].line === 8 && r.location.field === 'hits'),
    JSON.stringify(races.map((r) => r.current.stack[0])),
  );
  // The app is not selected any more: --include replaces the default (the script's folder).
  assert.ok(
    races.every((r) => r.current.stack[0].file === lib),
    'only the library is instrumented',
  );
});

test('--include of a package that cannot be found is one clear error (status 2)', async () => {
  const app = join(dir, 'noop.py');
  writeFileSync(app, 'print("ran")\n');
  const r = await ftpyRace(['--include', 'no_such_package_here', app], dir);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--include no_such_package_here: no module or package of that name can be imported/);
  assert.equal(r.stdout, '');
});

test('-c run from the folder that holds the interpreter does not instrument the standard library', async () => {
  const prefix = dirname(dirname(testPython()));
  const r = await ftpyRace(
    [
      '-c',
      'import json.decoder as d, threading\nfrom ftpy_runtime.race.hooks import instrumented as i\nprint(i(d.__file__), i(threading.__file__), i("<string>"))',
    ],
    prefix,
  );
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'False False True\n'); // the -c code itself is instrumented
});
