/** `ftpy doctor`: every interpreter found, free-threaded or not, and which one ftpy will use. */
import { delimiter, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { FtpyError } from '../debug-adapter/core/errors';
import { discoverAll, inspectInterpreter, resolveInterpreter, type InterpreterInfo } from '../debug-adapter/core/interpreters';
import { runtimeDir } from '../debug-adapter/core/paths';
import { cacheRoot } from '../debug-adapter/core/provision';

/** Which tracing backend the runtime picks in an interpreter, and why it passed over the other. */
interface TracingChoice {
  backend: string;
  passedOver: Array<{ backend: string; reason: string }>;
}

/** Ask the runtime itself (`python -m ftpy_runtime.tracing.selection`, which traces nothing). */
function tracingChoice(python: string): Promise<TracingChoice | { error: string }> {
  const env = { ...process.env, PYTHONPATH: runtimeDir() };
  return new Promise((res) => {
    execFile(python, ['-m', 'ftpy_runtime.tracing.selection'], { timeout: 15000, env, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        res({ error: (stderr || err.message).trim().split('\n').pop() ?? String(err) });
        return;
      }
      try {
        res(JSON.parse(stdout) as TracingChoice);
      } catch {
        res({ error: `unexpected answer from the runtime: ${stdout.trim()}` });
      }
    });
  });
}

type Row = InterpreterInfo | { path: string; source: string; error: string };

/** GIL builds on PATH, shown for context (they are never chosen). */
async function gilBuildsOnPath(known: Set<string>): Promise<Row[]> {
  const out: Row[] = [];
  for (const name of ['python3', 'python3.14', 'python3.13', 'python3.12']) {
    for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
      const p = resolve(join(dir, name));
      if (known.has(p) || !existsSync(p)) continue;
      known.add(p);
      try {
        out.push(await inspectInterpreter(p, 'PATH'));
      } catch {
        /* not runnable: pyenv shims without a version, etc. */
      }
      break; // the first on PATH is the one a shell would run
    }
  }
  return out;
}

export async function doctorCommand(args: string[]): Promise<number> {
  const json = args.includes('--json');
  const rows: Row[] = await discoverAll();
  rows.push(...(await gilBuildsOnPath(new Set(rows.map((r) => r.path)))));
  let chosen: InterpreterInfo | undefined;
  let problem: string | undefined;
  try {
    chosen = await resolveInterpreter();
  } catch (e) {
    if (e instanceof FtpyError) problem = e.message;
    else throw e;
  }

  const tracing = chosen ? await tracingChoice(chosen.path) : null;

  if (json) {
    process.stdout.write(
      `${JSON.stringify({ interpreters: rows, chosen: chosen?.path ?? null, problem: problem ?? null, tracing, cache: cacheRoot() }, null, 2)}\n`,
    );
    return chosen ? 0 : 1;
  }
  const out: string[] = ['Python interpreters found (* = the one ftpy uses):'];
  if (rows.length === 0) out.push('  (none)');
  for (const r of rows) {
    const mark = chosen && r.path === chosen.path ? '*' : ' ';
    if ('error' in r) {
      out.push(`${mark} ${r.path}  [${r.source}]  unusable: ${r.error}`);
      continue;
    }
    const kind = r.freeThreaded ? 'free-threaded' : 'GIL build';
    const gil = r.gilEnabled === null ? 'GIL on (always)' : r.gilEnabled ? 'GIL on' : 'GIL off';
    out.push(`${mark} ${r.path}  Python ${r.version}  ${kind}, ${gil}  [${r.source}]`);
  }
  out.push('');
  out.push(
    chosen
      ? `ftpy will use ${chosen.path} (Python ${chosen.version}, free-threaded, from ${chosen.source}).`
      : `ftpy has no interpreter to use: ${problem}`,
  );
  if (tracing && 'error' in tracing) out.push(`tracing backend: could not ask the runtime (${tracing.error})`);
  else if (tracing) {
    out.push(`tracing backend: ${tracing.backend}`);
    for (const p of tracing.passedOver) out.push(`  not ${p.backend}: ${p.reason}`);
  }
  out.push(`cache: ${cacheRoot()}`);
  process.stdout.write(`${out.join('\n')}\n`);
  return chosen ? 0 : 1;
}
