// The SARIF Multitool's validator with GitHub code scanning's ingestion rules, for tests.
import assert from 'node:assert/strict';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, run } from './helpers';

export const MULTITOOL = join(repoRoot, 'node_modules', '@microsoft', 'sarif-multitool-linux', 'Sarif.Multitool');
export interface Finding {
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

export const showFindings = (f: Finding[]): string =>
  f.map((x) => `${x.level} ${x.ruleId}: ${x.message.text ?? (x.message.arguments ?? []).join(', ')}`).join('\n');
