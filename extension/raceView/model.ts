// What the race view shows for one report: two columns (the current access | the previous
// one), each with its thread, its stack as frames with a few source lines around each frame's
// line (the racing frame, stack[0], emphasised), and where its thread was created. Pure: the
// caller supplies the source lines and how to print a path, so the webview gets plain data and
// tests need no VS Code. Frames are named by id; the webview sends an id back to open one, never
// a path.

import { type RaceAccess, type RaceFrame, type RaceReport, locationLabel, threadLabel } from '../raceReport';

export interface SourceLine {
  line: number; // 1-based
  text: string;
  /** The frame's own line (the access, or the call the frame was making). */
  here: boolean;
}

export type FrameRole = 'racing' | 'caller' | 'creation';

export interface FrameView {
  id: string;
  function: string;
  /** The path as shown (workspace-relative when it can be). */
  path: string;
  /** The absolute path, for tooltips. */
  file: string;
  line: number;
  role: FrameRole;
  /** Lines around `line`; undefined when the file cannot be read (with `missing` saying so). */
  excerpt?: SourceLine[];
  missing?: string;
}

export interface AccessView {
  heading: 'Current access' | 'Previous access';
  access: string; // "read", "write"
  thread: string; // "T2 (worker-1)"
  frames: FrameView[];
  /** Where the thread was created, or a note saying why there is no stack. */
  creation: { frames: FrameView[] } | { note: string };
}

export interface RaceViewModel {
  title: string; // "Race on Counter.value"
  location: string; // "Counter.value"
  description?: string;
  address?: string;
  summary: string;
  current: AccessView;
  previous: AccessView;
}

export interface SourceReader {
  /** The file's lines, or undefined when it cannot be read. */
  lines(file: string): string[] | undefined;
  display(file: string): string;
}

/** Lines of context either side of a frame's line. */
export const CONTEXT_LINES = 2;
/** Frames past these get no excerpt (deep recursion would make a wall of code). */
export const MAX_EXCERPTS_PER_STACK = 12;
const MAX_LINE_CHARS = 400;

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function frameView(f: RaceFrame, id: string, role: FrameRole, withExcerpt: boolean, src: SourceReader): FrameView {
  const view: FrameView = { id, function: f.function, path: src.display(f.file), file: f.file, line: f.line, role };
  if (!withExcerpt) return view;
  const lines = src.lines(f.file);
  if (!lines) return { ...view, missing: 'source not available' };
  if (f.line < 1 || f.line > lines.length) return { ...view, missing: `the file has ${lines.length} lines now` };
  const from = Math.max(1, f.line - CONTEXT_LINES);
  const to = Math.min(lines.length, f.line + CONTEXT_LINES);
  const excerpt: SourceLine[] = [];
  for (let n = from; n <= to; n++) {
    const text = lines[n - 1];
    excerpt.push({ line: n, text: text.length > MAX_LINE_CHARS ? `${text.slice(0, MAX_LINE_CHARS)}…` : text, here: n === f.line });
  }
  return { ...view, excerpt };
}

function stack(frames: RaceFrame[], prefix: string, creation: boolean, src: SourceReader): FrameView[] {
  return frames.map((f, i) =>
    frameView(f, `${prefix}${i}`, creation ? 'creation' : i === 0 ? 'racing' : 'caller', i < MAX_EXCERPTS_PER_STACK, src),
  );
}

function accessView(report: RaceReport, which: 'current' | 'previous', src: SourceReader): AccessView {
  const a: RaceAccess = report[which];
  const t = report.threads?.find((x) => x.id === a.thread.id);
  const key = which === 'current' ? 'c' : 'p';
  let creation: AccessView['creation'];
  if (t?.createdAt?.length) creation = { frames: stack(t.createdAt, `${key}t`, true, src) };
  else if (t && a.thread.name === 'MainThread') creation = { note: 'The main thread.' };
  else creation = { note: 'Where it was created is not in the report.' };
  return {
    heading: which === 'current' ? 'Current access' : 'Previous access',
    access: a.access,
    thread: threadLabel(a.thread),
    frames: stack(a.stack, `${key}s`, false, src),
    creation,
  };
}

export function raceViewModel(report: RaceReport, src: SourceReader): RaceViewModel {
  const what = locationLabel(report);
  const cur = report.current;
  const prev = report.previous;
  const at = (a: RaceAccess) => `${src.display(a.stack[0].file)}:${a.stack[0].line}`;
  return {
    title: `Race on ${what}`,
    location: what,
    ...(report.location.description ? { description: report.location.description } : {}),
    ...(report.location.address ? { address: report.location.address } : {}),
    summary:
      `${capitalise(cur.access)} by thread ${threadLabel(cur.thread)} at ${at(cur)} and a previous ${prev.access} ` +
      `by thread ${threadLabel(prev.thread)} at ${at(prev)}, with nothing ordering them.`,
    current: accessView(report, 'current', src),
    previous: accessView(report, 'previous', src),
  };
}

/** The file and line of a frame the webview named, or undefined for an id not in the model. */
export function frameTarget(model: RaceViewModel, id: string): { file: string; line: number } | undefined {
  for (const a of [model.current, model.previous]) {
    const frames = [...a.frames, ...('frames' in a.creation ? a.creation.frames : [])];
    const f = frames.find((x) => x.id === id);
    if (f) return { file: f.file, line: f.line };
  }
  return undefined;
}
