/**
 * `ftpy demo`: what a newcomer sees first. Lists the interpreters (doctor), then runs
 * examples/parallel_sum.py on the chosen free-threaded interpreter with the GIL off and, for
 * contrast, forced on — the parallelism this debugger exists to make debuggable.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { doctorCommand } from './doctor';
import { resolveInterpreter } from '../debug-adapter/interpreters';

export async function demoCommand(_args: string[]): Promise<number> {
  const root = join(__dirname, '..');
  console.log('== ftpy doctor');
  const doctor = await doctorCommand([]);
  if (doctor !== 0) return doctor;
  const py = await resolveInterpreter();
  const example = join(root, 'examples', 'parallel_sum.py');
  for (const [label, gil] of [['GIL off (PYTHON_GIL=0)', '0'], ['GIL forced on (PYTHON_GIL=1), for contrast', '1']] as const) {
    console.log(`\n== examples/parallel_sum.py, ${label}`);
    const r = spawnSync(py.path, [example], { stdio: 'inherit', env: { ...process.env, PYTHON_GIL: gil } });
    if (r.status !== 0) { console.error(`ftpy demo: the example failed (exit ${r.status ?? r.signal}).`); return 1; }
  }
  return 0;
}
