/**
 * Starting the debuggee: the command line, the environment (PYTHONPATH for the runtime, the
 * session secret, PYTHON_GIL: what must be there before the interpreter starts), and the child
 * process that runs it; killing it, and what its signals mean.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { constants } from 'node:os';
import { runtimeDir } from './core/paths';
import { CHILD_LISTENER_ENV } from './childProcesses';
import { TOKEN_ENV } from './protocol';
import type { LaunchConfig } from './launchConfig';

/** Where the child bootstrap (sitecustomize.py) is, under runtime/. */
const CHILD_BOOTSTRAP = ['ftpy_runtime', 'runner', 'bootstrap'];

export interface DebuggeeCommand {
  python: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Only the variables we add or change (for a terminal, which starts from its own environment). */
  envDelta: Record<string, string | null>;
}

/**
 * The command line says only where to dial back: what to run, and how, comes in the
 * `initialize` request's options (protocol.ts), so a launch attribute never has to be turned
 * into a flag.
 */
export function debuggeeCommand(
  python: string,
  cfg: LaunchConfig,
  port: number,
  token: string,
  children?: { listener: string },
): DebuggeeCommand {
  const args = ['-m', 'ftpy_runtime', '--connect', `127.0.0.1:${port}`];

  const delta: Record<string, string | null> = { ...cfg.env };
  const base = { ...process.env, ...Object.fromEntries(Object.entries(cfg.env).filter(([, v]) => v !== null)) } as Record<
    string,
    string | undefined
  >;
  for (const [k, v] of Object.entries(cfg.env)) if (v === null) delete base[k];
  const userPath = base.PYTHONPATH;
  // With child processes followed, the bootstrap folder (its sitecustomize.py starts the runtime in each child) comes first.
  const ours = children ? [join(runtimeDir(), ...CHILD_BOOTSTRAP), runtimeDir()].join(delimiter) : runtimeDir();
  delta.PYTHONPATH = userPath ? `${ours}${delimiter}${userPath}` : ours;
  if (children) delta[CHILD_LISTENER_ENV] = children.listener;
  delta[TOKEN_ENV] = token;
  delta.PYTHONUNBUFFERED = '1';
  if (cfg.gil === 'off') delta.PYTHON_GIL = '0';
  else if (cfg.gil === 'on') delta.PYTHON_GIL = '1';
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...base, ...delta })) if (typeof v === 'string') env[k] = v;
  return { python, args, cwd: cfg.cwd, env, envDelta: delta };
}

/** Spawn the debuggee with pipes, in its own process group so it can be ended with everything it started. */
export function spawnDebuggee(cmd: DebuggeeCommand): ChildProcess {
  return spawn(cmd.python, cmd.args, { cwd: cmd.cwd, env: cmd.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
}

/** Kill a process group (or just the process if it has none), ignoring "already gone". */
export function killTree(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
    return;
  } catch {
    /* not a group leader, or gone */
  }
  try {
    process.kill(pid, signal);
  } catch {
    /* gone */
  }
}

/** "SIGSEGV" -> 139, the shell's convention for a death by signal. */
export function exitCodeForSignal(signal: NodeJS.Signals): number {
  const n = (constants.signals as Record<string, number>)[signal];
  return 128 + (n ?? 0);
}

const SIGNAL_WORDS: Record<string, string> = {
  SIGSEGV: 'segmentation fault',
  SIGABRT: 'aborted',
  SIGBUS: 'bus error',
  SIGILL: 'illegal instruction',
  SIGFPE: 'floating-point exception',
  SIGKILL: 'killed',
  SIGTERM: 'terminated',
};

export function describeSignal(signal: NodeJS.Signals): string {
  return SIGNAL_WORDS[signal] ? `${signal}, ${SIGNAL_WORDS[signal]}` : signal;
}
