// Debugger benchmarks (not tests): `node test/dap/bench.mjs [python]` after `node esbuild.mjs`.
//   1. pause -> stopped latency with 8 threads spinning in pure Python (median of several);
//   2. slowdown of a multithreaded CPU-bound program under the debugger, with a breakpoint set in
//      an unrelated file, against the same program run plainly, alternating, in the same run.
// Prints one JSON object. The lead folds this into `npm run bench`.
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { readFileSync } from 'node:fs';

const python = process.argv[2] || process.env.FTPY_TEST_PYTHON || process.env.FTPY_PYTHON;
if (!python) { console.error('usage: node test/dap/bench.mjs PYTHON (or set FTPY_TEST_PYTHON)'); process.exit(2); }
const adapter = resolve('dist/debugAdapter.js');
const prog = (n) => resolve('test/dap/programs', n);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function session(launchArgs, breakpoints = {}) {
  const dc = new DebugClient('node', adapter, 'ftpython');
  dc.defaultTimeout = 60000;
  await dc.start();
  const queue = []; const waiters = [];
  const out = [];
  dc.on('stopped', (e) => (waiters.length ? waiters.shift()(e) : queue.push(e)));
  dc.on('output', (e) => out.push(e.body.output));
  const terminated = new Promise((r) => dc.on('terminated', r));
  await dc.initializeRequest({ adapterID: 'ftpython', pathFormat: 'path' });
  const init = new Promise((r) => dc.once('initialized', r));
  await dc.launchRequest({ python, ...launchArgs });
  await init;
  for (const [path, lines] of Object.entries(breakpoints)) await dc.setBreakpointsRequest({ source: { path }, breakpoints: lines.map((line) => ({ line })) });
  await dc.configurationDoneRequest();
  const nextStop = () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiters.push(r)));
  return { dc, nextStop, terminated, output: () => out.join('') };
}

async function pauseLatency(rounds = 11) {
  const s = await session({ program: prog('spinners.py'), args: ['8'] });
  const times = [];
  while (!/all spinning/.test(s.output())) await sleep(50);
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await s.dc.pauseRequest({ threadId: 1 });
    const e = await s.nextStop();
    times.push(performance.now() - t0);
    await s.dc.continueRequest({ threadId: e.body.threadId });
    await sleep(300);
  }
  await s.dc.disconnectRequest({ terminateDebuggee: true });
  await s.dc.stop();
  return { medianMs: +median(times).toFixed(2), samplesMs: times.map((t) => +t.toFixed(2)) };
}

function plainRun(args) {
  const r = spawnSync(python, [prog('cpu_bound.py'), ...args], { encoding: 'utf8' });
  return Number(/elapsed ([\d.]+)/.exec(r.stdout)[1]);
}

function lineOf(file, marker) {
  const lines = readFileSync(prog(file), 'utf8').split('\n');
  return lines.findIndex((l) => l.includes(`# ${marker}`)) + 1;
}

// `where`: 'unrelated' puts the breakpoint in another file; 'same-function' on a line of work()
// that never runs, so work() itself carries local LINE events.
async function debuggedRun(args, where) {
  const bps = where === 'unrelated'
    ? { [prog('helper_module.py')]: [lineOf('helper_module.py', 'BP-TRIPLE')] }
    : { [prog('cpu_bound.py')]: [lineOf('cpu_bound.py', 'BP-NEVER')] };
  const s = await session({ program: prog('cpu_bound.py'), args }, bps);
  await s.terminated;
  const m = /elapsed ([\d.]+)/.exec(s.output());
  await s.dc.stop();
  return Number(m[1]);
}

async function overhead(where, rounds = 5, threads = '4', iterations = '2000000') {
  const plain = []; const debugged = [];
  for (let i = 0; i < rounds; i++) {
    plain.push(plainRun([threads, iterations]));
    debugged.push(await debuggedRun([threads, iterations], where));
  }
  return {
    breakpoint: where, threads: Number(threads), iterations: Number(iterations),
    plainMedianS: median(plain), debuggedMedianS: median(debugged),
    slowdown: +(median(debugged) / median(plain)).toFixed(3), plainS: plain, debuggedS: debugged,
  };
}

const result = {
  python,
  pauseToStopped8Threads: await pauseLatency(),
  cpuBoundOverheadUnrelatedFile: await overhead('unrelated'),
  cpuBoundOverheadSameFunction: await overhead('same-function'),
};
console.log(JSON.stringify(result, null, 2));
