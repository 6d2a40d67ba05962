/**
 * The debugger's own threads and locks are invisible to the program (issue 12 §2): under the
 * adapter, threading.active_count() and threading.enumerate() show the program's threads only,
 * and a finalizer that takes a tracked lock at interpreter shutdown (Popen.__del__) works.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { PYTHON, SKIP, launch, programPath, startSession, stop } from './helpers';

const CENSUS = programPath('thread_census.py');

test('the program sees the same threads as without the debugger, and shutdown finalizers take tracked locks', {
  skip: SKIP,
  timeout: 90_000,
}, async () => {
  const plain = spawnSync(PYTHON, [CENSUS], { encoding: 'utf8' });
  assert.equal(plain.status, 0, plain.stderr);
  const expected = /census .*/.exec(plain.stdout)?.[0];
  assert.ok(expected, plain.stdout);
  const s = await startSession();
  try {
    await launch(s, { program: CENSUS });
    const exited = await s.events.next('exited');
    await s.events.next('terminated');
    assert.equal(exited.body.exitCode, 0);
    assert.equal(/census .*/.exec(s.events.output('stdout'))?.[0], expected);
    assert.doesNotMatch(s.events.output('stderr'), /Exception ignored|TypeError/);
  } finally {
    await stop(s);
  }
});
