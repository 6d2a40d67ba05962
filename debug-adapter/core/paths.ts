/** Where the project's non-TypeScript parts live, whether running bundled (dist/) or from sources. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Absolute path of the folder holding the `ftpy_runtime` package (put it on PYTHONPATH). */
export function runtimeDir(): string {
  // Bundled: dist/*.js → ../runtime. Bundled tests: out/test/<area>/*.js → ../../../runtime.
  const dirs = [join(__dirname, '..', 'runtime'), join(__dirname, '..', '..', 'runtime'), join(__dirname, '..', '..', '..', 'runtime')];
  return dirs.find((d) => existsSync(join(d, 'ftpy_runtime'))) ?? dirs[0];
}
