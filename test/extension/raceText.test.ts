// The race report checker and its TSAN-style rendering (extension/raceReport.ts, raceText.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRaceFile, parseRaceReport, RaceReportError } from '../../extension/raceReport';
import { renderRaceReport } from '../../extension/raceText';
import { sample } from './fixtures';

test('renders a report the way ThreadSanitizer prints one', () => {
  const text = renderRaceReport(parseRaceReport(sample));
  assert.equal(
    text,
    [
      '==================',
      'WARNING: DATA RACE',
      'Write of Counter.value at 0x7f00aa by thread T2 (worker-1):',
      '  #0 bump /work/x/racy.py:12',
      '  #1 run /work/x/racy.py:20',
      '',
      'Previous read of Counter.value at 0x7f00aa by thread T1 (MainThread):',
      '  #0 main /work/x/racy.py:30',
      '',
      'Thread T2 (worker-1) created at:',
      '  #0 main /work/x/racy.py:25',
      '',
      'SUMMARY: DATA RACE /work/x/racy.py:12 in bump',
      '==================',
      '',
    ].join('\n'),
  );
});

test('item fields render without a dot, and a missing address is left out', () => {
  const r = parseRaceReport({ ...sample, location: { object: 'list', field: '[3]' } });
  assert.match(renderRaceReport(r), /^Write of list\[3\] by thread T2 \(worker-1\):$/m);
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
