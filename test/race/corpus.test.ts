// The race corpus, in the manner of Go's runtime/race/testdata: every test/corpus/race_*.py
// must be reported at exactly the lines marked `# RACE` (exit status 66, or the one a
// `# EXIT: N` line declares, e.g. 139 for a race then a segfault), and every
// norace_*.py must run clean with its own exit status.  Each program runs 3 times, two
// at a time: what is reported must not depend on how the threads were scheduled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { corpusDir, pool, readRaces, runRace, type JsonRace } from './helpers';

const REPEATS = 3;

/** `file:line` of every `# RACE` mark in `file` and in the corpus helpers it imports. */
function expectedMarks(program: string): Set<string> {
  const files = [join(corpusDir, program)];
  const text = readFileSync(files[0], 'utf8');
  for (const m of text.matchAll(/^\s*(?:from|import)\s+(_corpus_\w+)/gm)) files.push(join(corpusDir, `${m[1]}.py`));
  const marks = new Set<string>();
  for (const f of files) {
    readFileSync(f, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (/#\s*RACE\b/.test(line)) marks.add(`${f}:${i + 1}`);
      });
  }
  return marks;
}

/**
 * The exit status a program declares with a `# EXIT: N` line (a race then a crash: 128+signal),
 * else 66 for race_*.py and 0 for norace_*.py.
 */
function expectedExit(program: string): number {
  const m = readFileSync(join(corpusDir, program), 'utf8').match(/^#\s*EXIT:\s*(\d+)\s*$/m);
  if (m) return Number(m[1]);
  return program.startsWith('race_') ? 66 : 0;
}

const top = (r: JsonRace, which: 'current' | 'previous'): string => {
  const f = r[which].stack[0];
  return `${f.file}:${f.line}`;
};

function checkShape(r: JsonRace): void {
  assert.equal(r.kind, 'data-race');
  assert.ok(r.location.object && r.location.field && /^0x[0-9a-f]+$/.test(r.location.address), JSON.stringify(r.location));
  for (const part of [r.current, r.previous]) {
    assert.ok(part.access === 'read' || part.access === 'write');
    assert.ok(part.stack.length >= 1);
    for (const f of part.stack) assert.ok(isAbsolute(f.file) || f.file.startsWith('<'), f.file);
  }
  assert.notEqual(r.current.thread.id, r.previous.thread.id, 'a race needs two threads');
  const ids = r.threads.map((t) => t.id).sort();
  assert.deepEqual(
    ids,
    [r.current.thread.id, r.previous.thread.id].sort((a, b) => a - b),
  );
}

const programs = readdirSync(corpusDir)
  .filter((f) => /^(no)?race_\w+\.py$/.test(f))
  .sort();
const racy = programs.filter((p) => p.startsWith('race_'));
const clean = programs.filter((p) => p.startsWith('norace_'));

test('the corpus has at least 25 racy and 25 race-free programs', () => {
  assert.ok(racy.length >= 25, `${racy.length} race_*.py`);
  assert.ok(clean.length >= 25, `${clean.length} norace_*.py`);
  for (const p of racy) assert.ok(expectedMarks(p).size > 0, `${p} marks no line with # RACE`);
});

test('every program is reported exactly at its marked lines, on every run', { timeout: 600_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ftpy-race-corpus-'));
  const failures: string[] = [];
  try {
    const jobs = programs.flatMap((p) => Array.from({ length: REPEATS }, (_, i) => ({ p, i })));
    await pool(jobs, 2, async ({ p, i }) => {
      const json = join(dir, `${p}.${i}.json`);
      const res = await runRace(['--json', json], join(corpusDir, p));
      const where = `${p} (run ${i + 1})`;
      try {
        const races = readRaces(json);
        if (p.startsWith('norace_')) {
          assert.equal(races.length, 0, `${where}: unexpected report(s):\n${res.stderr}`);
          assert.equal(res.code, 0, `${where}: exit status ${res.code}\n${res.stderr}`);
          assert.doesNotMatch(res.stderr, /WARNING: DATA RACE/);
          return;
        }
        const marks = expectedMarks(p);
        const want = expectedExit(p);
        assert.equal(res.code, want, `${where}: exit status ${res.code}, want ${want}\n${res.stderr}`);
        assert.ok(races.length > 0, `${where}: no race reported`);
        const covered = new Set<string>();
        for (const r of races) {
          checkShape(r);
          for (const which of ['current', 'previous'] as const) {
            const at = top(r, which);
            assert.ok(marks.has(at), `${where}: reported at ${at}, which is not marked # RACE\n${res.stderr}`);
            covered.add(at);
          }
        }
        for (const m of marks) assert.ok(covered.has(m), `${where}: the race at ${m} was not reported\n${res.stderr}`);
        assert.equal((res.stderr.match(/WARNING: DATA RACE/g) ?? []).length, races.length, `${where}: text and JSON disagree`);
        assert.match(res.stderr, /SUMMARY: DATA RACE \S+:\d+ in \S+/);
      } catch (e) {
        failures.push(e instanceof Error ? e.message : String(e));
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(failures, []);
});
