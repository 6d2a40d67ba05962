// Bundles the extension, the standalone debug adapter, the language server, the CLI and the
// TypeScript tests. `node esbuild.mjs` builds everything; `--watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { readdirSync, statSync, chmodSync } from 'node:fs';
import { join } from 'node:path';

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'linked',
  logLevel: 'warning',
};

function testEntries(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...testEntries(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

// Webview pages (webview/views/*.ts and *.css): bundled for the browser, one file per view, to
// dist/webview/ (the only folder a webview may load from).
const webviewEntries = readdirSync('webview/views')
  .filter((n) => /\.(ts|css)$/.test(n))
  .map((n) => join('webview', 'views', n));

const builds = [
  { ...common, entryPoints: { extension: 'extension/extension.ts' }, outdir: 'dist', external: ['vscode'] },
  { ...common, entryPoints: { debugAdapter: 'debug-adapter/debugAdapter.ts' }, outdir: 'dist' },
  { ...common, entryPoints: { languageServer: 'extension/languageServer/server.ts' }, outdir: 'dist' },
  { ...common, entryPoints: { bench: 'bench/bench.ts' }, outdir: 'dist' },
  { ...common, entryPoints: { cli: 'cli/ftpy.ts' }, outdir: 'dist', banner: { js: '#!/usr/bin/env node' } },
  { ...common, platform: 'browser', target: 'es2022', format: 'iife', entryPoints: webviewEntries, outdir: 'dist/webview' },
  // Tests: one bundle per file, dependencies left to node_modules.
  { ...common, entryPoints: testEntries('test'), outdir: 'out/test', outbase: 'test', packages: 'external' },
];

const watch = process.argv.includes('--watch');
let failed = 0;
for (const b of builds) {
  const missing = Object.values(b.entryPoints).filter((e) => {
    try {
      statSync(e);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length) {
    console.warn(`esbuild: skipping ${missing.join(', ')} (not written yet)`);
    continue;
  }
  // Each bundle builds on its own, so one broken entry point doesn't hide the others' errors.
  try {
    if (watch) await (await esbuild.context(b)).watch();
    else await esbuild.build(b);
  } catch {
    failed++;
  }
}
try {
  chmodSync('dist/cli.js', 0o755);
} catch {
  /* not built */
}
if (failed) {
  console.error(`esbuild: ${failed} bundle(s) failed`);
  process.exit(1);
}
