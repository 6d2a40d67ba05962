/** Lifecycle and faults: output, exit codes, crashes, bad launch input, malformed requests. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { PYTHON, SKIP, launch, lineOf, programPath, startSession, stop } from './helpers';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The system python3 (a GIL build) by absolute path, or undefined. */
function gilPython(): string | undefined {
  try {
    const path = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
    const ft = execFileSync(path, ['-c', 'import sysconfig; print(sysconfig.get_config_var("Py_GIL_DISABLED"))'], {
      encoding: 'utf8',
    }).trim();
    return ft === '1' ? undefined : realpathSync(path);
  } catch {
    return undefined;
  }
}

test('output events, then exited with the exit code, then terminated', { skip: SKIP, timeout: 30_000 }, async () => {
  const s = await startSession();
  try {
    await launch(s, { program: programPath('exit_code.py') });
    const exited = await s.events.next('exited');
    assert.equal(exited.body.exitCode, 3);
    await s.events.next('terminated');
    assert.match(s.events.output('stdout'), /bye/);
    assert.match(s.events.output('stderr'), /to stderr/);
    // A client still asking about threads and stacks as the program ends gets empty answers,
    // not "the debuggee is no longer running" errors (which VS Code would show the user).
    assert.deepEqual((await s.dc.threadsRequest()).body.threads, []);
    const st = await s.dc.stackTraceRequest({ threadId: 1 });
    assert.deepEqual(st.body.stackFrames, []);
    assert.deepEqual((await s.dc.scopesRequest({ frameId: 1 })).body.scopes, []);
    assert.deepEqual((await s.dc.variablesRequest({ variablesReference: 1 })).body.variables, []);
  } finally {
    await stop(s);
  }
});

for (const [file, signal, code] of [
  ['crash_abort.py', 'SIGABRT', 134],
  ['crash_segv.py', 'SIGSEGV', 139],
] as const) {
  test(`a debuggee that dies of ${signal} ends the session with the signal shown`, { skip: SKIP, timeout: 30_000 }, async () => {
    const s = await startSession();
    let pid = 0;
    s.dc.on('process', (e) => {
      pid = e.body.systemProcessId;
    });
    try {
      await launch(s, { program: programPath(file) });
      const exited = await s.events.next('exited', 15_000);
      assert.equal(exited.body.exitCode, code);
      await s.events.next('terminated', 5000);
      assert.match(s.events.output(), new RegExp(`killed by signal ${signal}`));
      assert.ok(pid > 0, 'the process event gave the pid');
      assert.equal(alive(pid), false, 'no process left behind');
      // The adapter is still alive and answers.
      const threads = await s.dc.threadsRequest();
      assert.deepEqual(threads.body.threads, []);
    } finally {
      await stop(s);
    }
  });
}

test('a crash while the world is stopped at a breakpoint still ends the session', { skip: SKIP, timeout: 30_000 }, async () => {
  const s = await startSession();
  let pid = 0;
  s.dc.on('process', (e) => {
    pid = e.body.systemProcessId;
  });
  try {
    await launch(s, { program: programPath('loop.py') }, { [programPath('loop.py')]: [{ line: lineOf('loop.py', 'BP-LOOP') }] });
    const stopped = await s.events.next('stopped');
    await assert.rejects(s.dc.evaluateRequest({ expression: '__import__("os").abort()', frameId: undefined, context: 'repl' }));
    const exited = await s.events.next('exited', 15_000);
    assert.equal(exited.body.exitCode, 134);
    await s.events.next('terminated', 5000);
    assert.ok(stopped.body.threadId);
    assert.equal(alive(pid), false);
  } finally {
    await stop(s);
  }
});

test('disconnect terminates the debuggee and leaves no process behind', { skip: SKIP, timeout: 30_000 }, async () => {
  const s = await startSession();
  let pid = 0;
  s.dc.on('process', (e) => {
    pid = e.body.systemProcessId;
  });
  await launch(s, { program: programPath('spinners.py'), args: ['2'] });
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(pid > 0 && alive(pid));
  await s.dc.disconnectRequest({ terminateDebuggee: true });
  assert.equal(alive(pid), false);
  await s.dc.stop();
});

test('bad launch input gets one clear error', { skip: SKIP, timeout: 60_000 }, async () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{}, /no `program`/],
    [{ program: programPath('does_not_exist.py') }, /does_not_exist\.py` does not exist/],
    [{ program: programPath('loop.py'), args: 5 }, /`args` must be a list of strings/],
    [{ program: programPath('loop.py'), gil: 'sometimes' }, /`gil` must be "off", "on" or "default"/],
    [{ program: programPath('loop.py'), python: '/nonexistent/python3.13t' }, /does not exist/],
  ];
  const gil = gilPython();
  if (gil) cases.push([{ program: programPath('loop.py'), python: gil }, /is not a free-threaded build/]);
  for (const [args, expected] of cases) {
    const s = await startSession();
    try {
      await s.dc.initializeRequest({ adapterID: 'ftpython', pathFormat: 'path' });
      await assert.rejects(s.dc.launchRequest({ python: PYTHON, ...args } as never), expected, JSON.stringify(args));
    } finally {
      await s.dc.stop();
    }
  }
  assert.ok(gil, 'a non-free-threaded python3 was found for the GIL-build case');
});

test('the Debug Console says at start which tracing backend runs, and why not the other', { skip: SKIP, timeout: 30_000 }, async () => {
  const s = await startSession();
  try {
    await launch(s, { program: programPath('exit_code.py') });
    await s.events.next('terminated');
    assert.match(s.events.output('console'), /^ftpy: tracing with sys\.monitoring; not settrace: sys\.monitoring is available[^\n]*\.\n/m);
  } finally {
    await stop(s);
  }
});

test('unknown launch attributes are ignored with a warning', { skip: SKIP, timeout: 30_000 }, async () => {
  const s = await startSession();
  try {
    await launch(s, { program: programPath('exit_code.py'), colour: 'blue', gil: 'off' });
    await s.events.next('terminated');
    assert.match(s.events.output('console'), /Ignoring unknown launch attribute `colour`/);
    const gilEvents = s.events.all.filter((e) => e.event === 'ftpython.gil');
    assert.ok(gilEvents.length > 0, 'an ftpython.gil event was sent');
    assert.equal(gilEvents[0].body.enabled, false);
  } finally {
    await stop(s);
  }
  const on = await startSession();
  try {
    await launch(on, { program: programPath('exit_code.py'), gil: 'on' });
    await on.events.next('terminated');
    const gilEvents = on.events.all.filter((e) => e.event === 'ftpython.gil');
    assert.equal(gilEvents[0]?.body.enabled, true, 'gil: "on" runs with PYTHON_GIL=1');
    assert.match(String(gilEvents[0].body.reason), /PYTHON_GIL=1/);
  } finally {
    await stop(on);
  }
});

test('malformed and out-of-order requests get error responses, never a crash', { skip: SKIP, timeout: 30_000 }, async () => {
  const s = await startSession();
  try {
    await s.dc.initializeRequest({ adapterID: 'ftpython', pathFormat: 'path' });
    await assert.rejects(s.dc.stackTraceRequest({ threadId: 1 }), /launch or attach first/);
    await assert.rejects(s.dc.evaluateRequest({ expression: '1' }), /launch or attach first/);
    await assert.rejects(s.dc.customRequest('noSuchRequest', {}));
    assert.deepEqual((await s.dc.threadsRequest()).body.threads, []);
    const loop = programPath('loop.py');
    await s.dc.launchRequest({ program: loop, python: PYTHON } as never);
    await s.events.next('initialized');
    await assert.rejects(s.dc.launchRequest({ program: loop, python: PYTHON } as never), /already debugging/);
    await s.dc.setBreakpointsRequest({ source: { path: loop }, breakpoints: [{ line: lineOf('loop.py', 'BP-LOOP') }] });
    await s.dc.configurationDoneRequest();
    const stopped = await s.events.next('stopped');
    await assert.rejects(s.dc.stackTraceRequest({ threadId: 9999 }), /no thread with id 9999/);
    await assert.rejects(s.dc.variablesRequest({ variablesReference: 987654 }), /unknown variablesReference/);
    await assert.rejects(s.dc.scopesRequest({ frameId: 987654 }), /no frame with id/);
    await assert.rejects(s.dc.evaluateRequest({ expression: '1 +', context: 'watch' }), /SyntaxError/);
    await assert.rejects(s.dc.customRequest('stackTrace', { threadId: 'x' }));
    await s.dc.setBreakpointsRequest({ source: { path: loop }, breakpoints: [] });
    await s.dc.continueRequest({ threadId: stopped.body.threadId });
    await s.events.next('terminated');
  } finally {
    await stop(s);
  }
});

test('restart relaunches the program with the same breakpoints', { skip: SKIP, timeout: 30_000 }, async () => {
  const s = await startSession();
  const pids: number[] = [];
  s.dc.on('process', (e) => {
    pids.push(e.body.systemProcessId);
  });
  try {
    const loop = programPath('loop.py');
    await launch(s, { program: loop }, { [loop]: [{ line: lineOf('loop.py', 'BP-LOOP'), condition: 'i == 3' }] });
    const first = await s.events.next('stopped');
    assert.equal(first.body.reason, 'breakpoint');
    await s.dc.restartRequest({});
    const second = await s.events.next('stopped');
    assert.equal(second.body.reason, 'breakpoint');
    const frames = (await s.dc.stackTraceRequest({ threadId: second.body.threadId })).body.stackFrames;
    assert.equal((await s.dc.evaluateRequest({ expression: 'i', frameId: frames[0].id, context: 'watch' })).body.result, '3');
    assert.equal(pids.length, 2);
    assert.notEqual(pids[0], pids[1]);
    assert.equal(alive(pids[0]), false, 'the first process is gone');
    assert.equal(s.events.pending('terminated'), 0, 'no terminated event during a restart');
    await s.dc.continueRequest({ threadId: second.body.threadId });
    await s.events.next('terminated');
  } finally {
    await stop(s);
  }
});

test('module launch runs `python -m` style, with breakpoints bound on import', { skip: SKIP, timeout: 30_000 }, async () => {
  const s = await startSession();
  try {
    const loop = programPath('loop.py');
    await launch(
      s,
      { module: 'loop', cwd: programPath('.'), args: ['ignored-arg'] },
      { [loop]: [{ line: lineOf('loop.py', 'BP-LOOP'), condition: 'i == 1' }] },
    );
    const stopped = await s.events.next('stopped');
    const frames = (await s.dc.stackTraceRequest({ threadId: stopped.body.threadId })).body.stackFrames;
    assert.equal(frames[0].source?.path, loop);
    assert.equal(
      (await s.dc.evaluateRequest({ expression: '__name__, i, __import__("sys").argv[1:]', frameId: frames[0].id, context: 'watch' })).body
        .result,
      "('__main__', 1, ['ignored-arg'])",
    );
    await s.dc.continueRequest({ threadId: stopped.body.threadId });
    await s.events.next('terminated');
  } finally {
    await stop(s);
  }
});
