/**
 * The project's own free-threaded CPython: where the cache is, whether it holds a finished
 * interpreter, and running the build script (`runtime/provision/provision-cpython.sh`) with
 * progress and cancellation.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { runtimeDir } from './paths';

/** `FTPY_CACHE_DIR`, else `$XDG_CACHE_HOME/ftpy`, else `~/.cache/ftpy`. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.FTPY_CACHE_DIR || join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'ftpy');
}

/**
 * The newest finished interpreter in the cache, or undefined. Only installs carrying the
 * `.ftpy-ok` marker count: the build script writes it after verifying the interpreter.
 */
export function findCachedInterpreter(root: string): string | undefined {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return undefined;
  }
  const installs = names
    .filter((n) => /^cpython-3\.\d+\.\d+t$/.test(n))
    .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))
    .reverse();
  for (const name of installs) {
    const series = name.replace(/^cpython-(3\.\d+)\.\d+t$/, '$1');
    const exe = join(root, name, 'bin', `python${series}t`);
    if (existsSync(join(root, name, '.ftpy-ok')) && existsSync(exe)) return exe;
  }
  return undefined;
}

export interface ProvisionProgress {
  /** What the build is doing now, e.g. "compiling CPython 3.13.5 (make -j2)". */
  phase: string;
  /** Seconds since provisioning started. */
  elapsedSec: number;
}

export interface ProvisionOptions {
  force?: boolean;
  env?: NodeJS.ProcessEnv;
  onProgress?: (p: ProvisionProgress) => void;
  /** Aborting kills the whole build (its process group); nothing half-built is left marked good. */
  signal?: AbortSignal;
}

export class ProvisionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProvisionError';
  }
}

/** Builds (or finds) the cached free-threaded interpreter; resolves to its path. */
export function provision(opts: ProvisionOptions = {}): Promise<string> {
  const env = opts.env ?? process.env;
  if (!opts.force) {
    const cached = findCachedInterpreter(cacheRoot(env));
    if (cached) return Promise.resolve(cached);
  }
  return runProvisionScript('provision-cpython.sh', opts.force ? ['--force'] : [], opts);
}

/**
 * Makes pytest importable by `python` (Debian trixie's pure-Python pytest, fetched into the
 * cache; `runtime/provision/provision-pytest.sh`). Resolves to the folder it put on the
 * interpreter's path, or `own` when the interpreter already had pytest. The warm path is
 * one interpreter start that finds pytest.
 */
export function provisionPytest(python: string, opts: Omit<ProvisionOptions, 'force'> = {}): Promise<string> {
  return runProvisionScript('provision-pytest.sh', [python], opts);
}

/** Runs one of the `::phase`/`::done`/`::error` provisioning scripts; resolves to its `::done` value. */
function runProvisionScript(name: string, args: string[], opts: ProvisionOptions): Promise<string> {
  const env = opts.env ?? process.env;
  const started = Date.now();
  const elapsed = (): number => Math.round((Date.now() - started) / 100) / 10;
  const script = join(runtimeDir(), 'provision', name);
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, ...args], {
      env: { ...env, FTPY_CACHE_DIR: cacheRoot(env) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let phase = 'starting';
    let done: string | undefined;
    let error: string | undefined;
    const tail: string[] = [];
    const ticker = setInterval(() => opts.onProgress?.({ phase, elapsedSec: elapsed() }), 5000);
    const onAbort = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let buf = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('::phase ')) {
          phase = line.slice(8);
          opts.onProgress?.({ phase, elapsedSec: elapsed() });
        } else if (line.startsWith('::done ')) done = line.slice(7);
        else if (line.startsWith('::error ')) error = line.slice(8);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      tail.push(chunk);
      if (tail.length > 50) tail.shift();
    });
    child.on('error', (e) => {
      clearInterval(ticker);
      reject(new ProvisionError(`could not start the build script: ${e.message}`));
    });
    child.on('close', (code, sig) => {
      clearInterval(ticker);
      opts.signal?.removeEventListener('abort', onAbort);
      if (opts.signal?.aborted) reject(new ProvisionError('provisioning was cancelled; nothing was installed.'));
      else if (code === 0 && done) resolve(done);
      else
        reject(
          new ProvisionError(
            `${error ?? `the build script exited with ${code ?? sig}`}${tail.length ? `\n${tail.join('').trimEnd()}` : ''}`,
          ),
        );
    });
  });
}
