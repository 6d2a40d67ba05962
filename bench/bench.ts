/**
 * `npm run bench [-- --json FILE] [--threads 2,4] [--reps R] [--only a,b] [--workloads objects,text] [--scale S]`
 *
 * What the debugger and the race detector cost. Absolute times on shared machines are noise, so
 * every figure is a ratio against a baseline measured in the same invocation, on the same
 * interpreter, over several repetitions (median, with min–max spread).
 *
 *   idle       the workloads under our adapter (breakpoints in an unrelated file) and under
 *              `python -m pdb` (same), each vs plain                          target ≤ 1.05×
 *   scaling    N-thread speedup under the debugger / N-thread speedup plainly  target ≥ 0.95
 *   pause      pause → stopped latency with 8 and 64 busy threads              target < 10 ms at 8
 *   hits       breakpoint stops per second, many threads, continue after each
 *   race       `ftpy race` slowdown and peak-RSS ratio vs plain; its speedup kept target ≤ 10×
 *   ownership  the ownership snapshot over 1 million live objects
 *   gil        N-thread workloads with PYTHON_GIL=1 vs PYTHON_GIL=0
 *   locks      tracked locks (the Locks view) vs plain locks, per acquire/release pair
 *   databp     data breakpoints: a watched field the program never touches (vs plain,
 *              target ≤ 1.05×), the same attribute name stored on other objects, and the
 *              watched field itself written in a hot loop (ns per watched write)
 */
import { spawn } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { writeFileSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { resolveInterpreter } from '../debug-adapter/core/interpreters';
import { runtimeDir } from '../debug-adapter/core/paths';
import { launch, end, waitForOutput } from './dap';

const ROOT = resolve(__dirname, '..');
const WORKLOADS = ['objects', 'text', 'numeric', 'locked', 'library'];
// `ftpy race` slowdown targets (issue 11): attribute-heavy code ≤ 5×, the rest (lock-heavy included) ≤ 10×.
const RACE_TARGET: Record<string, number> = { objects: 5 };
const W = (name: string): string => join(ROOT, 'bench', 'workloads', `${name}.py`);
const UNRELATED = W('unrelated');
const PROGRAMS = join(ROOT, 'bench', 'programs');

interface Options {
  threads: number[];
  reps: number;
  only: Set<string> | null;
  scale: number;
  workloads: string[];
  json?: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { threads: [1, Math.max(2, cpus().length)], reps: 3, only: null, scale: 1, workloads: WORKLOADS };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--json') o.json = resolve(next());
    else if (a === '--threads')
      o.threads = [...new Set([1, ...next().split(',').map(Number)])].sort((x, y) => x - y); // 1 is always the baseline
    else if (a === '--scale') o.scale = Number(next());
    else if (a === '--workloads')
      o.workloads = next()
        .split(',')
        .filter((w) => WORKLOADS.includes(w));
    else if (a === '--reps') o.reps = Number(next());
    else if (a === '--only') o.only = new Set(next().split(','));
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

// ---------------------------------------------------------------- statistics

export interface Stat {
  median: number;
  min: number;
  max: number;
  n: number;
}
function stat(xs: number[]): Stat {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { median: m, min: s[0], max: s[s.length - 1], n: s.length };
}
const f2 = (x: number): string => x.toFixed(2);
const spread = (s: Stat, digits = 2): string => `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;

// ---------------------------------------------------------------- running workloads

interface BenchLine {
  seconds: number;
  threads: number;
  maxrss_kb: number;
}

function parseBench(text: string, what: string): BenchLine {
  const m = text.match(/FTPY_BENCH (\{.*\})/);
  if (!m) throw new Error(`${what} printed no FTPY_BENCH line:\n${text.slice(-2000)}`);
  return JSON.parse(m[1]) as BenchLine;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, what = args.join(' ')): Promise<string> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d;
    });
    child.on('error', rej);
    child.on('close', (code) => (code === 0 || code === 66 ? res(out) : rej(new Error(`${what} exited ${code}:\n${out.slice(-2000)}`))));
  });
}

type Mode = 'plain' | 'debugger' | 'pdb' | 'race' | 'gil-on';

async function once(mode: Mode, python: string, workload: string, threads: number, scale: number): Promise<BenchLine> {
  const args = [W(workload), '--threads', String(threads), '--scale', String(scale)];
  const env = { PYTHONPATH: runtimeDir() };
  switch (mode) {
    case 'plain':
      return parseBench(await run(python, args, { PYTHON_GIL: '0' }), `${workload} plain`);
    case 'gil-on':
      return parseBench(await run(python, args, { PYTHON_GIL: '1' }), `${workload} PYTHON_GIL=1`);
    case 'pdb':
      return parseBench(
        await run(python, ['-m', 'pdb', '-c', `b ${UNRELATED}:5`, '-c', 'c', ...args], { PYTHON_GIL: '0' }),
        `${workload} under pdb`,
      );
    case 'race':
      return parseBench(
        await run(python, ['-m', 'ftpy_runtime.race', '--', ...args], { ...env, PYTHON_GIL: '0' }),
        `${workload} under ftpy race`,
      );
    case 'debugger': {
      const s = await launch({
        program: args[0],
        args: args.slice(1),
        python,
        breakpoints: [{ path: UNRELATED, lines: [5] }],
        extra: { env: { PYTHON_GIL: '0' } },
      });
      await s.terminated;
      const line = parseBench(s.output(), `${workload} under the debugger`);
      await end(s);
      return line;
    }
  }
}

/** Interleaves the modes rep by rep, so drift in machine load hits all of them alike. */
async function measure(
  modes: Mode[],
  python: string,
  workload: string,
  threads: number,
  reps: number,
  scale: number,
): Promise<Record<string, { time: Stat; rss: Stat }>> {
  const samples: Record<string, BenchLine[]> = Object.fromEntries(modes.map((m) => [m, []]));
  for (let r = 0; r < reps; r++) {
    for (const m of modes) samples[m].push(await once(m, python, workload, threads, scale));
  }
  return Object.fromEntries(
    modes.map((m) => [m, { time: stat(samples[m].map((s) => s.seconds)), rss: stat(samples[m].map((s) => s.maxrss_kb)) }]),
  );
}

// ---------------------------------------------------------------- figures

interface Figure {
  name: string;
  value: string;
  target?: string;
  met?: boolean;
  data: unknown;
}

async function pauseLatency(python: string, threads: number, reps: number): Promise<Stat> {
  const s = await launch({ program: join(PROGRAMS, 'spin.py'), args: [String(threads), '600'], python });
  const ms: number[] = [];
  try {
    await waitForOutput(s, 'ready');
    const first = (await s.dc.threadsRequest()).body.threads[0].id;
    for (let i = 0; i < reps; i++) {
      const stopped = s.dc.waitForEvent('stopped', 30000);
      const t0 = process.hrtime.bigint();
      await s.dc.pauseRequest({ threadId: first });
      await stopped;
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
      await s.dc.continueRequest({ threadId: first });
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await end(s);
  }
  return stat(ms);
}

async function hitThroughput(python: string, threads: number, hits: number): Promise<{ stops: number; perSecond: number }> {
  const program = join(PROGRAMS, 'hits.py');
  const line =
    readFileSync(program, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes('# BREAKPOINT')) + 1;
  const s = await launch({ program, args: [String(threads), String(hits)], python, breakpoints: [{ path: program, lines: [line] }] });
  let stops = 0;
  const t0 = process.hrtime.bigint();
  try {
    for (;;) {
      const ev = await Promise.race([s.dc.waitForEvent('stopped', 60000), s.terminated.then(() => null)]);
      if (!ev) break;
      stops++;
      await s.dc.continueRequest({ threadId: (ev as DebugProtocol.StoppedEvent).body.threadId ?? 1 });
    }
  } finally {
    await end(s);
  }
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  return { stops, perSecond: stops / sec };
}

/**
 * bench/programs/databp.py under the adapter: stopped at its `# BREAKPOINT` line, a data
 * breakpoint goes on `watched.value` (found in the Variables pane like a user would; its hit
 * condition never holds, so it never stops) unless `watch` is false; then the timed part runs.
 */
async function dataBreakpointRun(python: string, mode: string, threads: number, watch: boolean): Promise<number> {
  const program = join(PROGRAMS, 'databp.py');
  const args = [mode, String(threads), '1'];
  const line =
    readFileSync(program, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes('# BREAKPOINT')) + 1;
  const s = await launch({ program, args, python, breakpoints: [{ path: program, lines: [line] }], extra: { env: { PYTHON_GIL: '0' } } });
  try {
    const ev = (await s.dc.waitForEvent('stopped', 60000)) as DebugProtocol.StoppedEvent;
    const threadId = ev.body.threadId ?? 1;
    if (watch) {
      const frame = (await s.dc.stackTraceRequest({ threadId, levels: 1 })).body.stackFrames[0];
      const globals = (await s.dc.scopesRequest({ frameId: frame.id })).body.scopes.find((sc) => sc.name === 'Globals')!;
      const rows = (await s.dc.variablesRequest({ variablesReference: globals.variablesReference })).body.variables;
      const box = rows.find((v) => v.name === 'watched');
      if (!box) throw new Error(`no 'watched' among ${rows.map((v) => v.name).join(', ')} (stopped: ${JSON.stringify(ev.body)})`);
      const info = (await s.dc.customRequest('dataBreakpointInfo', { variablesReference: box.variablesReference, name: 'value' }))
        .body as DebugProtocol.DataBreakpointInfoResponse['body'];
      if (!info.dataId) throw new Error(`dataBreakpointInfo: ${info.description}`);
      await s.dc.customRequest('setDataBreakpoints', { breakpoints: [{ dataId: info.dataId, accessType: 'write', hitCondition: '== 0' }] });
    }
    await s.dc.setBreakpointsRequest({ source: { path: program }, breakpoints: [] });
    await s.dc.continueRequest({ threadId });
    await s.terminated;
    return parseBench(s.output(), `databp ${mode}`).seconds;
  } finally {
    await end(s);
  }
}

async function dataBreakpointFigures(python: string, threadCounts: number[], reps: number, figures: Figure[]): Promise<void> {
  const program = join(PROGRAMS, 'databp.py');
  for (const mode of ['unrelated', 'samename', 'hot']) {
    for (const t of threadCounts) {
      console.log(`\ndata breakpoint, ${mode}, ${t} thr: plain, debugger, debugger + data breakpoint…`);
      const plain: number[] = [];
      const dbg: number[] = [];
      const watched: number[] = [];
      for (let r = 0; r < reps; r++) {
        plain.push(parseBench(await run(python, [program, mode, String(t), '1'], { PYTHON_GIL: '0' }), `databp ${mode}`).seconds);
        dbg.push(await dataBreakpointRun(python, mode, t, false));
        watched.push(await dataBreakpointRun(python, mode, t, true));
      }
      const p = stat(plain).median;
      const d = stat(dbg).median;
      const w = stat(watched).median;
      const data = { plain: stat(plain), debugger: stat(dbg), dataBreakpoint: stat(watched) };
      if (mode === 'hot') {
        const writes = 200_000; // bench/programs/databp.py at scale 1, whatever the thread count
        figures.push({
          name: `data breakpoint, watched field written in a hot loop, ${t} thr`,
          value: `${f2(w / p)}× plain, ${(((w - d) / writes) * 1e9).toFixed(0)} ns per watched write`,
          data,
        });
      } else {
        figures.push({
          name: `data breakpoint, ${mode === 'unrelated' ? 'field not touched' : 'same name on other objects'}, ${t} thr`,
          value: `${f2(w / p)}× plain (debugger alone ${f2(d / p)}×)`,
          target: mode === 'unrelated' ? '≤ 1.05×' : undefined,
          met: mode === 'unrelated' ? w / p <= 1.05 : undefined,
          data,
        });
      }
    }
  }
}

/** Runs one of the Python-side benchmark scripts in bench/ and returns what it printed. */
async function pythonBench(python: string, script: string): Promise<string> {
  return (await run(python, [join(ROOT, 'bench', script)], { PYTHONPATH: runtimeDir(), PYTHON_GIL: '0' })).trim();
}

export async function main(argv: string[]): Promise<number> {
  const o = parseArgs(argv);
  const py = await resolveInterpreter();
  const want = (k: string): boolean => !o.only || o.only.has(k);
  const version = (await run(py.path, ['-c', 'import sys; print(sys.version.replace("\\n", " "))'])).trim();
  const machine = {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round(totalmem() / 2 ** 30),
    python: py.path,
    version,
    date: new Date().toISOString(),
    threads: o.threads,
    reps: o.reps,
    scale: o.scale,
  };
  console.log(
    `ftpy bench — ${machine.cores} cores (${machine.cpu}), Python ${version}, threads ${o.threads.join('/')}, ${o.reps} reps, ${machine.date}`,
  );
  const figures: Figure[] = [];
  const errors: string[] = [];
  const attempt = async (key: string, fn: () => Promise<void>): Promise<void> => {
    if (!want(key)) return;
    try {
      await fn();
    } catch (e) {
      const msg = `${key}: ${(e as Error).message.split('\n')[0]}`;
      errors.push(msg);
      console.log(`  ! ${msg}`);
    }
  };
  const raw: Record<string, unknown> = {};

  const workloadFigures = ['idle', 'scaling', 'race', 'gil'].some(want);
  for (const w of workloadFigures ? o.workloads : []) {
    const modes: Mode[] = ['plain'];
    if (want('idle') || want('scaling')) modes.push('debugger');
    if (want('idle')) modes.push('pdb');
    if (want('race')) modes.push('race');
    if (want('gil')) modes.push('gil-on');
    console.log(`\n${w}: measuring ${modes.join(', ')} at ${o.threads.join(', ')} threads…`);
    // A warm-up run of each mode; one that cannot run at all is reported, not fatal.
    const usable: Mode[] = [];
    for (const m of modes) {
      try {
        await once(m, py.path, w, 1, o.scale);
        usable.push(m);
      } catch (e) {
        const msg = `${w} ${m}: ${(e as Error).message.split('\n')[0]}`;
        errors.push(msg);
        console.log(`  ! ${msg}`);
      }
    }
    const byThreads: Record<number, Record<string, { time: Stat; rss: Stat }>> = {};
    for (const t of o.threads) byThreads[t] = await measure(usable, py.path, w, t, o.reps, o.scale);
    raw[w] = byThreads;
    const p1 = byThreads[1].plain.time.median;
    const ratio = (m: string, t: number): number | undefined =>
      byThreads[t][m] ? byThreads[t][m].time.median / byThreads[t].plain.time.median : undefined;
    for (const t of o.threads) {
      const d = ratio('debugger', t);
      if (d !== undefined)
        figures.push({
          name: `idle debugger overhead, ${w}, ${t} thr`,
          value: `${f2(d)}×`,
          target: '≤ 1.05×',
          met: d <= 1.05,
          data: byThreads[t].debugger,
        });
      const p = ratio('pdb', t);
      if (p !== undefined) figures.push({ name: `  pdb (stdlib peer), ${w}, ${t} thr`, value: `${f2(p)}×`, data: byThreads[t].pdb });
      const r = ratio('race', t);
      if (r !== undefined) {
        const rss = byThreads[t].race.rss.median / byThreads[t].plain.rss.median;
        figures.push({
          name: `ftpy race slowdown, ${w}, ${t} thr`,
          value: `${f2(r)}×  (peak RSS ${f2(rss)}×)`,
          target: `≤ ${RACE_TARGET[w] ?? 10}×`,
          met: r <= (RACE_TARGET[w] ?? 10),
          data: byThreads[t].race,
        });
      }
      if (t === 1) continue;
      const plainSpeedup = p1 / byThreads[t].plain.time.median;
      figures.push({ name: `plain speedup, ${w}, ${t} vs 1 thr`, value: `${f2(plainSpeedup)}×`, data: byThreads[t].plain });
      for (const [mode, label] of [
        ['debugger', 'debugger'],
        ['race', 'ftpy race'],
      ] as const) {
        if (!byThreads[1][mode] || !byThreads[t][mode]) continue;
        const kept = byThreads[1][mode].time.median / byThreads[t][mode].time.median / plainSpeedup;
        figures.push({
          name: `scaling kept under ${label}, ${w}, ${t} vs 1 thr`,
          value: f2(kept),
          target: '≥ 0.95',
          met: kept >= 0.95,
          data: { plainSpeedup },
        });
      }
      const g = ratio('gil-on', t);
      if (g !== undefined)
        figures.push({ name: `GIL on vs off, ${w}, ${t} thr (time ratio)`, value: `${f2(g)}×`, data: byThreads[t]['gil-on'] });
    }
  }

  await attempt('pause', async () => {
    for (const n of [8, 64]) {
      console.log(`\npause latency with ${n} busy threads…`);
      const s = await pauseLatency(py.path, n, 10);
      figures.push({
        name: `pause → stopped, ${n} busy threads (ms)`,
        value: spread(s, 1),
        target: n === 8 ? '< 10 ms' : undefined,
        met: n === 8 ? s.median < 10 : undefined,
        data: s,
      });
    }
  });
  await attempt('hits', async () => {
    console.log('\nbreakpoint-hit throughput, 8 threads × 25 hits…');
    const h = await hitThroughput(py.path, 8, 25);
    figures.push({
      name: 'breakpoint stops per second (8 threads)',
      value: `${h.perSecond.toFixed(1)}/s over ${h.stops} stops`,
      met: h.stops === 200,
      target: '200 stops',
      data: h,
    });
  });
  await attempt('ownership', async () => {
    console.log('\nownership snapshot over 1M objects…');
    const out = await pythonBench(py.path, 'bench_ownership.py');
    const live = out.match(/live GC-tracked objects: ([\d,]+)/)?.[1] ?? '?';
    const snap = out.match(/ownership\.snapshot\(\): +best ([\d.]+)s +median ([\d.]+)s/);
    const gcOnly = out.match(/gc\.get_objects\(\): +best ([\d.]+)s/)?.[1];
    figures.push({
      name: `ownership snapshot, ${live} objects (s)`,
      value: snap ? `${snap[2]} median, ${snap[1]} best (gc.get_objects ${gcOnly})` : 'unparsed',
      data: out,
    });
  });

  await attempt('locks', async () => {
    console.log('\ntracked locks (installed while debugging without races) vs plain locks…');
    const out = await pythonBench(py.path, 'bench_locks.py');
    for (const m of out.matchAll(/^(R?Lock) +(\d+) thread\(s\), (.*?) *: plain .*?\(([\d.]+)x/gm)) {
      figures.push({ name: `tracked ${m[1]} acquire/release, ${m[2]} thr, ${m[3]}`, value: `${m[4]}×`, data: m[0] });
    }
  });

  await attempt('databp', async () => {
    await dataBreakpointFigures(py.path, o.threads, o.reps, figures);
  });

  const width = Math.max(...figures.map((f) => f.name.length), 10);
  console.log(`\n${'figure'.padEnd(width)}  ${'value'.padEnd(34)}  target      met`);
  for (const f of figures)
    console.log(
      `${f.name.padEnd(width)}  ${f.value.padEnd(34)}  ${(f.target ?? '').padEnd(10)}  ${f.met === undefined ? '' : f.met ? 'yes' : 'NO'}`,
    );
  if (errors.length) console.log(`\nnot measured:\n${errors.map((e) => `  - ${e}`).join('\n')}`);
  if (o.json) {
    writeFileSync(o.json, `${JSON.stringify({ machine, figures, errors, raw }, null, 2)}\n`);
    console.log(`\nwrote ${o.json}`);
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (c) => {
    process.exitCode = c;
  },
  (e: unknown) => {
    console.error(`bench: ${(e as Error).message}`);
    process.exitCode = 1;
  },
);
