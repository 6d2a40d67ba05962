/**
 * `ftpy provision --with-pytest`: Debian trixie's pure-Python pytest made importable by the
 * free-threaded interpreter (no PyPI here), through the real CLI and the real provisioned
 * python3.13t. A fresh virtual environment of that interpreter stands in for a new machine's
 * interpreter: it sees nothing of the base interpreter's site-packages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const FT_PYTHON = process.env.FTPY_TEST_PYTHON;
if (!FT_PYTHON) throw new Error('FTPY_TEST_PYTHON is not set: run the tests with `npm test`.');
const CLI = resolve('dist/cli.js');
const realCache = process.env.FTPY_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'ftpy');
const work = mkdtempSync(join(tmpdir(), 'ftpy-pytest-prov-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

function cli(args: string[], env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8', timeout: 120_000 });
}

/** A new virtual environment of the free-threaded interpreter, without pip or pytest. */
function venv(name: string): string {
  const dir = join(work, name);
  const r = spawnSync(FT_PYTHON!, ['-m', 'venv', '--without-pip', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const bin = join(dir, 'bin');
  return join(bin, readdirSync(bin).find((n) => /^python3\.\d+t$/.test(n)) ?? 'python3');
}

const canImportPytest = (python: string): boolean =>
  spawnSync(python, ['-c', 'import pytest, pluggy, iniconfig, packaging'], { encoding: 'utf8' }).status === 0;

/** A PATH folder with every tool of /usr/bin and /bin except apt and dpkg. */
function pathWithoutApt(): string {
  const bin = join(work, 'bin-no-apt');
  if (existsSync(bin)) return bin;
  mkdirSync(bin, { recursive: true });
  for (const d of ['/usr/bin', '/bin']) {
    if (!existsSync(d)) continue;
    for (const tool of readdirSync(d)) {
      if (/^(apt|dpkg)/.test(tool) || existsSync(join(bin, tool))) continue;
      symlinkSync(join(d, tool), join(bin, tool));
    }
  }
  return bin;
}

test('the test interpreter can import pytest after `ftpy provision --with-pytest`', () => {
  const r = cli(['provision', '--with-pytest', '--print-path'], { ...process.env, FTPY_PYTHON: FT_PYTHON });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), FT_PYTHON);
  const v = spawnSync(FT_PYTHON, ['-m', 'pytest', '--version'], { encoding: 'utf8' });
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout + v.stderr, /pytest \d+\.\d+/);
});

test('with no apt-get and an empty cache, the failure says what to do and installs nothing', () => {
  const python = venv('no-apt');
  const cache = join(work, 'empty-cache');
  const r = cli(['provision', '--with-pytest'], { PATH: pathWithoutApt(), HOME: work, FTPY_CACHE_DIR: cache, FTPY_PYTHON: python });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /apt-get and dpkg are needed to fetch Debian's pytest\. Install pytest for .* yourself/);
  assert.equal(canImportPytest(python), false);
  assert.equal(existsSync(join(cache, 'pytest')), false, 'nothing half-made is left in the cache');
});

test('a warm cache serves a new interpreter without apt-get or the network', {
  skip: !existsSync(join(realCache, 'pytest', '.ftpy-ok')) && 'the test interpreter has its own pytest (nothing in the ftpy cache)',
}, () => {
  const python = venv('warm');
  assert.equal(canImportPytest(python), false, 'a fresh venv starts without pytest');
  const r = cli(['provision', '--with-pytest'], { PATH: pathWithoutApt(), HOME: work, FTPY_CACHE_DIR: realCache, FTPY_PYTHON: python });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(canImportPytest(python), true);
  // And once it can import pytest, another run changes nothing.
  const again = cli(['provision', '--with-pytest'], { PATH: pathWithoutApt(), HOME: work, FTPY_CACHE_DIR: realCache, FTPY_PYTHON: python });
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /pytest is importable by/);
});
