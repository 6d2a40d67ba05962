/**
 * `ftpy provision`: find a free-threaded interpreter, or build CPython 3.13t into the cache;
 * with `--with-pytest`, also make pytest importable by it (Debian's pure-Python pytest).
 */
import { FtpyError } from '../debug-adapter/core/errors';
import { resolveInterpreter } from '../debug-adapter/core/interpreters';
import { provision, ProvisionError, type ProvisionProgress, provisionPytest } from '../debug-adapter/core/provision';

function fmt(sec: number): string {
  const s = Math.floor(sec);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

const OPTIONS = ['--force', '--print-path', '--progress-json', '--with-pytest'];

export async function provisionCommand(args: string[]): Promise<number> {
  const force = args.includes('--force');
  const printPath = args.includes('--print-path');
  const progressJson = args.includes('--progress-json');
  const withPytest = args.includes('--with-pytest');
  const unknown = args.filter((a) => !OPTIONS.includes(a));
  if (unknown.length) {
    process.stderr.write(`ftpy provision: unknown option ${unknown[0]}\n`);
    return 2;
  }

  const say = (msg: string): void => {
    process.stderr.write(`${msg}\n`);
  };
  /** The interpreter is there: add pytest if asked, then print its path. */
  const done = async (path: string): Promise<number> => {
    if (withPytest) {
      let last = '';
      try {
        const where = await provisionPytest(path, {
          onProgress: (p) => {
            if (progressJson) process.stdout.write(`${JSON.stringify(p)}\n`);
            else if (p.phase !== last) say(`[${fmt(p.elapsedSec)}] pytest: ${p.phase}`);
            last = p.phase;
          },
        });
        if (!printPath || process.stderr.isTTY)
          say(where === 'own' ? `ftpy: pytest is importable by ${path}` : `ftpy: pytest for ${path} is in ${where}`);
      } catch (e) {
        if (e instanceof ProvisionError) {
          say(`ftpy provision --with-pytest: ${e.message}`);
          return 1;
        }
        throw e;
      }
    }
    if (printPath) process.stdout.write(`${path}\n`);
    return 0;
  };
  if (!force) {
    // Any free-threaded interpreter discovery finds will do, the cache included.
    let found: Awaited<ReturnType<typeof resolveInterpreter>> | undefined;
    try {
      found = await resolveInterpreter();
    } catch (e) {
      // An explicit FTPY_PYTHON that is wrong is the user's to fix, not ours to paper over.
      if (e instanceof FtpyError && process.env.FTPY_PYTHON) throw e;
    }
    if (found) {
      if (!printPath || process.stderr.isTTY)
        say(`ftpy: free-threaded Python ${found.version} already available: ${found.path} (from ${found.source})`);
      return done(found.path);
    }
  }
  say("ftpy: no free-threaded Python found; building CPython 3.13t from Debian trixie's sources (about 5–10 minutes).");
  let last = '';
  const onProgress = (p: ProvisionProgress): void => {
    if (progressJson) {
      process.stdout.write(`${JSON.stringify(p)}\n`);
      return;
    }
    const line = `[${fmt(p.elapsedSec)}] ${p.phase}`;
    if (p.phase !== last || !process.stderr.isTTY) say(line);
    last = p.phase;
  };
  const ac = new AbortController();
  const onSignal = (): void => ac.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const started = Date.now();
    const path = await provision({ force, onProgress, signal: ac.signal });
    say(`ftpy: free-threaded Python ready in ${fmt((Date.now() - started) / 1000)}: ${path}`);
    const status = await done(path);
    if (progressJson && status === 0) process.stdout.write(`${JSON.stringify({ phase: 'done', path })}\n`);
    return status;
  } catch (e) {
    if (e instanceof ProvisionError) {
      say(`ftpy provision: ${e.message}`);
      return 1;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
