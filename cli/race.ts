/**
 * `ftpy race`: run a program under the ThreadSanitizer-style race detector.
 *
 *   ftpy race [options] [--] script.py [args…]
 *   ftpy race [options] -m MODULE [args…]        e.g. -m pytest tests/, -m unittest
 *   ftpy race [options] -c CODE [args…]
 *
 * The work happens in the debuggee's own interpreter (`python -m ftpy_runtime.race`); this
 * file finds that interpreter, passes the options on, watches the child, and hands back its
 * exit status: 66 when races were reported (whatever the program's own status), else the
 * program's own; 128+n when the program was killed by signal n (a crash wins over 66).
 *
 * Reports are streamed to a private file as they are found. When the program dies before
 * the detector could write the final JSON/SARIF (SIGSEGV, SIGABRT, SIGKILL…), the runtime is
 * run once more (`--finalize`) to make them from that stream, so nothing found is lost.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { FtpyError } from '../debug-adapter/core/errors';
import { resolveInterpreter } from '../debug-adapter/core/interpreters';
import { runtimeDir } from '../debug-adapter/core/paths';

export const RACE_USAGE =
  'usage: ftpy race [--json FILE] [--sarif FILE] [--suppressions FILE] [--python PATH]\n' +
  '                 [--include GLOB|PACKAGE]... [--exclude GLOB]... [--threads N]\n' +
  '                 (-m MODULE | -c CODE | [--] script.py) [args...]\n' +
  '  -m pytest loads the race plugin (per-test attribution); --threads N runs each test in N threads at once.\n';

export interface RaceOptions {
  json?: string;
  sarif?: string;
  suppressions?: string;
  python?: string;
  include: string[];
  exclude: string[];
  threads?: number;
  /** The script (empty when `module` or `code` is given). */
  script: string;
  module?: string;
  code?: string;
  args: string[];
}

const VALUED = ['--json', '--sarif', '--suppressions', '--python', '--include', '--exclude', '--threads'];

/** Parses the command line; throws FtpyError with a usage hint when it cannot. */
export function parseRaceArgs(argv: string[]): RaceOptions {
  const opts: RaceOptions = { include: [], exclude: [], script: '', args: [] };
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      i++;
      break;
    }
    if (/^-[mc]/.test(a)) {
      // As with python: -m/-c end ftpy's options; what follows belongs to the program.
      let value = a.slice(2);
      if (!value) {
        if (i + 1 >= argv.length) throw new FtpyError(`option ${a} needs a value.\n${RACE_USAGE}`);
        value = argv[++i];
      }
      if (a.startsWith('-m')) opts.module = value;
      else opts.code = value;
      opts.args = argv.slice(i + 1);
      return checked(opts);
    }
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    if (VALUED.includes(name)) {
      let value: string;
      if (name !== a) value = a.slice(eq + 1);
      else {
        if (i + 1 >= argv.length) throw new FtpyError(`option ${name} needs a value.\n${RACE_USAGE}`);
        value = argv[++i];
      }
      switch (name) {
        case '--json':
          opts.json = value;
          break;
        case '--sarif':
          opts.sarif = value;
          break;
        case '--suppressions':
          opts.suppressions = value;
          break;
        case '--python':
          opts.python = value;
          break;
        case '--include':
          opts.include.push(value);
          break;
        case '--exclude':
          opts.exclude.push(value);
          break;
        case '--threads':
          if (!/^\d+$/.test(value) || Number(value) < 1)
            throw new FtpyError(`--threads needs a whole number of at least 1, not '${value}'.\n${RACE_USAGE}`);
          opts.threads = Number(value);
          break;
      }
      continue;
    }
    if (a.startsWith('-')) throw new FtpyError(`unknown option ${a} for \`ftpy race\`.\n${RACE_USAGE}`);
    break;
  }
  const rest = argv.slice(i);
  if (rest.length === 0) throw new FtpyError(`no program given: a script, -m MODULE or -c CODE.\n${RACE_USAGE}`);
  opts.script = rest[0];
  opts.args = rest.slice(1);
  return checked(opts);
}

function checked(o: RaceOptions): RaceOptions {
  if (o.threads !== undefined && o.module !== 'pytest' && o.module !== 'py.test')
    throw new FtpyError(`--threads N runs every test in N threads at once; it works with -m pytest.\n${RACE_USAGE}`);
  return o;
}

/** The arguments for `python -m ftpy_runtime.race` (paths made absolute). */
export function runtimeArgs(o: RaceOptions, stream?: string): string[] {
  const out = ['-m', 'ftpy_runtime.race'];
  if (o.json) out.push('--json', resolve(o.json));
  if (o.sarif) out.push('--sarif', resolve(o.sarif));
  if (o.suppressions) out.push('--suppressions', resolve(o.suppressions));
  for (const g of o.include) out.push('--include', g);
  for (const g of o.exclude) out.push('--exclude', g);
  if (o.threads !== undefined) out.push('--threads', String(o.threads));
  if (stream) out.push('--stream', stream);
  if (o.module !== undefined) out.push('-m', o.module, ...o.args);
  else if (o.code !== undefined) out.push('-c', o.code, ...o.args);
  else out.push('--', o.script, ...o.args);
  return out;
}

/** True when the runtime marked the stream complete (it wrote the final files itself). */
function streamFinished(stream: string): boolean {
  try {
    return /^\{"end":/m.test(readFileSync(stream, 'utf8'));
  } catch {
    return false;
  }
}

export async function raceCommand(argv: string[]): Promise<number> {
  if (argv.length > 0 && (argv[0] === '-h' || argv[0] === '--help')) {
    process.stdout.write(RACE_USAGE);
    return 0;
  }
  let opts: RaceOptions;
  let python: string;
  try {
    opts = parseRaceArgs(argv);
    python = (await resolveInterpreter(opts.python)).path;
  } catch (e) {
    if (e instanceof FtpyError) {
      process.stderr.write(`ftpy race: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const env = { ...process.env };
  env.PYTHONPATH = env.PYTHONPATH ? `${runtimeDir()}${delimiter}${env.PYTHONPATH}` : runtimeDir();
  const work = mkdtempSync(join(tmpdir(), 'ftpy-race-'));
  const stream = join(work, 'reports.jsonl');
  try {
    const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => {
      const child = spawn(python, runtimeArgs(opts, stream), { stdio: 'inherit', env });
      // The child gets the terminal's signals itself; the parent just waits for it.
      const ignore = () => {
        /* forwarded by the terminal's process group */
      };
      process.on('SIGINT', ignore);
      child.on('error', (err) => {
        process.removeListener('SIGINT', ignore);
        process.stderr.write(`ftpy race: cannot start ${python}: ${err.message}\n`);
        done({ code: 2, signal: null });
      });
      child.on('exit', (c, s) => {
        process.removeListener('SIGINT', ignore);
        done({ code: c, signal: s });
      });
    });
    // No stream: the runtime stopped before the program started (a usage error, which it
    // has explained); nothing was found, nothing to finalize.
    if (!existsSync(stream)) return signal ? 128 + (constants.signals[signal] ?? 1) : (code ?? 1);
    if (signal) {
      const n = constants.signals[signal] ?? 1;
      return finishAfterDeath(python, env, opts, stream, `was killed by ${signal}`, 128 + n);
    }
    if (!streamFinished(stream))
      return finishAfterDeath(python, env, opts, stream, `exited with status ${code} before the detector finished`, code ?? 1);
    return code ?? 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The program died before the runtime wrote its files: make them from the stream. The
 * status stays the program's (128+n for a signal), so a crash is never mistaken for 66.
 */
function finishAfterDeath(python: string, env: NodeJS.ProcessEnv, o: RaceOptions, stream: string, reason: string, status: number): number {
  const args = ['-m', 'ftpy_runtime.race', '--finalize', stream, '--reason', reason];
  if (o.json) args.push('--json', resolve(o.json));
  if (o.sarif) args.push('--sarif', resolve(o.sarif));
  const r = spawnSync(python, args, { stdio: ['ignore', 'inherit', 'inherit'], env });
  if (r.status !== 0) process.stderr.write(`ftpy race: could not write the report files from ${stream}.\n`);
  return status;
}
