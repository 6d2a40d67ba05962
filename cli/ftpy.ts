/**
 * `ftpy`: the command line of the Free-Threaded Python Debugger.
 *
 *   ftpy doctor [--json]                       interpreters found, and which one will be used
 *   ftpy provision [--force] [--print-path] [--progress-json] [--with-pytest]
 *                                              find or build a free-threaded CPython 3.13t
 *   ftpy race [options] (script.py | -m MODULE | -c CODE) [args…]
 *                                              run a program, module or code under the race detector
 *   ftpy demo                                  doctor + a parallel example on the chosen interpreter
 */
import { doctorCommand } from './doctor';
import { provisionCommand } from './provisionCommand';
import { demoCommand } from './demo';
import { raceCommand } from './race';
import { FtpyError } from '../debug-adapter/core/errors';

const USAGE = `usage: ftpy <command> [options]

commands:
  doctor [--json]                          list Python interpreters, free-threaded or not, and the one ftpy uses
  provision [--force] [--print-path] [--progress-json] [--with-pytest]
                                           find or build a free-threaded CPython 3.13t (cached in ~/.cache/ftpy);
                                           --with-pytest also makes pytest importable by it
  race [--json F] [--sarif F] [--suppressions F] [--python P] [--include G|PKG] [--exclude G] [--threads N]
       (script.py | -m MODULE | -c CODE) [args...]
                                           run a program under the race detector; exit 66 if races were found
                                           (-m pytest: per-test attribution; --threads N: stress mode)
  demo                                     doctor, then a multithreaded example showing real parallelism
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'doctor':
      return doctorCommand(rest);
    case 'provision':
      return provisionCommand(rest);
    case 'race':
      return raceCommand(rest);
    case 'demo':
      return demoCommand(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      process.stderr.write(`ftpy: unknown command '${cmd}'.\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof FtpyError) process.stderr.write(`ftpy: ${err.message}\n`);
    else process.stderr.write(`ftpy: internal error: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = err instanceof FtpyError ? 2 : 70;
  },
);
