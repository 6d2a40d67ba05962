// Renders a race report as ThreadSanitizer prints one, for the "Free-Threaded Races" Output
// channel and `.race` files (highlighted by syntaxes/ftpy-race.tmLanguage.json).
//
//   ==================
//   WARNING: DATA RACE
//   Write of Counter.value by thread T2 (worker-1):
//     #0 bump /abs/counter.py:12
//
//   Previous read of Counter.value by thread T1 (MainThread):
//     #0 main /abs/counter.py:20
//
//   Thread T2 (worker-1) created at:
//     #0 main /abs/counter.py:18
//
//   SUMMARY: DATA RACE /abs/counter.py:12 in bump
//   ==================

import { type RaceFrame, type RaceReport, locationLabel, threadLabel } from './raceReport';

const RULE = '==================';

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function frames(stack: RaceFrame[]): string[] {
  return stack.map((f, i) => `  #${i} ${f.function} ${f.file}:${f.line}`);
}

export function renderRaceReport(report: RaceReport): string {
  const what = locationLabel(report);
  const at = report.location.address ? ` at ${report.location.address}` : '';
  const lines: string[] = [RULE, 'WARNING: DATA RACE'];
  lines.push(`${capitalise(report.current.access)} of ${what}${at} by thread ${threadLabel(report.current.thread)}:`);
  lines.push(...frames(report.current.stack), '');
  lines.push(`Previous ${report.previous.access} of ${what}${at} by thread ${threadLabel(report.previous.thread)}:`);
  lines.push(...frames(report.previous.stack), '');
  const involved = new Set([report.current.thread.id, report.previous.thread.id]);
  for (const t of report.threads ?? []) {
    if (!involved.has(t.id) || !t.createdAt || t.createdAt.length === 0) continue;
    lines.push(`Thread ${threadLabel(t)} created at:`, ...frames(t.createdAt), '');
  }
  const top = report.current.stack[0];
  lines.push(`SUMMARY: DATA RACE ${top.file}:${top.line} in ${top.function}`, RULE);
  return `${lines.join('\n')}\n`;
}
