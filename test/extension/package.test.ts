// The two extension packages (scripts/package-vsix.mjs): the universal one carries the bundles,
// the runtime agent and the grammar but no sources or tests; the linux-x64 one also carries a
// stripped, relocatable free-threaded interpreter without its test suite.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const python = process.env.FTPY_TEST_PYTHON ?? '';
const prefix = python ? dirname(dirname(python)) : '';
const canBundle = python !== '' && existsSync(join(prefix, '.ftpy-ok'));

interface Entry {
  name: string;
  mode: number;
  size: number;
}

/** The entries of a zip, read with the test interpreter's zipfile (no unzip needed). */
function entries(zip: string): Entry[] {
  const r = spawnSync(
    python,
    [
      '-c',
      'import sys, json, zipfile; print(json.dumps([{"name": i.filename, "mode": i.external_attr >> 16, "size": i.file_size} for i in zipfile.ZipFile(sys.argv[1]).infolist()]))',
      zip,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Entry[];
}

test('universal and linux-x64 packages hold what runs, and only that', {
  skip: python ? false : 'FTPY_TEST_PYTHON is not set (run through npm test)',
  timeout: 180_000,
}, () => {
  const args = ['scripts/package-vsix.mjs', '--no-build', ...(canBundle ? ['--python', prefix] : ['--universal-only'])];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  process.stdout.write(r.stdout);

  const version = (
    JSON.parse(spawnSync(process.execPath, ['-p', 'JSON.stringify(require("./package.json"))'], { encoding: 'utf8' }).stdout) as {
      version: string;
    }
  ).version;
  const universal = join('out', 'vsix', `ftpython-debugger-${version}.vsix`);
  const names = entries(universal).map((e) => e.name);
  for (const f of [
    'dist/extension.js',
    'dist/debugAdapter.js',
    'dist/languageServer.js',
    'dist/cli.js',
    'dist/webview/raceView.js',
    'dist/webview/raceView.css',
    'runtime/ftpy_runtime/__main__.py',
    'syntaxes/ftpy-race.tmLanguage.json',
    'package.json',
    'LICENSE.txt',
  ]) {
    assert.ok(names.includes(`extension/${f}`), `universal package lacks ${f}`);
  }
  const leaked = names.filter((n) =>
    /^extension\/(test|extension|debug-adapter|cli|node_modules|examples|out|scripts|python|webview)\/|\.(ts|map|pyc)$/.test(n),
  );
  assert.deepEqual(leaked, [], 'sources, tests, maps and caches stay out');

  if (!canBundle) return;
  const linux = join('out', 'vsix', `ftpython-debugger-linux-x64-${version}.vsix`);
  const list = entries(linux);
  const exe = list.find((e) => /^extension\/python\/bin\/python3\.\d+t$/.test(e.name));
  assert.ok(exe, 'the linux-x64 package carries python/bin/python3.Xt');
  assert.equal(exe.mode & 0o111, 0o111, 'the interpreter is stored executable');
  assert.ok(
    list.some((e) => e.name.endsWith('/lib/python3.13t/threading.py')),
    'the standard library is there',
  );
  const unwanted = list.filter((e) =>
    /\/python\/(lib\/python3\.\d+t\/(test|idlelib|tkinter|ensurepip)\/|include\/|share\/)|__pycache__|\.a$/.test(e.name),
  );
  assert.deepEqual(
    unwanted.map((e) => e.name).slice(0, 5),
    [],
    'no test suite, IDLE, tkinter, ensurepip, headers, static library or caches',
  );
  assert.ok(exe.size < statSync(python).size, 'the interpreter is stripped');
  assert.ok(statSync(linux).size > statSync(universal).size);

  // Unpacked elsewhere, the bundled interpreter runs from its new place, free-threaded.
  const dir = mkdtempSync(join(tmpdir(), 'ftpy-vsix-'));
  try {
    const x = spawnSync(
      python,
      [
        '-c',
        'import sys, zipfile, os\nz = zipfile.ZipFile(sys.argv[1])\nfor i in z.infolist():\n    p = z.extract(i, sys.argv[2]); os.chmod(p, i.external_attr >> 16 or 0o644)',
        linux,
        dir,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(x.status, 0, x.stderr);
    const bundled = join(dir, exe.name);
    const probe = spawnSync(
      bundled,
      [
        '-I',
        '-c',
        'import sys, sysconfig, threading, ssl; print(sys.prefix, sysconfig.get_config_var("Py_GIL_DISABLED"), sys._is_gil_enabled())',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(probe.status, 0, probe.stderr);
    assert.equal(probe.stdout.trim(), `${join(dir, 'extension', 'python')} 1 False`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
