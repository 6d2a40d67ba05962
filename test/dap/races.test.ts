/** `races: true` runs the race detector inside the debuggee and forwards its reports as ftpython.race events. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { SKIP, launch, lineOf, programPath, startSession, stop } from './helpers';

test('a data race is reported as an ftpython.race event while debugging', { skip: SKIP, timeout: 60_000 }, async () => {
  const racy = programPath('racy.py');
  const s = await startSession();
  try {
    await launch(s, { program: racy, races: true });
    await s.events.next('terminated', 50_000);
    const races = s.events.all.filter((e) => e.event === 'ftpython.race');
    assert.ok(races.length >= 1, `race events: ${JSON.stringify(s.events.output())}`);
    const r = races[0].body;
    assert.equal(r.kind, 'data-race');
    assert.equal(r.location.field, 'value');
    const line = lineOf('racy.py', 'RACE-LINE');
    assert.equal(r.current.stack[0].file, racy);
    assert.equal(r.current.stack[0].line, line);
    // The runtime's TSAN-style text rides along; the extension shows it as it is.
    assert.match(r.text, /^==================\nWARNING: DATA RACE\n(Read|Write) by thread T\d+ \(bumper-\d\):\n/);
    assert.ok(r.text.includes(`\nSUMMARY: DATA RACE ${racy}:${line} in bump\n==================\n`), r.text);
    assert.match(s.events.output('stdout'), /value \d+/);
  } finally {
    await stop(s);
  }
});

test('breakpoints still bind in a race-instrumented main script', { skip: SKIP, timeout: 60_000 }, async () => {
  const racy = programPath('racy.py');
  const s = await startSession();
  try {
    await launch(s, { program: racy, races: true }, { [racy]: [{ line: lineOf('racy.py', 'RACE-LINE'), hitCondition: '== 3' }] });
    const dump = (e: Error): never => {
      throw new Error(`${e.message}; output: ${s.events.output().slice(-2000)}`);
    };
    const stopped = await s.events.next('stopped', 30_000).catch(dump);
    assert.equal(stopped.body.reason, 'breakpoint');
    await s.dc.continueRequest({ threadId: stopped.body.threadId });
    await s.events.next('terminated', 50_000).catch(dump);
  } finally {
    await stop(s);
  }
});

test('a launch with "module" and races: true runs under the detector too', { skip: SKIP, timeout: 60_000 }, async () => {
  const racy = programPath('racy.py');
  const s = await startSession();
  try {
    await launch(s, { module: 'racy', cwd: dirname(racy), races: true });
    await s.events.next('terminated', 50_000);
    const races = s.events.all.filter((e) => e.event === 'ftpython.race');
    assert.ok(races.length >= 1, `no race event; output: ${JSON.stringify(s.events.output())}`);
    const r = races[0].body;
    assert.equal(r.current.stack[0].file, racy);
    assert.equal(r.current.stack[0].line, lineOf('racy.py', 'RACE-LINE'));
    assert.doesNotMatch(s.events.output(), /running without it/);
  } finally {
    await stop(s);
  }
});
