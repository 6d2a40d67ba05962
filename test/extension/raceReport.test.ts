// The race report checker (extension/raceReport.ts). The TSAN-style text is the runtime's
// (race/report.py format_text, test/python/test_race_text.py); a report carries it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRaceFile, parseRaceReport, RaceReportError } from '../../extension/raceReport';
import { sample } from './fixtures';

test("a report carries the runtime's text, which is what the editor shows", () => {
  const text = '==================\nWARNING: DATA RACE\n...\n';
  assert.equal(parseRaceReport({ ...sample, text }).text, text);
  assert.equal(parseRaceReport(sample).text, undefined, 'no text is invented when the runtime sent none');
  assert.equal(parseRaceReport({ ...sample, text: 42 }).text, undefined, 'a text that is not a string is dropped');
});

test('a result file is {"races": [...]}; bad input names what is wrong', () => {
  assert.equal(parseRaceFile(JSON.stringify({ races: [sample, sample] })).length, 2);
  assert.deepEqual(parseRaceFile('{"races": []}'), []);
  assert.throws(
    () => parseRaceFile('{"races": '),
    (e: unknown) => e instanceof RaceReportError && /not JSON/.test(e.message),
  );
  assert.throws(() => parseRaceFile('{"nope": 1}'), /expected \{"races"/);
  const noStack = { ...sample, current: { ...sample.current, stack: [] } };
  assert.throws(() => parseRaceFile(JSON.stringify({ races: [sample, noStack] })), /races\[1\]: current\.stack is missing or empty/);
});
