/**
 * The TypeScript sources' import graph: no module imports itself through a cycle, and each
 * folder imports only the layers below it (docs/architecture.md, "Layers"). Imports are read
 * with the TypeScript compiler's own pre-processor, so `import type`, `export … from`,
 * `import()` and `require()` all count.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve('.');
const SOURCE_DIRS = ['extension', 'debug-adapter', 'cli', 'bench'];

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

interface Imports {
  /** Project files, relative to the root ("debug-adapter/core/errors.ts"). */
  local: string[];
  /** Package names and node builtins, as written ("vscode", "node:fs", "@vscode/debugadapter"). */
  external: string[];
}

function resolveLocal(from: string, spec: string): string {
  const base = resolve(dirname(join(ROOT, from)), spec);
  for (const candidate of [base, `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return relative(ROOT, candidate);
  }
  throw new Error(`${from} imports ${spec}, which is not a file here`);
}

function readGraph(): Map<string, Imports> {
  const graph = new Map<string, Imports>();
  for (const dir of SOURCE_DIRS) {
    for (const abs of tsFiles(join(ROOT, dir))) {
      const file = relative(ROOT, abs);
      const info = ts.preProcessFile(readFileSync(abs, 'utf8'), true, true);
      const specs = info.importedFiles.map((f) => f.fileName);
      graph.set(file, {
        local: specs.filter((s) => s.startsWith('.')).map((s) => resolveLocal(file, s)),
        external: specs.filter((s) => !s.startsWith('.')),
      });
    }
  }
  return graph;
}

/** Every elementary cycle's first sighting, as a path that starts and ends at the same module. */
function findCycles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...edges.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

test('the cycle finder names a cycle, and finds none in a tree', () => {
  const cyclic = new Map([
    ['a.ts', ['b.ts']],
    ['b.ts', ['c.ts']],
    ['c.ts', ['a.ts', 'd.ts']],
    ['d.ts', []],
  ]);
  assert.deepEqual(findCycles(cyclic), [['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
  assert.deepEqual(findCycles(new Map([['x.ts', ['y.ts']]])), []);
});

test('no import cycle among the TypeScript sources', () => {
  const graph = readGraph();
  assert.ok(graph.size > 20, `read ${graph.size} modules`);
  const cycles = findCycles(new Map([...graph].map(([f, i]) => [f, i.local])));
  assert.deepEqual(
    cycles.map((c) => c.join(' → ')),
    [],
    'import cycles (break each by moving what both sides need into a module of its own)',
  );
});

/** Which part of the code a file belongs to. Order matters: the first prefix that matches wins. */
const LAYERS: ReadonlyArray<{ layer: string; prefix: string }> = [
  { layer: 'core', prefix: 'debug-adapter/core/' },
  { layer: 'adapter', prefix: 'debug-adapter/' },
  { layer: 'cli', prefix: 'cli/' },
  { layer: 'languageServer', prefix: 'extension/languageServer/' },
  { layer: 'extension', prefix: 'extension/' },
  { layer: 'bench', prefix: 'bench/' },
];

function layerOf(file: string): string {
  const hit = LAYERS.find((l) => file.startsWith(l.prefix));
  if (!hit) throw new Error(`${file} is in no layer`);
  return hit.layer;
}

const NODE_BUILTINS = new Set(builtinModules);
const isBuiltin = (spec: string): boolean => spec.startsWith('node:') || NODE_BUILTINS.has(spec);
const packageOf = (spec: string): string => (spec.startsWith('@') ? spec.split('/').slice(0, 2) : spec.split('/').slice(0, 1)).join('/');

/** What each layer may import: the layers (its own included) and the npm packages; node builtins always. */
const MAY_IMPORT: Readonly<Record<string, { layers: string[]; packages: string[] }>> = {
  // The shared Node core: standard library only, so the CLI, the extension, the bench and the
  // DAP server can all build on it.
  core: { layers: ['core'], packages: [] },
  // The DAP server: runs standalone over stdio or inline in the extension, so no vscode API.
  adapter: { layers: ['adapter', 'core'], packages: ['@vscode/debugadapter', '@vscode/debugprotocol'] },
  cli: { layers: ['cli', 'core'], packages: [] },
  // The language server is its own Node process: no vscode API there either. It shares the race
  // report model (extension/raceReport.ts) with the extension; the rule below keeps that model
  // free of vscode.
  languageServer: { layers: ['languageServer', 'extension'], packages: ['vscode-languageserver', 'vscode-languageserver-textdocument'] },
  // The extension hosts the DAP server inline and starts the language server.
  extension: { layers: ['extension', 'languageServer', 'adapter', 'core'], packages: ['vscode', 'vscode-languageclient'] },
  bench: { layers: ['bench', 'core'], packages: ['@vscode/debugadapter-testsupport', '@vscode/debugprotocol'] },
};

test('each folder imports only the layers and packages it may (docs/architecture.md)', () => {
  const graph = readGraph();
  const wrong: string[] = [];
  for (const [file, imports] of graph) {
    const rule = MAY_IMPORT[layerOf(file)];
    for (const dep of imports.local) {
      if (!rule.layers.includes(layerOf(dep))) wrong.push(`${file} imports ${dep} (${layerOf(file)} may not use ${layerOf(dep)})`);
    }
    for (const spec of imports.external) {
      if (!isBuiltin(spec) && !rule.packages.includes(packageOf(spec))) wrong.push(`${file} imports the package ${spec}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('nothing the language server loads reaches the vscode API (it runs outside VS Code)', () => {
  const graph = readGraph();
  const seen = new Set<string>();
  const reachesVscode: string[] = [];
  const walk = (file: string, path: string[]): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const imports = graph.get(file);
    if (!imports) return;
    if (imports.external.some((s) => packageOf(s) === 'vscode' || packageOf(s) === 'vscode-languageclient')) {
      reachesVscode.push([...path, file].join(' → '));
    }
    for (const dep of imports.local) walk(dep, [...path, file]);
  };
  walk('extension/languageServer/server.ts', []);
  assert.ok(seen.size > 1);
  assert.deepEqual(reachesVscode, []);
});
