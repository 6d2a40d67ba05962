// The race report as the runtime, the debug adapter and `ftpy race --json` write it (docs/architecture.md,
// "Race report JSON"), and a checker that turns untrusted JSON into it. Nothing here imports
// `vscode`, so the language server and the tests can use it too.

export interface RaceFrame {
  function: string;
  file: string;
  line: number;
}

export interface RaceThread {
  id: number;
  name: string;
  createdAt?: RaceFrame[];
}

export interface RaceAccess {
  access: string; // "read" | "write" (kept open: the runtime may add kinds)
  thread: { id: number; name: string };
  stack: RaceFrame[]; // stack[0] is the innermost frame
}

export interface RaceReport {
  kind: string; // "data-race"
  location: { object: string; field?: string; address?: string; description?: string }; // description: "attribute 'value' of Counter object"
  current: RaceAccess;
  previous: RaceAccess;
  threads?: RaceThread[];
  /** The runtime's TSAN-style rendering of this report (race/report.py format_text): shown as it is. */
  text?: string;
}

/** Raised when a JSON value is not a race report; the message names the offending part. */
export class RaceReportError extends Error {}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function frame(v: unknown, where: string): RaceFrame {
  if (!isObject(v) || typeof v.file !== 'string' || typeof v.line !== 'number') {
    throw new RaceReportError(`${where} is not a frame {function, file, line}`);
  }
  return { function: typeof v.function === 'string' ? v.function : '?', file: v.file, line: v.line };
}

function thread(v: unknown, where: string): { id: number; name: string } {
  if (!isObject(v) || typeof v.id !== 'number') throw new RaceReportError(`${where} is not a thread {id, name}`);
  return { id: v.id, name: typeof v.name === 'string' ? v.name : `Thread-${v.id}` };
}

function access(v: unknown, where: string): RaceAccess {
  if (!isObject(v)) throw new RaceReportError(`${where} is missing`);
  if (!Array.isArray(v.stack) || v.stack.length === 0) throw new RaceReportError(`${where}.stack is missing or empty`);
  return {
    access: typeof v.access === 'string' ? v.access : 'access',
    thread: thread(v.thread, `${where}.thread`),
    stack: v.stack.map((f, i) => frame(f, `${where}.stack[${i}]`)),
  };
}

/** Checks one race report (a DAP `ftpython.race` event body, or one item of `{"races": [...]}`). */
export function parseRaceReport(v: unknown): RaceReport {
  if (!isObject(v)) throw new RaceReportError('a race report must be a JSON object');
  const loc = isObject(v.location) ? v.location : {};
  const threads = Array.isArray(v.threads)
    ? v.threads.map((t, i) => {
        const base = thread(t, `threads[${i}]`);
        const created =
          isObject(t) && Array.isArray(t.createdAt) ? t.createdAt.map((f, j) => frame(f, `threads[${i}].createdAt[${j}]`)) : undefined;
        return created ? { ...base, createdAt: created } : base;
      })
    : undefined;
  return {
    kind: typeof v.kind === 'string' ? v.kind : 'data-race',
    location: {
      object: typeof loc.object === 'string' ? loc.object : '<object>',
      ...(typeof loc.field === 'string' ? { field: loc.field } : {}),
      ...(typeof loc.address === 'string' ? { address: loc.address } : {}),
      ...(typeof loc.description === 'string' ? { description: loc.description } : {}),
    },
    current: access(v.current, 'current'),
    previous: access(v.previous, 'previous'),
    ...(threads ? { threads } : {}),
    ...(typeof v.text === 'string' ? { text: v.text } : {}),
  };
}

/** Checks the contents of a `ftpy race --json` file: `{"races": [...]}` (a bare array is accepted too). */
export function parseRaceFile(text: string): RaceReport[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new RaceReportError(`not JSON: ${(e as Error).message}`);
  }
  const list = Array.isArray(data) ? data : isObject(data) ? data.races : undefined;
  if (!Array.isArray(list)) throw new RaceReportError('expected {"races": [...]}');
  return list.map((r, i) => {
    try {
      return parseRaceReport(r);
    } catch (e) {
      throw new RaceReportError(`races[${i}]: ${(e as Error).message}`);
    }
  });
}

/** "Counter.value", "items[3]", or just "Counter" when the report names no field. */
export function locationLabel(report: RaceReport): string {
  const { object, field } = report.location;
  if (!field) return object;
  return field.startsWith('[') ? `${object}${field}` : `${object}.${field}`;
}

/** "T2 (worker-1)" */
export function threadLabel(t: { id: number; name: string }): string {
  return `T${t.id} (${t.name})`;
}

/** A key that is equal for two reports of the same pair of code locations. */
export function raceKey(report: RaceReport): string {
  const a = report.current.stack[0];
  const b = report.previous.stack[0];
  return `${a.file}:${a.line}|${b.file}:${b.line}|${locationLabel(report)}`;
}
