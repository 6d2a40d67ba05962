// Running programs under the race detector from tests: through the bundled CLI
// (`node dist/cli.js race`) once the dispatcher knows the command, else through the
// Python module it wraps (same options, same exit status, same JSON).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

export const repoRoot = process.cwd();
export const corpusDir = resolve(repoRoot, 'test', 'corpus');

export function testPython(): string {
  const p = process.env.FTPY_TEST_PYTHON;
  if (!p) throw new Error('FTPY_TEST_PYTHON is not set: run the tests with `npm test`.');
  return p;
}

/** True when `ftpy race` is wired into the bundled CLI. */
export function cliHasRace(): boolean {
  const src = join(repoRoot, 'cli', 'ftpy.ts');
  return existsSync(src) && /raceCommand/.test(readFileSync(src, 'utf8')) && existsSync(join(repoRoot, 'dist', 'cli.js'));
}

export interface RunResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd = repoRoot, timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`${cmd} ${args.join(' ')} timed out after ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      fail(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr });
    });
  });
}

/** `ftpy race <options> -- <script> <args>`; returns the process result. */
export function runRace(options: string[], script: string, args: string[] = [], extraEnv: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const python = testPython();
  const runtime = join(repoRoot, 'runtime');
  const env: NodeJS.ProcessEnv = { ...process.env, FTPY_PYTHON: python, ...extraEnv };
  if (cliHasRace()) {
    return run(process.execPath, [join(repoRoot, 'dist', 'cli.js'), 'race', '--python', python, ...options, '--', script, ...args], env);
  }
  env.PYTHONPATH = env.PYTHONPATH ? `${runtime}${delimiter}${env.PYTHONPATH}` : runtime;
  return run(python, ['-m', 'ftpy_runtime.race', ...options, '--', script, ...args], env);
}

/** `ftpy race --python <test python> <args…>` through the bundled CLI, in `cwd`. */
export function ftpyRace(args: string[], cwd = repoRoot, extraEnv: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, FTPY_PYTHON: testPython(), ...extraEnv };
  return run(process.execPath, [join(repoRoot, 'dist', 'cli.js'), 'race', '--python', testPython(), ...args], env, cwd, timeoutMs);
}

export interface JsonFrame {
  function: string;
  file: string;
  line: number;
}
export interface JsonAccess {
  access: string;
  thread: { id: number; name: string };
  stack: JsonFrame[];
  /** pytest runs: the test that thread was running, null outside any test. */
  test?: string | null;
}
export interface JsonRace {
  kind: string;
  location: { object: string; field: string; address: string };
  current: JsonAccess;
  previous: JsonAccess;
  threads: Array<{ id: number; name: string; createdAt: JsonFrame[] }>;
}

export function readRaces(file: string): JsonRace[] {
  const data = JSON.parse(readFileSync(file, 'utf8')) as { races: JsonRace[] };
  if (!Array.isArray(data.races)) throw new Error(`${file}: no "races" array`);
  return data.races;
}

/** Runs `tasks` with at most `limit` at a time. */
export async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      await fn(item);
    }
  });
  await Promise.all(workers);
}
