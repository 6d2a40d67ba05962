/** Runtime events as DAP events (debug-adapter/runtimeEvents.ts): checked in milliseconds, without a debuggee. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { dapEvent } from '../../debug-adapter/runtimeEvents';
import { EVENTS } from '../../debug-adapter/protocol';

test('a stop keeps the runtime body and says every thread stopped', () => {
  const ev = dapEvent({
    type: 'event',
    event: 'stopped',
    body: { reason: 'breakpoint', threadId: 7, hitBreakpointIds: [3], description: 'Paused on breakpoint' },
  }) as DebugProtocol.StoppedEvent;
  assert.equal(ev.event, 'stopped');
  assert.deepEqual(ev.body, {
    reason: 'breakpoint',
    threadId: 7,
    hitBreakpointIds: [3],
    description: 'Paused on breakpoint',
    allThreadsStopped: true,
  });
});

test('output keeps its category, source and line', () => {
  const ev = dapEvent({
    type: 'event',
    event: 'output',
    body: { output: 'x = 1\n', category: 'console', source: { path: '/p.py' }, line: 4 },
  }) as DebugProtocol.OutputEvent;
  assert.deepEqual(
    [ev.event, ev.body.output, ev.body.category, ev.body.source?.path, ev.body.line],
    ['output', 'x = 1\n', 'console', '/p.py', 4],
  );
});

test('the project events keep their names under ftpython.; exited and process stay with the adapter', () => {
  const names = Object.fromEntries(EVENTS.map((e) => [e, dapEvent({ type: 'event', event: e, body: {} })?.event]));
  assert.deepEqual(names, {
    process: undefined,
    stopped: 'stopped',
    continued: 'continued',
    output: 'output',
    breakpoint: 'breakpoint',
    thread: 'thread',
    exited: undefined,
    race: 'ftpython.race',
    gil: 'ftpython.gil',
    deadlock: 'ftpython.deadlock',
  });
});
