#!/usr/bin/env node
// Writes what package.json and the README say about launch configurations from the one
// declaration, debug-adapter/core/launchAttributes.ts (as vscode-js-debug generates its
// contributions): package.json's `configurationAttributes` and `initialConfigurations`, and the
// README's attribute table between its markers. Only those parts of the two files change.
//
//   node scripts/generate-contributions.mjs          rewrite them
//   node scripts/generate-contributions.mjs --check  exit 1 (and say what) if they are out of date
//
// test/unit/launchAttributes.test.ts checks the same thing inside the test command.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');

// The declaration is TypeScript: bundle it (it imports nothing outside core/) and load it.
const bundle = join(root, 'out', 'generate-contributions.cjs');
mkdirSync(dirname(bundle), { recursive: true });
await esbuild.build({
  entryPoints: [join(root, 'debug-adapter/core/contributions.ts')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  outfile: bundle,
  logLevel: 'warning',
});
const c = createRequire(import.meta.url)(bundle);

/** The end (exclusive) of the JSON value that starts at `start` ('{' or '['), skipping strings. */
function valueEnd(text, start) {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (ch === '{' || ch === '[') depth++;
    else if (ch === '}' || ch === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  throw new Error('unbalanced JSON');
}

/** Replace the value of `"key":` (its first occurrence) with render(indent of the key's line). */
function replaceValue(text, key, render) {
  const at = text.indexOf(`"${key}":`);
  if (at < 0) throw new Error(`package.json has no "${key}"`);
  const lineStart = text.lastIndexOf('\n', at) + 1;
  const indent = at - lineStart;
  const start = text.slice(at).search(/[{[]/) + at;
  return text.slice(0, start) + render(indent) + text.slice(valueEnd(text, start));
}

const pkgPath = join(root, 'package.json');
const pkgOld = readFileSync(pkgPath, 'utf8');
let pkgNew = replaceValue(pkgOld, 'configurationAttributes', c.configurationAttributesText);
pkgNew = replaceValue(pkgNew, 'initialConfigurations', c.initialConfigurationsText);
JSON.parse(pkgNew); // never write a package.json that does not parse

const readmePath = join(root, 'README.md');
const readmeOld = readFileSync(readmePath, 'utf8');
const begin = readmeOld.indexOf(c.TABLE_BEGIN);
const end = readmeOld.indexOf(c.TABLE_END);
if (begin < 0 || end < begin) {
  console.error(`README.md lacks the markers the table goes between:\n${c.TABLE_BEGIN}\n${c.TABLE_END}`);
  process.exit(1);
}
const readmeNew = `${readmeOld.slice(0, begin + c.TABLE_BEGIN.length)}\n${c.attributeTable()}\n${readmeOld.slice(end)}`;

const stale = [
  [pkgPath, pkgOld, pkgNew],
  [readmePath, readmeOld, readmeNew],
].filter(([, before, after]) => before !== after);
if (check) {
  for (const [path] of stale) console.error(`${path} is out of date: run node scripts/generate-contributions.mjs`);
  process.exit(stale.length ? 1 : 0);
}
for (const [path, , after] of stale) writeFileSync(path, after);
console.log(stale.length ? `wrote ${stale.map(([p]) => p).join(', ')}` : 'package.json and README.md were up to date');
