// The SARIF that `ftpy race --sarif` writes passes the SARIF Multitool's validator with
// GitHub code scanning's ingestion rules (`validate --rule-kind "Sarif;Gh"`): no error and
// no warning (notes are advice, e.g. "consider relative URIs", and are allowed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ftpyRace } from './helpers';
import { showFindings as show, validateForGitHub } from './sarifValidator';

const dir = mkdtempSync(join(tmpdir(), 'ftpy-race-sarif-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

test('the SARIF of a racy corpus program has no GitHub ingestion error or warning', { timeout: 240_000 }, async () => {
  const sarif = join(dir, 'corpus.sarif');
  const r = await ftpyRace(['--sarif', sarif, resolve('test', 'corpus', 'race_check_then_act.py')]);
  assert.equal(r.code, 66, r.stderr);
  const log = JSON.parse(readFileSync(sarif, 'utf8'));
  assert.ok(log.runs[0].results.length >= 1);
  const rule = log.runs[0].tool.driver.rules[0];
  assert.ok(rule.fullDescription?.text && rule.help?.text && rule.help?.markdown, 'GH2012: fullDescription and help');
  const findings = await validateForGitHub(sarif);
  assert.deepEqual(findings, [], show(findings));
});

test('the SARIF of -c code (frames in <string>, not a file) is accepted too', { timeout: 240_000 }, async () => {
  const sarif = join(dir, 'c.sarif');
  const code =
    'import threading\nclass C: n = 0\nc = C()\ndef f():\n    c.n += 1\nts = [threading.Thread(target=f) for _ in range(2)]\n[t.start() for t in ts]\n[t.join() for t in ts]\n';
  const r = await ftpyRace(['--sarif', sarif, '-c', code], dir);
  assert.equal(r.code, 66, r.stderr);
  const findings = await validateForGitHub(sarif);
  assert.deepEqual(findings, [], show(findings));
});
