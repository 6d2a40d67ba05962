/**
 * Finding the runtime to attach to: the address and secret of a runtime started with
 * `--listen`, or (Python 3.14+) a runtime started inside a running process by `sys.remote_exec`.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  existsSync,
  lstatSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FtpyError } from './core/errors';
import { inspectInterpreter } from './core/interpreters';
import { runtimeDir } from './core/paths';
import { SECRET_DIR } from './protocol';

export interface RuntimeAddress {
  host: string;
  port: number;
  secret: string;
}

/**
 * The secret a `--listen` runtime on this machine left for us (no `secret` attribute was given).
 * Only a regular file of this user that no one else can read or write is believed: anything
 * else (a symlink, another user's file, a 0644 one) is refused with a message saying why. Even
 * a stale file cannot leak the secret: the handshake never sends it.
 */
export function secretFromFile(port: number): string {
  const path = join(homedir(), ...SECRET_DIR, `port-${port}.secret`);
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(path);
  } catch {
    throw new FtpyError(
      `No \`secret\` was given and the runtime's secret file \`${path}\` does not exist. ` +
        'Pass the secret the runtime printed (attach attribute `secret`), or start it with `--listen` on this machine.',
    );
  }
  const uid = process.getuid?.();
  const why = !st.isFile()
    ? 'is not a regular file'
    : uid !== undefined && st.uid !== uid
      ? 'belongs to another user'
      : (st.mode & 0o077) !== 0
        ? `can be read or written by others (mode ${(st.mode & 0o777).toString(8)})`
        : undefined;
  if (why) throw new FtpyError(`The runtime's secret file \`${path}\` ${why}: not using it. Pass the attach attribute \`secret\`.`);
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    return readFileSync(fd, 'utf8').trim();
  } finally {
    closeSync(fd);
  }
}

/**
 * Python 3.14+: run a few lines inside the target with `sys.remote_exec` that start the runtime
 * listening on a free loopback port; the port comes back through a file in a private folder.
 */
export async function startRuntimeInProcess(pid: number): Promise<RuntimeAddress> {
  let exe: string;
  try {
    exe = readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
  } catch {
    throw new FtpyError(`There is no process ${pid} that this user can inspect.`);
  }
  const info = await inspectInterpreter(exe);
  const [major, minor] = info.version.split('.').map(Number);
  if (major < 3 || (major === 3 && minor < 14)) {
    throw new FtpyError(
      `Attaching by process id needs Python 3.14's sys.remote_exec, but process ${pid} runs Python ${info.version}. ` +
        'Start the program with `python -m ftpy_runtime --listen 5678 program.py` and attach with "connect": {"port": 5678}.',
    );
  }
  const secret = randomBytes(32).toString('hex');
  const dir = mkdtempSync(join(tmpdir(), 'ftpy-attach-'));
  try {
    const portFile = join(dir, 'port');
    const script = join(dir, 'attach.py');
    writeFileSync(
      script,
      [
        'import sys',
        `sys.path.insert(0, ${JSON.stringify(runtimeDir())})`,
        'from ftpy_runtime.remote import serve',
        `serve(${JSON.stringify(portFile)}, ${JSON.stringify(secret)})`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    await new Promise<void>((resolvePromise, reject) => {
      execFile(exe, ['-c', `import sys; sys.remote_exec(${pid}, ${JSON.stringify(script)})`], { timeout: 15_000 }, (err, _out, stderr) => {
        if (err)
          reject(
            new FtpyError(
              `sys.remote_exec into process ${pid} failed: ${stderr.trim() || err.message}. ` +
                'It needs the same user and ptrace permission (see /proc/sys/kernel/yama/ptrace_scope).',
            ),
          );
        else resolvePromise();
      });
    });
    const deadline = Date.now() + 15_000;
    while (!existsSync(portFile)) {
      if (Date.now() > deadline) {
        throw new FtpyError(
          `Process ${pid} did not start the debugger within 15 s (it runs the attach code the next time its main thread runs Python).`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return { host: '127.0.0.1', port: Number(readFileSync(portFile, 'utf8')), secret };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
