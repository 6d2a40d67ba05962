/**
 * `ftpy demo`: what a newcomer sees first, on the bundled examples.
 *
 *   1. `ftpy doctor`: the interpreters found and the one used;
 *   2. examples/parallel_sum.py with the GIL off and, for contrast, forced on — the parallelism
 *      this debugger exists to make debuggable;
 *   3. `ftpy race` on examples/racy_counter.py: a TSAN-style report of its lost-update race;
 *   4. code-server (VS Code in the browser) on 127.0.0.1 with the extension installed and
 *      examples/ open; the URL is printed. It serves until Ctrl-C when run from a terminal,
 *      for `--serve SECONDS` otherwise (default 0: started, checked, stopped). `--no-ui` skips it.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { doctorCommand } from './doctor';
import { raceCommand } from './race';
import { CodeServer, missingTools } from './codeServer';
import { resolveInterpreter } from '../debug-adapter/core/interpreters';

const ROOT = join(__dirname, '..');

async function serveUi(serveSeconds: number | undefined): Promise<number> {
  const missing = missingTools();
  if (missing) {
    console.error(`ftpy demo: cannot start VS Code in the browser: ${missing}`);
    return 1;
  }
  const pack = spawnSync(process.execPath, [join(ROOT, 'scripts', 'package-vsix.mjs'), '--universal-only', '--no-build'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const vsix =
    pack.status === 0 ? readdirSync(join(ROOT, 'out', 'vsix')).find((n) => /^ftpython-debugger-\d[^/]*\.vsix$/.test(n)) : undefined;
  if (!vsix) {
    console.error(`ftpy demo: packaging the extension failed:\n${pack.stdout}${pack.stderr}`);
    return 1;
  }
  const server = await CodeServer.start(join(ROOT, 'out', 'vsix', vsix), {});
  try {
    console.log(
      `\nVS Code (code-server) with the Free-Threaded Python Debugger is running:\n\n    ${server.url}/?folder=${encodeURIComponent(join(ROOT, 'examples'))}\n`,
    );
    console.log(
      'Open examples/e2e_workers.py, set a breakpoint in `work`, press F5; or pick "Free-Threaded Python: Find Races" on racy_counter.py.',
    );
    const interactive = serveSeconds === undefined && process.stdin.isTTY;
    if (interactive) {
      console.log('Press Ctrl-C to stop it.');
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    } else if (serveSeconds) {
      console.log(`Serving for ${serveSeconds} s (--serve).`);
      await new Promise((r) => setTimeout(r, serveSeconds * 1000));
    } else {
      console.log('(not a terminal and no --serve SECONDS: stopping it again; run `ftpy demo` in a terminal to keep it up.)');
    }
  } finally {
    server.stop();
  }
  return 0;
}

export async function demoCommand(args: string[]): Promise<number> {
  const noUi = args.includes('--no-ui');
  const serveAt = args.indexOf('--serve');
  const serveSeconds = serveAt >= 0 ? Number(args[serveAt + 1]) : undefined;
  console.log('== ftpy doctor');
  const doctor = await doctorCommand([]);
  if (doctor !== 0) return doctor;
  const py = await resolveInterpreter();
  const example = join(ROOT, 'examples', 'parallel_sum.py');
  for (const [label, gil] of [
    ['GIL off (PYTHON_GIL=0)', '0'],
    ['GIL forced on (PYTHON_GIL=1), for contrast', '1'],
  ] as const) {
    console.log(`\n== examples/parallel_sum.py, ${label}`);
    const r = spawnSync(py.path, [example], { stdio: 'inherit', env: { ...process.env, PYTHON_GIL: gil } });
    if (r.status !== 0) {
      console.error(`ftpy demo: the example failed (exit ${r.status ?? r.signal}).`);
      return 1;
    }
  }
  console.log('\n== ftpy race -- examples/racy_counter.py   (exit 66 means: races found)');
  const race = await raceCommand(['--python', py.path, '--', join(ROOT, 'examples', 'racy_counter.py')]);
  console.log(`ftpy race exited with ${race}${race === 66 ? ': the race above was found, as intended' : ''}.`);
  if (race !== 66) {
    console.error("ftpy demo: the race detector did not report the example's race.");
    return 1;
  }
  if (noUi) return 0;
  console.log('\n== VS Code in the browser');
  return serveUi(serveSeconds);
}
