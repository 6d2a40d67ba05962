/**
 * The runtime learns the launch from one options object in `initialize` (protocol.ts,
 * RuntimeOptions): its command line is only `-m ftpy_runtime --connect 127.0.0.1:PORT`, and
 * program, args, cwd, stopOnEntry and raceSuppressions still arrive.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SKIP, launch, programPath, startSession, stop } from './helpers';

test('the runtime is started with no flags: program, args, cwd and stopOnEntry come as options', {
  skip: SKIP,
  timeout: 60_000,
}, async () => {
  const program = programPath('show_launch.py');
  const cwd = realpathSync(mkdtempSync(join(tmpdir(), 'ftpy-options-')));
  const s = await startSession();
  try {
    await launch(s, { program, args: ['--n', 'two words'], cwd, stopOnEntry: true });
    const stopped = await s.events.next('stopped');
    assert.equal(stopped.body.reason, 'entry');
    await s.dc.continueRequest({ threadId: stopped.body.threadId });
    await s.events.next('terminated', 30_000);
    const line = s.events
      .output('stdout')
      .split('\n')
      .find((l) => l.startsWith('LAUNCH '));
    assert.ok(line, `the program printed how it was started: ${s.events.output()}`);
    const seen = JSON.parse(line.slice('LAUNCH '.length)) as { cmdline: string[]; argv: string[]; cwd: string };
    assert.deepEqual(seen.cmdline.slice(1, 4), ['-m', 'ftpy_runtime', '--connect']);
    assert.match(seen.cmdline[4], /^127\.0\.0\.1:\d+$/);
    assert.equal(seen.cmdline.length, 5, `nothing else on the command line: ${JSON.stringify(seen.cmdline)}`);
    assert.deepEqual(seen.argv, [program, '--n', 'two words']);
    assert.equal(seen.cwd, cwd);
  } finally {
    await stop(s);
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('raceSuppressions reaches the race detector: a suppressed race sends no event', { skip: SKIP, timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ftpy-supp-'));
  const supp = join(dir, 'races.supp');
  writeFileSync(supp, 'race:bump\n');
  const s = await startSession();
  try {
    await launch(s, { program: programPath('racy.py'), races: true, raceSuppressions: supp });
    await s.events.next('terminated', 50_000);
    assert.match(s.events.output('stdout'), /value \d+/, 'the program ran to its end');
    assert.deepEqual(
      s.events.all.filter((e) => e.event === 'ftpython.race').map((e) => e.body.location),
      [],
      'the race in bump() is suppressed (races.test.ts shows it is reported without the file)',
    );
  } finally {
    await stop(s);
    rmSync(dir, { recursive: true, force: true });
  }
});
