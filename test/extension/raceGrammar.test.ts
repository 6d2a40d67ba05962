// The TextMate grammar (syntaxes/ftpy-race.tmLanguage.json) against the text the extension
// renders: every non-blank line of a rendered report is matched by one of its rules, with the
// thread, location and frame parts captured. (Its patterns use no Oniguruma-only syntax, so
// JavaScript's RegExp reads them the same way.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseRaceReport } from '../../extension/raceReport';
import { renderRaceReport } from '../../extension/raceText';
import { sample } from './fixtures';

interface Rule {
  match: string;
  name?: string;
  captures?: Record<string, { name: string }>;
}
const grammar = JSON.parse(readFileSync('syntaxes/ftpy-race.tmLanguage.json', 'utf8')) as {
  scopeName: string;
  repository: Record<string, Rule>;
};
const rules = Object.entries(grammar.repository).map(([key, r]) => ({ key, re: new RegExp(r.match), rule: r }));

function classify(line: string): { key: string; scopes: Record<string, string> } | undefined {
  for (const { key, re, rule } of rules) {
    const m = re.exec(line);
    if (!m) continue;
    const scopes: Record<string, string> = {};
    for (const [i, c] of Object.entries(rule.captures ?? {})) if (m[Number(i)] !== undefined) scopes[c.name] = m[Number(i)];
    return { key, scopes };
  }
  return undefined;
}

test('every line of a rendered race report is highlighted by a rule', () => {
  assert.equal(grammar.scopeName, 'source.ftpy-race');
  const lines = renderRaceReport(parseRaceReport(sample))
    .split('\n')
    .filter((l) => l.trim());
  const kinds = lines.map((l) => {
    const c = classify(l);
    assert.ok(c, `no grammar rule matches: ${JSON.stringify(l)}`);
    return c;
  });
  assert.deepEqual(
    kinds.map((k) => k.key),
    ['rule', 'warning', 'access', 'frame', 'frame', 'access', 'frame', 'created', 'frame', 'summary', 'rule'],
  );
  const write = kinds[2].scopes;
  assert.equal(write['variable.other.member.ftpy-race'], 'Counter.value');
  assert.equal(write['entity.name.type.thread-id.ftpy-race'], 'T2');
  assert.equal(write['string.quoted.thread-name.ftpy-race'], 'worker-1');
  assert.equal(kinds[5].scopes['keyword.other.previous.ftpy-race'], 'Previous ');
  assert.deepEqual(kinds[3].scopes, {
    'constant.numeric.frame-index.ftpy-race': '#0',
    'entity.name.function.ftpy-race': 'bump',
    'string.unquoted.path.ftpy-race': '/work/x/racy.py',
    'constant.numeric.line.ftpy-race': '12',
  });
  assert.equal(kinds[9].scopes['entity.name.function.ftpy-race'], 'bump');
});
