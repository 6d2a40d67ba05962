// The SARIF that `ftpy race --sarif` writes passes the SARIF Multitool's validator with
// GitHub code scanning's ingestion rules (`validate --rule-kind "Sarif;Gh"`): no error and
// no warning (notes are advice, e.g. "consider relative URIs", and are allowed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ftpyRace, repoRoot, run } from './helpers';

export const MULTITOOL = join(repoRoot, 'node_modules', '@microsoft', 'sarif-multitool-linux', 'Sarif.Multitool');
const dir = mkdtempSync(join(tmpdir(), 'ftpy-race-sarif-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

interface Finding {
  ruleId: string;
  level: string;
  message: { text?: string; id?: string; arguments?: string[] };
}

/** Runs the validator on `sarif`; returns its errors and warnings. */
export async function validateForGitHub(sarif: string): Promise<Finding[]> {
  assert.ok(existsSync(MULTITOOL), `${MULTITOOL} is missing: run scripts/setup.sh (npm ci installs @microsoft/sarif-multitool)`);
  try {
    accessSync(MULTITOOL, constants.X_OK);
  } catch {
    assert.fail(`${MULTITOOL} is not executable: run scripts/setup.sh (it does the chmod npm's install script would)`);
  }
  const out = `${sarif}.validation.sarif`;
  const r = await run(
    MULTITOOL,
    ['validate', '--rule-kind', 'Sarif;Gh', '--level', 'Error;Warning', '--log', 'ForceOverwrite', '--output', out, sarif],
    { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1' },
    repoRoot,
    180_000,
  );
  assert.ok(existsSync(out), `the validator wrote no log (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  const log = JSON.parse(readFileSync(out, 'utf8'));
  return (log.runs?.[0]?.results ?? []) as Finding[];
}

const show = (f: Finding[]): string =>
  f.map((x) => `${x.level} ${x.ruleId}: ${x.message.text ?? (x.message.arguments ?? []).join(', ')}`).join('\n');

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
