#!/usr/bin/env node
// The project's test command (`npm test`). It builds the bundles, type-checks (tsc, and pyright on
// the Python runtime), lints, makes sure a free-threaded interpreter exists (provisioning one if
// needed), then runs:
//   1. the TypeScript tests (node's test runner over out/test/**.test.js), and
//   2. the Python tests (unittest under the free-threaded interpreter, test/python/),
// and closes with one line `N passed, N failed[, N skipped]` summing both.
//
//   npm test                      everything
//   npm test -- dap race          only test files whose path contains "dap" or "race"
import { spawnSync, spawn } from 'node:child_process';
import { readdirSync, statSync, readFileSync, mkdirSync, existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);
const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));

function step(title, cmd, args, opts = {}) {
  console.log(`\n== ${title}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.status !== 0) {
    console.error(`test: "${title}" failed (exit ${r.status ?? r.signal}).`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

step('build', process.execPath, ['esbuild.mjs']);
step('typecheck', process.execPath, ['node_modules/typescript/bin/tsc', '-p', '.', '--noEmit']);
// The webview pages run in a browser: their own project (DOM, no Node or vscode types).
step('typecheck webviews', process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.webview.json', '--noEmit']);
// Lint and formatting (Biome, biome.json): a diff in formatting is a failure; `npx biome check --write .` fixes it.
step('lint and format', process.execPath, ['node_modules/@biomejs/biome/bin/biome', 'check', '--error-on-warnings', '.']);

// The interpreter every test runs against: the one `ftpy provision` finds or builds.
console.log('\n== free-threaded interpreter');
const prov = spawnSync(process.execPath, ['dist/cli.js', 'provision', '--with-pytest', '--print-path'], {
  stdio: ['ignore', 'pipe', 'inherit'],
  encoding: 'utf8',
});
if (prov.status !== 0) {
  console.error('test: no free-threaded interpreter could be found or provisioned (see above).');
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const python = prov.stdout.trim().split('\n').pop();
console.log(`using ${python}`);
// Type checking for the Python runtime (pyrightconfig.json: strict on runtime/ftpy_runtime).
step('typecheck (python)', process.execPath, ['node_modules/pyright/index.js', '-p', 'pyrightconfig.json', '--pythonpath', python]);
const env = { ...process.env, FTPY_TEST_PYTHON: python };

function walk(dir, pred) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p, pred));
    else if (pred(p)) out.push(p);
  }
  return out;
}
const selected = (p) => filters.length === 0 || filters.some((f) => p.includes(f));

let passed = 0,
  failed = 0,
  skipped = 0;

// 1. TypeScript tests.
const jsTests = walk('out/test', (p) => p.endsWith('.test.js')).filter(selected);
if (jsTests.length) {
  console.log(`\n== node tests (${jsTests.length} files)`);
  mkdirSync('out', { recursive: true });
  const tap = `out/test-results-${process.pid}.tap`; // one per run: concurrent runs must not read each other's counts
  const code = await new Promise((res) => {
    const child = spawn(
      process.execPath,
      [
        '--test',
        '--test-concurrency=1',
        '--enable-source-maps',
        '--test-reporter=spec',
        '--test-reporter-destination=stdout',
        '--test-reporter=tap',
        `--test-reporter-destination=${tap}`,
        ...jsTests,
      ],
      { stdio: 'inherit', env },
    );
    child.on('exit', (c) => res(c ?? 1));
  });
  const text = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
  const num = (k) => Number((text.match(new RegExp(`^# ${k} (\\d+)$`, 'm')) || [])[1] || 0);
  passed += num('pass');
  failed += num('fail') + num('cancelled');
  skipped += num('skipped') + num('todo');
  if (code !== 0 && num('fail') + num('cancelled') === 0) failed += 1; // runner itself failed
}

// 2. Python tests, under the free-threaded interpreter.
const pyTests = walk('test/python', (p) => /\/test_[^/]*\.py$/.test(p)).filter(selected);
if (pyTests.length) {
  console.log(`\n== python tests (${pyTests.length} files, ${python})`);
  const modules = pyTests.map((p) => p.replace(/\.py$/, '').split('/').join('.'));
  const r = spawnSync(python, ['-m', 'unittest', '-v', ...modules], {
    env: { ...env, PYTHONPATH: [join(root, 'runtime'), root].join(':') },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  process.stdout.write(r.stdout);
  process.stdout.write(r.stderr);
  const out = r.stdout + r.stderr;
  const ran = Number((out.match(/^Ran (\d+) tests?/m) || [])[1] || 0);
  const f = Number((out.match(/failures=(\d+)/) || [])[1] || 0) + Number((out.match(/errors=(\d+)/) || [])[1] || 0);
  const s = Number((out.match(/skipped=(\d+)/) || [])[1] || 0);
  passed += ran - f - s;
  failed += f;
  skipped += s;
  if (r.status !== 0 && f === 0) failed += 1;
}

console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed ? 1 : 0);
