/**
 * `ftpy race`: run a program under the ThreadSanitizer-style race detector.
 *
 *   ftpy race [--json F] [--sarif F] [--suppressions F] [--python P]
 *             [--include GLOB]... [--exclude GLOB]... -- script.py [args…]
 *
 * The work happens in the debuggee's own interpreter (`python -m ftpy_runtime.race`); this
 * file finds that interpreter, passes the options on, and hands back the child's exit
 * status: 66 when races were reported, else the program's own (128+n for a signal).
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { delimiter, resolve } from 'node:path';
import { FtpyError } from '../debug-adapter/core/errors';
import { resolveInterpreter } from '../debug-adapter/core/interpreters';
import { runtimeDir } from '../debug-adapter/core/paths';

export const RACE_USAGE =
  'usage: ftpy race [--json FILE] [--sarif FILE] [--suppressions FILE] [--python PATH] ' +
  '[--include GLOB]... [--exclude GLOB]... -- script.py [args...]\n';

export interface RaceOptions {
  json?: string;
  sarif?: string;
  suppressions?: string;
  python?: string;
  include: string[];
  exclude: string[];
  script: string;
  args: string[];
}

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
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    if (['--json', '--sarif', '--suppressions', '--python', '--include', '--exclude'].includes(name)) {
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
      }
      continue;
    }
    if (a.startsWith('-')) throw new FtpyError(`unknown option ${a} for \`ftpy race\`.\n${RACE_USAGE}`);
    break;
  }
  const rest = argv.slice(i);
  if (rest.length === 0) throw new FtpyError(`no script given: put the program after \`--\`.\n${RACE_USAGE}`);
  opts.script = rest[0];
  opts.args = rest.slice(1);
  return opts;
}

/** The arguments for `python -m ftpy_runtime.race` (paths made absolute). */
export function runtimeArgs(o: RaceOptions): string[] {
  const out = ['-m', 'ftpy_runtime.race'];
  if (o.json) out.push('--json', resolve(o.json));
  if (o.sarif) out.push('--sarif', resolve(o.sarif));
  if (o.suppressions) out.push('--suppressions', resolve(o.suppressions));
  for (const g of o.include) out.push('--include', g);
  for (const g of o.exclude) out.push('--exclude', g);
  out.push('--', o.script, ...o.args);
  return out;
}

export async function raceCommand(argv: string[]): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
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
  return new Promise<number>((done) => {
    const child = spawn(python, runtimeArgs(opts), { stdio: 'inherit', env });
    // The child gets the terminal's signals itself; the parent just waits for it.
    const ignore = () => {
      /* forwarded by the terminal's process group */
    };
    process.on('SIGINT', ignore);
    child.on('error', (err) => {
      process.removeListener('SIGINT', ignore);
      process.stderr.write(`ftpy race: cannot start ${python}: ${err.message}\n`);
      done(2);
    });
    child.on('exit', (code, signal) => {
      process.removeListener('SIGINT', ignore);
      if (signal) done(128 + (constants.signals[signal] ?? 1));
      else done(code ?? 1);
    });
  });
}
