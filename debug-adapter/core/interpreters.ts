/**
 * Finding a free-threaded CPython.
 *
 * An interpreter counts only if `sysconfig.get_config_var("Py_GIL_DISABLED") == 1`. Candidates
 * are looked for in a fixed order, and the first good one wins:
 *
 *   1. `FTPY_PYTHON` (an explicit choice: if it is not free-threaded, that is an error, never
 *      silently replaced by another interpreter);
 *   2. `python3.14t`, then `python3.13t`, on PATH;
 *   3. uv-managed interpreters (`~/.local/share/uv/python/*freethreaded*`);
 *   4. pyenv versions whose name ends in `t`;
 *   5. an interpreter bundled with the extension (`<extension>/python/bin/python3.13t`);
 *   6. the project's own cache (`ftpy provision` builds into it).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { FtpyError } from './errors';
import { cacheRoot, findCachedInterpreter } from './provision';

export interface InterpreterInfo {
  /** Absolute path of the executable. */
  path: string;
  /** `sys.version_info` as "3.13.5". */
  version: string;
  /** `Py_GIL_DISABLED == 1`: a free-threaded build. */
  freeThreaded: boolean;
  /** `sys._is_gil_enabled()` at start-up, or null on builds that lack it (< 3.13). */
  gilEnabled: boolean | null;
  /** Where discovery found it: "FTPY_PYTHON", "PATH", "uv", "pyenv", "bundled", "cache", "explicit". */
  source: string;
}

const PROBE = [
  'import sys, sysconfig, json',
  'g = getattr(sys, "_is_gil_enabled", None)',
  'print(json.dumps({"version": "%d.%d.%d" % sys.version_info[:3],',
  ' "ft": sysconfig.get_config_var("Py_GIL_DISABLED") == 1,',
  ' "gil": g() if g else None, "executable": sys.executable}))',
].join('\n');

/** Runs `path` once to learn its version and whether it is free-threaded. */
export function inspectInterpreter(path: string, source = 'explicit'): Promise<InterpreterInfo> {
  return new Promise((resolvePromise, reject) => {
    if (!existsSync(path)) {
      reject(
        new FtpyError(
          `Python interpreter \`${path}\` does not exist. Check the path, or run \`ftpy doctor\` to list the interpreters found.`,
        ),
      );
      return;
    }
    // The probe must see the interpreter's own default GIL state, not one forced by our caller.
    const env = { ...process.env };
    delete env.PYTHON_GIL;
    delete env.PYTHONHOME;
    delete env.PYTHONPATH;
    execFile(path, ['-I', '-c', PROBE], { timeout: 15000, env, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        const why =
          (err as NodeJS.ErrnoException).code === 'EACCES' ? 'it is not executable' : stderr.trim().split('\n').pop() || err.message;
        reject(new FtpyError(`\`${path}\` could not be run as Python (${why}). Pick a python3.13t, or run \`ftpy provision\`.`));
        return;
      }
      try {
        const p = JSON.parse(stdout.trim().split('\n').pop() ?? '') as { version: string; ft: boolean; gil: boolean | null };
        resolvePromise({ path, version: p.version, freeThreaded: p.ft, gilEnabled: p.gil, source });
      } catch {
        reject(new FtpyError(`\`${path}\` did not answer like a CPython interpreter. Pick a python3.13t, or run \`ftpy provision\`.`));
      }
    });
  });
}

/** The message for an interpreter that runs but has the GIL built in. */
export function notFreeThreadedMessage(info: InterpreterInfo, via = ''): string {
  return (
    `\`${info.path}\`${via} (Python ${info.version}) is not a free-threaded build (Py_GIL_DISABLED=0). ` +
    'Pick a python3.13t or python3.14t, or run `ftpy provision` to build one.'
  );
}

export interface Candidate {
  path: string;
  source: string;
}

function isExecutableFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort().reverse();
  } catch {
    return [];
  }
}

/** Every candidate path, in discovery order, without running any of them. */
export function candidates(env: NodeJS.ProcessEnv = process.env): Candidate[] {
  const out: Candidate[] = [];
  const seen = new Set<string>();
  const add = (path: string, source: string): void => {
    const abs = resolve(path);
    if (!seen.has(abs) && isExecutableFile(abs)) {
      seen.add(abs);
      out.push({ path: abs, source });
    }
  };
  for (const name of ['python3.14t', 'python3.13t']) {
    for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) add(join(dir, name), 'PATH');
  }
  const home = env.HOME || homedir();
  const uvDir = join(env.XDG_DATA_HOME || join(home, '.local', 'share'), 'uv', 'python');
  for (const d of listDir(uvDir).filter((n) => n.includes('freethreaded'))) {
    for (const exe of listDir(join(uvDir, d, 'bin')).filter((n) => /^python3\.\d+t$/.test(n))) add(join(uvDir, d, 'bin', exe), 'uv');
  }
  const pyenvRoot = env.PYENV_ROOT || join(home, '.pyenv');
  for (const v of listDir(join(pyenvRoot, 'versions')).filter((n) => n.endsWith('t'))) {
    const bin = join(pyenvRoot, 'versions', v, 'bin');
    const exe = listDir(bin).find((n) => /^python3\.\d+t$/.test(n)) ?? 'python3';
    add(join(bin, exe), 'pyenv');
  }
  const bundled = join(__dirname, '..', 'python', 'bin');
  for (const exe of listDir(bundled).filter((n) => /^python3\.\d+t$/.test(n))) add(join(bundled, exe), 'bundled');
  const cached = findCachedInterpreter(cacheRoot(env));
  if (cached) add(cached, 'cache');
  return out;
}

/**
 * Where an interpreter given by the user is: a bare name (`python3.13t`, no directory in it) is
 * looked up on PATH, as a shell would; anything else is a path, relative to the working directory.
 * A bare name found nowhere on PATH is returned as given, for the "does not exist" error to name.
 */
export function locate(path: string, env: NodeJS.ProcessEnv = process.env): string {
  if (path.includes('/') || (process.platform === 'win32' && path.includes('\\'))) return resolve(path);
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, path);
    if (isExecutableFile(candidate)) return resolve(candidate);
  }
  return path;
}

/** Inspects every candidate (and FTPY_PYTHON); for `ftpy doctor`. */
export async function discoverAll(
  env: NodeJS.ProcessEnv = process.env,
): Promise<Array<InterpreterInfo | { path: string; source: string; error: string }>> {
  const list: Candidate[] = [];
  if (env.FTPY_PYTHON) list.push({ path: resolve(env.FTPY_PYTHON), source: 'FTPY_PYTHON' });
  list.push(...candidates(env).filter((c) => !list.some((l) => l.path === c.path)));
  return Promise.all(
    list.map(async (c) => {
      try {
        return await inspectInterpreter(c.path, c.source);
      } catch (e) {
        return { path: c.path, source: c.source, error: (e as Error).message };
      }
    }),
  );
}

/**
 * The interpreter to use. An explicit path (a launch attribute, `--python`, a setting) must be
 * free-threaded; so must `FTPY_PYTHON`. Otherwise the first free-threaded candidate wins.
 */
export async function resolveInterpreter(explicit?: string, env: NodeJS.ProcessEnv = process.env): Promise<InterpreterInfo> {
  const chosen = explicit
    ? { path: explicit, source: 'explicit' }
    : env.FTPY_PYTHON
      ? { path: env.FTPY_PYTHON, source: 'FTPY_PYTHON' }
      : undefined;
  if (chosen) {
    const info = await inspectInterpreter(locate(chosen.path, env), chosen.source);
    if (!info.freeThreaded) {
      throw new FtpyError(notFreeThreadedMessage(info, chosen.source === 'FTPY_PYTHON' ? ' (from FTPY_PYTHON)' : ''));
    }
    return info;
  }
  for (const c of candidates(env)) {
    try {
      const info = await inspectInterpreter(c.path, c.source);
      if (info.freeThreaded) return info;
    } catch {
      /* a broken candidate is skipped here; `ftpy doctor` shows why */
    }
  }
  throw new FtpyError(
    'No free-threaded Python (python3.13t/python3.14t) was found on PATH, in uv, in pyenv or in the ftpy cache. ' +
      'Run `ftpy provision` to build CPython 3.13t (about 10 minutes), or set FTPY_PYTHON to one.',
  );
}
