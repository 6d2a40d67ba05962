/** The runtime protocol is declared twice (TypeScript and Python); this keeps the two in step. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import * as ts from '../../debug-adapter/protocol';

const PYTHON = process.env.FTPY_TEST_PYTHON || 'python3';

function pythonProtocol(): Record<string, unknown> {
  const script = [
    'import json',
    'from ftpy_runtime.agent import protocol as p',
    'print(json.dumps({"PROTOCOL_VERSION": p.PROTOCOL_VERSION, "TOKEN_ENV": p.TOKEN_ENV, "SECRET_DIR": list(p.SECRET_DIR),',
    ' "MESSAGE_TYPES": list(p.MESSAGE_TYPES), "HANDSHAKE": [p.HANDSHAKE_LABEL, p.MAX_HANDSHAKE_LINE, p.HANDSHAKE_TIMEOUT_MS],',
    ' "COMMANDS": list(p.COMMANDS), "EVENTS": list(p.EVENTS),',
    ' "RUNTIME_OPTIONS": p.runtime_options_schema()}))',
  ].join('\n');
  const out = execFileSync(PYTHON, ['-c', script], { env: { ...process.env, PYTHONPATH: resolve('runtime') }, encoding: 'utf8' });
  return JSON.parse(out) as Record<string, unknown>;
}

test('protocol.ts and protocol.py declare the same names', () => {
  const py = pythonProtocol();
  assert.equal(py.PROTOCOL_VERSION, ts.PROTOCOL_VERSION);
  assert.equal(py.TOKEN_ENV, ts.TOKEN_ENV);
  assert.deepEqual(py.SECRET_DIR, [...ts.SECRET_DIR]);
  assert.deepEqual(py.MESSAGE_TYPES, [...ts.MESSAGE_TYPES]);
  assert.deepEqual(py.HANDSHAKE, [ts.HANDSHAKE_LABEL, ts.MAX_HANDSHAKE_LINE, ts.HANDSHAKE_TIMEOUT_MS]);
  assert.deepEqual(py.COMMANDS, [...ts.COMMANDS]);
  assert.deepEqual(py.EVENTS, [...ts.EVENTS]);
  // The launch options: the same keys, in the same order, with the same wire types and defaults.
  assert.deepEqual(Object.keys(py.RUNTIME_OPTIONS as object), Object.keys(ts.RUNTIME_OPTIONS));
  assert.deepEqual(py.RUNTIME_OPTIONS, ts.RUNTIME_OPTIONS);
});

test('the runtime answers every declared command (none is declared but unhandled)', () => {
  const script = [
    'import json',
    'from ftpy_runtime.agent import protocol',
    'from ftpy_runtime.agent.agent import Agent',
    'print(json.dumps([c for c in protocol.COMMANDS if not callable(getattr(Agent, "_" + c, None))]))',
  ].join('\n');
  const out = execFileSync(PYTHON, ['-c', script], { env: { ...process.env, PYTHONPATH: resolve('runtime') }, encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), []);
});

test('encode/decode round-trip and reject non-protocol lines', () => {
  const msg = { type: 'request' as const, seq: 3, command: 'threads' as const, arguments: {} };
  assert.deepEqual(ts.decode(ts.encode(msg).trim()), msg);
  assert.throws(() => ts.decode('{"type":"nonsense"}'));
  assert.throws(() => ts.decode('[1,2]'));
});
