#!/usr/bin/env node
// Builds the two extension packages from one build:
//
//   out/vsix/ftpython-debugger-<version>.vsix            universal: adapter, language server,
//                                                         CLI and the Python runtime agent
//   out/vsix/ftpython-debugger-linux-x64-<version>.vsix   the same plus a stripped free-threaded
//                                                         CPython under python/ (preferred by
//                                                         the extension's discovery)
//
//   node scripts/package-vsix.mjs [--universal-only] [--python DIR] [--no-build]
//
// What goes in is decided once, by .vscodeignore (listed with `vsce ls`); each package is made
// from a staging copy of those files, so nothing is ever added to the source tree. The
// interpreter comes from DIR (default: the provisioned ~/.cache/ftpy/cpython-3.13.5t) without
// its test suite, IDLE, tkinter, ensurepip, headers, static library or bytecode caches, and with
// its binaries stripped.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, copyFileSync, chmodSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const universalOnly = argv.includes('--universal-only');
const noBuild = argv.includes('--no-build');
const cacheDir = process.env.FTPY_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'ftpy');
const pythonDir = resolve(opt('--python') ?? join(cacheDir, 'cpython-3.13.5t'));
const outDir = join(root, 'out', 'vsix');
const stageRoot = join(root, 'out', 'vsix-staging');
const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function fail(msg) {
  console.error(`package-vsix: ${msg}`);
  process.exit(1);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  if (r.status !== 0) fail(`${[cmd, ...args].join(' ')} failed (exit ${r.status ?? r.signal}):\n${(r.stdout || '') + (r.stderr || '')}`);
  return r.stdout;
}

// 1. One build.
if (!noBuild) run(process.execPath, ['esbuild.mjs']);
for (const f of ['dist/extension.js', 'dist/debugAdapter.js', 'dist/languageServer.js', 'dist/cli.js']) {
  if (!existsSync(join(root, f))) fail(`${f} is missing: the build did not produce it (run \`node esbuild.mjs\` and fix what it reports).`);
}
if (!existsSync(join(root, 'runtime', 'ftpy_runtime', '__main__.py')))
  fail('runtime/ftpy_runtime/__main__.py is missing: the runtime agent is not written yet.');

// 2. The file list, from .vscodeignore.
const files = run(process.execPath, [vsce, 'ls', '--no-dependencies'])
  .split('\n')
  .map((l) => l.trim())
  .filter(Boolean);
if (!files.includes('package.json')) fail(`vsce ls listed no package.json:\n${files.join('\n')}`);

function stage(name) {
  const dir = join(stageRoot, name);
  rmSync(dir, { recursive: true, force: true });
  for (const f of files) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    copyFileSync(join(root, f), join(dir, f));
    chmodSync(join(dir, f), statSync(join(root, f)).mode & 0o777);
  }
  cpSync(join(root, '.vscodeignore'), join(dir, '.vscodeignore'));
  return dir;
}

// Parts of the interpreter a debuggee never needs.
const PY_SKIP = [
  /^bin\/(?!python3\.\d+t$)/, // only the interpreter itself: no idle, pydoc, config scripts, links
  /^include\//,
  /^share\//,
  /^lib\/pkgconfig\//,
  /^lib\/libpython[^/]*\.a$/,
  /^lib\/python3\.\d+t\/(test|idlelib|tkinter|turtledemo|ensurepip|lib2to3)\//,
  /^lib\/python3\.\d+t\/config-[^/]*\/.*\.(a|o)$/,
  /(^|\/)__pycache__\//,
  /\.pyc$/,
  /^lib\/python3\.\d+t\/lib-dynload\/_test[^/]*\.so$/,
  /^lib\/python3\.\d+t\/lib-dynload\/_(tkinter|xxtestfuzz|ctypes_test)[^/]*\.so$/,
  // `ftpy provision --with-pytest` points the cached interpreter at pytest in this machine's cache.
  /^lib\/python3\.\d+t\/site-packages\/ftpy-pytest\.pth$/,
];

function copyInterpreter(dest) {
  if (!existsSync(join(pythonDir, '.ftpy-ok'))) {
    fail(
      `${pythonDir} holds no finished interpreter (no .ftpy-ok). Run \`node dist/cli.js provision\`, pass --python DIR, or use --universal-only.`,
    );
  }
  const toStrip = [];
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const abs = join(dir, name);
      const rel = relative(pythonDir, abs);
      const st = lstatSync(abs);
      if (st.isDirectory()) {
        walk(abs);
        continue;
      }
      if (st.isSymbolicLink() || !st.isFile()) continue; // links would be stored twice; none is needed
      if (PY_SKIP.some((re) => re.test(rel))) continue;
      const out = join(dest, rel);
      mkdirSync(dirname(out), { recursive: true });
      copyFileSync(abs, out);
      chmodSync(out, st.mode & 0o777);
      if (/^bin\/python3\.\d+t$/.test(rel) || rel.endsWith('.so')) toStrip.push(out);
    }
  };
  walk(pythonDir);
  if (!readdirSync(join(dest, 'bin')).some((n) => /^python3\.\d+t$/.test(n))) fail(`${pythonDir}/bin has no python3.Xt executable`);
  // Strip debugging symbols; keep what dynamic linking needs.
  for (let i = 0; i < toStrip.length; i += 50) run('strip', ['--strip-unneeded', ...toStrip.slice(i, i + 50)]);
  // The copy must still run, from its new place, and be free-threaded.
  const exe = join(
    dest,
    'bin',
    readdirSync(join(dest, 'bin')).find((n) => /^python3\.\d+t$/.test(n)),
  );
  const probe = run(exe, [
    '-I',
    '-B',
    '-c',
    'import sys, sysconfig, json, ssl, ctypes, threading; print(json.dumps([sys.prefix, sysconfig.get_config_var("Py_GIL_DISABLED")]))',
  ]);
  const [prefix, gilDisabled] = JSON.parse(probe.trim());
  if (resolve(prefix) !== resolve(dest)) fail(`the bundled interpreter thinks its prefix is ${prefix}, not ${dest}: it is not relocatable`);
  if (gilDisabled !== 1) fail(`${exe} is not a free-threaded build`);
}

function packageFrom(dir, target) {
  const name = target ? `${pkg.name}-${target}-${pkg.version}.vsix` : `${pkg.name}-${pkg.version}.vsix`;
  const out = join(outDir, name);
  rmSync(out, { force: true });
  run(
    process.execPath,
    [vsce, 'package', '--no-dependencies', '--no-rewrite-relative-links', ...(target ? ['--target', target] : []), '-o', out],
    { cwd: dir },
  );
  return out;
}

function dirSize(dir) {
  let n = 0;
  for (const name of readdirSync(dir)) {
    const st = lstatSync(join(dir, name));
    n += st.isDirectory() ? dirSize(join(dir, name)) : st.size;
  }
  return n;
}

const mb = (n) => `${(n / 1048576).toFixed(1)} MB`;
mkdirSync(outDir, { recursive: true });

const universal = packageFrom(stage('universal'));
console.log(`${relative(root, universal)}  ${mb(statSync(universal).size)}  (${files.length} files)`);

if (!universalOnly) {
  const dir = stage('linux-x64');
  copyInterpreter(join(dir, 'python'));
  const linux = packageFrom(dir, 'linux-x64');
  console.log(
    `${relative(root, linux)}  ${mb(statSync(linux).size)}  (interpreter ${mb(dirSize(join(dir, 'python')))} unpacked, from ${pythonDir})`,
  );
}
rmSync(stageRoot, { recursive: true, force: true });
