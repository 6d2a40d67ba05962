// The TextMate grammar (syntaxes/ftpy-race.tmLanguage.json) against the text the runtime renders
// (race/report.py format_text, the one renderer; the extension shows it as it is): every
// non-blank line of a real report is matched by one of its rules, with the thread, location and
// frame parts captured. (Its patterns use no Oniguruma-only syntax, so
// JavaScript's RegExp reads them the same way.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const PYTHON = process.env.FTPY_TEST_PYTHON ?? '';

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

/** The text of the first race `ftpy race --json` reports for test/dap/programs/racy.py: the runtime's own rendering. */
function realReportText(): { text: string; raceLine: number } {
  const dir = mkdtempSync(join(tmpdir(), 'ftpy-grammar-'));
  try {
    const json = join(dir, 'races.json');
    const program = resolve('test/dap/programs/racy.py');
    const r = spawnSync(process.execPath, ['dist/cli.js', 'race', '--json', json, '--python', PYTHON, '--', program], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 66, `ftpy race reports the race: ${r.stderr}`);
    const races = (JSON.parse(readFileSync(json, 'utf8')) as { races: Array<{ text?: unknown }> }).races;
    assert.equal(typeof races[0]?.text, 'string', 'each JSON report carries its text');
    assert.ok(r.stderr.includes(races[0].text as string), 'the text in the JSON is the text the CLI printed');
    const raceLine =
      readFileSync(program, 'utf8')
        .split('\n')
        .findIndex((l) => l.includes('# RACE-LINE')) + 1;
    return { text: races[0].text as string, raceLine };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('every line of a race report the runtime wrote is highlighted by a rule', {
  skip: PYTHON ? false : 'FTPY_TEST_PYTHON is not set',
}, () => {
  assert.equal(grammar.scopeName, 'source.ftpy-race');
  const { text, raceLine } = realReportText();
  const lines = text.split('\n').filter((l) => l.trim());
  const kinds = lines.map((l) => {
    const c = classify(l);
    assert.ok(c, `no grammar rule matches: ${JSON.stringify(l)}`);
    return c;
  });
  const keys = kinds.map((k) => k.key);
  assert.deepEqual(keys.slice(0, 4), ['rule', 'warning', 'access', 'frame'], text);
  assert.deepEqual(keys.slice(-2), ['summary', 'rule'], text);
  for (const key of ['location', 'created']) assert.ok(keys.includes(key), `a ${key} line: ${text}`);
  assert.equal(keys.filter((k) => k === 'access').length, 2, 'the access and the previous one');

  const current = kinds[2].scopes;
  assert.match(current['keyword.operator.access.ftpy-race'], /^(Read|Write)$/);
  assert.match(current['entity.name.type.thread-id.ftpy-race'], /^T\d+$/);
  assert.match(current['string.quoted.thread-name.ftpy-race'], /^bumper-\d$/);
  const previous = kinds.filter((k) => k.key === 'access')[1].scopes;
  assert.equal(previous['keyword.other.previous.ftpy-race'], 'Previous ');
  const top = kinds[3].scopes;
  assert.equal(top['entity.name.function.ftpy-race'], 'bump');
  assert.equal(top['string.unquoted.path.ftpy-race'], resolve('test/dap/programs/racy.py'));
  assert.equal(top['constant.numeric.line.ftpy-race'], String(raceLine));
  const location = kinds.find((k) => k.key === 'location')!.scopes;
  assert.match(location['variable.other.member.ftpy-race'], /value/);
  assert.match(location['constant.numeric.address.ftpy-race'], /^0x[0-9a-f]+$/);
  assert.equal(kinds[kinds.length - 2].scopes['entity.name.function.ftpy-race'], 'bump');
});

test('the lines a report has only sometimes are highlighted too', () => {
  const seen = [
    'Thread T1 (MainThread) is the main thread.',
    'Thread T5 (Dummy-5) was not started by threading.Thread.start.',
    '  (no stack recorded)',
  ].map((l) => classify(l)?.key);
  assert.deepEqual(seen, ['origin', 'origin', 'nostack']);
  assert.equal(
    classify('Thread T5 (Dummy-5) was not started by threading.Thread.start.')?.scopes['string.quoted.thread-name.ftpy-race'],
    'Dummy-5',
  );
});
