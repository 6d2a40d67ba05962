/**
 * Interpreter discovery, the provisioning cache and the build script's failure handling, all
 * through the real `ftpy` CLI (dist/cli.js) against the real provisioned python3.13t and the
 * machine's GIL python3.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const FT_PYTHON = process.env.FTPY_TEST_PYTHON;
if (!FT_PYTHON) throw new Error('FTPY_TEST_PYTHON is not set: run the tests with `npm test`.');
const GIL_PYTHON = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => existsSync(p));
const CLI = resolve('dist/cli.js');

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with a controlled environment: no real HOME, PATH or cache leaks in. */
function ftpy(args: string[], env: Record<string, string | undefined>): Result {
  const home = mkdtempSync(join(tmpdir(), 'ftpy-home-'));
  const full: NodeJS.ProcessEnv = { PATH: '/nonexistent', HOME: home, FTPY_CACHE_DIR: join(home, 'cache') };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) full[k] = v;
  const r = spawnSync(process.execPath, [CLI, ...args], { env: full, encoding: 'utf8', timeout: 60000 });
  rmSync(home, { recursive: true, force: true });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A folder holding `name` as a symlink to `target`: a fake PATH entry. */
function binDir(name: string, target: string): string {
  const d = mkdtempSync(join(tmpdir(), 'ftpy-bin-'));
  symlinkSync(target, join(d, name));
  return d;
}

interface Doctor {
  interpreters: Array<{ path: string; freeThreaded?: boolean; error?: string; source: string }>;
  chosen: string | null;
  problem: string | null;
  tracing: { backend: string; passedOver: Array<{ backend: string; reason: string }> } | { error: string } | null;
}

test('discovery skips a GIL python3.13t on PATH and picks the free-threaded one after it', {
  skip: !GIL_PYTHON && 'no GIL python3 on this machine',
}, () => {
  const fake = binDir('python3.13t', GIL_PYTHON!);
  const real = binDir('python3.13t', FT_PYTHON);
  const r = ftpy(['doctor', '--json'], { PATH: `${fake}:${real}` });
  assert.equal(r.status, 0, r.stderr);
  const d = JSON.parse(r.stdout) as Doctor;
  const gil = d.interpreters.find((i) => i.path === join(fake, 'python3.13t'));
  assert.ok(gil, 'the GIL build is listed');
  assert.equal(gil.freeThreaded, false);
  assert.equal(d.chosen, join(real, 'python3.13t'));
  assert.equal(d.interpreters.find((i) => i.path === d.chosen)?.freeThreaded, true);
});

test('doctor prints a readable table naming the interpreter it will use', () => {
  const real = binDir('python3.13t', FT_PYTHON);
  const r = ftpy(['doctor'], { PATH: real });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\* .*python3\.13t +Python 3\.13\.\d+ +free-threaded, GIL off +\[PATH\]/);
  assert.match(r.stdout, /ftpy will use .*python3\.13t/);
});

test('doctor asks the runtime which tracing backend it gets, and why the other was not chosen', () => {
  const real = binDir('python3.13t', FT_PYTHON);
  const text = ftpy(['doctor'], { PATH: real });
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^tracing backend: sys\.monitoring$/m);
  assert.match(text.stdout, /^ {2}not settrace: sys\.monitoring is available/m);
  const forced = JSON.parse(ftpy(['doctor', '--json'], { PATH: real, FTPY_BACKEND: 'settrace' }).stdout) as Doctor;
  assert.deepEqual(forced.tracing, {
    backend: 'settrace',
    passedOver: [{ backend: 'sys.monitoring', reason: 'FTPY_BACKEND=settrace asks for settrace' }],
  });
});

test('FTPY_PYTHON pointing at a GIL build is reported, not silently replaced', {
  skip: !GIL_PYTHON && 'no GIL python3 on this machine',
}, () => {
  const real = binDir('python3.13t', FT_PYTHON);
  const r = ftpy(['provision', '--print-path'], { PATH: real, FTPY_PYTHON: GIL_PYTHON });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /\(from FTPY_PYTHON\).*is not a free-threaded build \(Py_GIL_DISABLED=0\)/);
  assert.match(r.stderr, /ftpy provision/);
  assert.equal(r.stdout, '', 'no interpreter path is printed');
  const d = JSON.parse(ftpy(['doctor', '--json'], { PATH: real, FTPY_PYTHON: GIL_PYTHON }).stdout) as Doctor;
  assert.equal(d.chosen, null);
  assert.match(d.problem ?? '', /not a free-threaded build/);
});

test('FTPY_PYTHON pointing at a missing file says so', () => {
  const r = ftpy(['provision', '--print-path'], { FTPY_PYTHON: '/no/such/python3.13t' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /`\/no\/such\/python3\.13t` does not exist/);
});

test('the cache counts only installs carrying the .ftpy-ok marker', () => {
  const cache = mkdtempSync(join(tmpdir(), 'ftpy-cache-'));
  const bin = join(cache, 'cpython-3.13.5t', 'bin');
  mkdirSync(bin, { recursive: true });
  symlinkSync(FT_PYTHON, join(bin, 'python3.13t'));
  // Half-installed (no marker): not an interpreter, whatever the binary would say.
  let d = JSON.parse(ftpy(['doctor', '--json'], { FTPY_CACHE_DIR: cache }).stdout) as Doctor;
  assert.equal(d.chosen, null);
  assert.match(d.problem ?? '', /ftpy provision/);
  // Marked: found, and `ftpy provision` returns it without building.
  writeFileSync(join(cache, 'cpython-3.13.5t', '.ftpy-ok'), '{"version": "3.13.5"}\n');
  d = JSON.parse(ftpy(['doctor', '--json'], { FTPY_CACHE_DIR: cache }).stdout) as Doctor;
  assert.equal(d.chosen, join(bin, 'python3.13t'));
  assert.equal(d.interpreters.find((i) => i.path === d.chosen)?.source, 'cache');
  const p = ftpy(['provision', '--print-path'], { FTPY_CACHE_DIR: cache });
  assert.equal(p.status, 0, p.stderr);
  assert.equal(p.stdout.trim(), join(bin, 'python3.13t'));
  rmSync(cache, { recursive: true, force: true });
});

test('the provisioned interpreter is free-threaded with the GIL off, and marked verified', () => {
  const r = spawnSync(
    FT_PYTHON,
    ['-c', 'import sys, sysconfig, json; print(json.dumps([sysconfig.get_config_var("Py_GIL_DISABLED"), sys._is_gil_enabled()]))'],
    { encoding: 'utf8', env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'PYTHON_GIL')) },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [1, false]);
  if (FT_PYTHON.includes('/cpython-')) assert.ok(existsSync(join(FT_PYTHON, '..', '..', '.ftpy-ok')));
});

test('a build that fails leaves no interpreter behind and names the problem', () => {
  const cache = mkdtempSync(join(tmpdir(), 'ftpy-cache-'));
  // A source tarball whose configure fails, standing in for a missing compiler or -dev package.
  const srcRoot = mkdtempSync(join(tmpdir(), 'ftpy-src-'));
  mkdirSync(join(srcRoot, 'Python-3.13.99'));
  writeFileSync(
    join(srcRoot, 'Python-3.13.99', 'configure'),
    '#!/bin/sh\necho "configure: error: no acceptable C compiler found in $PATH" >&2\nexit 1\n',
    { mode: 0o755 },
  );
  const tarball = join(srcRoot, 'fake.tar.xz');
  assert.equal(spawnSync('tar', ['-cJf', tarball, '-C', srcRoot, 'Python-3.13.99']).status, 0);
  const r = ftpy(['provision', '--force'], { FTPY_CACHE_DIR: cache, FTPY_CPYTHON_TARBALL: tarball, PATH: process.env.PATH });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /configure failed \(log: .*build\.log\)/);
  assert.match(r.stderr, /no acceptable C compiler/);
  assert.deepEqual(
    readdirSync(cache).filter((n) => n.startsWith('cpython-')),
    [],
    'nothing installed',
  );
  const d = JSON.parse(ftpy(['doctor', '--json'], { FTPY_CACHE_DIR: cache }).stdout) as Doctor;
  assert.equal(d.chosen, null);
  rmSync(cache, { recursive: true, force: true });
  rmSync(srcRoot, { recursive: true, force: true });
});

test('unknown commands and options get a usage message', () => {
  let r = ftpy(['frobnicate'], {});
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command 'frobnicate'/);
  r = ftpy(['provision', '--bogus'], {});
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown option --bogus/);
});
