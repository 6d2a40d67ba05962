// The Parallel Stacks page: the threads' stacks merged by common prefix, outermost frames first,
// one box per run of frames that the same threads share, its children indented below it. Each
// box says how many threads pass through it and which; the current thread's path is highlighted,
// threads in native code and frozen ones are marked. Clicking a frame opens it (for the current
// thread if it passes there, else the box's first thread).

import type { FromStacksView, ToStacksView } from '../../extension/parallel/messages';
import { isToStacksView } from '../../extension/parallel/messages';
import type { StackFrameInfo, StackNode, ThreadInfo, ThreadStacks } from '../../extension/parallel/model';
import { h, render } from '../lib/dom';
import { connect } from '../lib/host';

const channel = connect<ToStacksView, FromStacksView>(isToStacksView, (m) => show(m.stacks, m.note));

/** At most this many thread names in a box; the rest are counted. */
const NAMES = 8;

function threadChip(t: ThreadInfo, onClick: () => void): HTMLElement {
  const marks = [t.frozen ? 'frozen' : '', t.state === 'native' ? 'native' : ''].filter(Boolean);
  const suffix = t.frozen ? ' (frozen)' : t.state === 'native' ? ' (native)' : '';
  return h(
    'button',
    {
      class: ['link', 'thread', t.current ? 'current' : '', ...marks].filter(Boolean).join(' '),
      title: `${t.label} (thread ${t.id})`,
      attrs: { 'data-thread': String(t.id) },
      onClick,
    },
    `${t.name}${suffix}`,
  );
}

function frameItem(f: StackFrameInfo, open: (f: StackFrameInfo) => void): HTMLLIElement {
  return h(
    'li',
    { class: `frame${f.user ? '' : ' library'}` },
    h(
      'button',
      { class: 'link frame-head', title: f.path ? `Open ${f.path}:${f.line}` : f.file, onClick: () => open(f) },
      h('span', { class: 'frame-function code' }, f.name),
      ' ',
      h('span', { class: 'frame-location muted' }, `${f.file}:${f.line}`),
    ),
  );
}

/** Two or more library frames in a row fold into one line (as the Call Stack folds them). */
function libraryRun(frames: StackFrameInfo[], open: (f: StackFrameInfo) => void): HTMLLIElement {
  const details = h(
    'details',
    {},
    h('summary', { class: 'muted' }, `${frames.length} library frames`),
    h('ol', { class: 'frames' }, ...frames.map((f) => frameItem(f, open))),
  );
  return h('li', { class: 'library-run' }, details);
}

function runs(frames: StackFrameInfo[]): { library: boolean; frames: StackFrameInfo[] }[] {
  const out: { library: boolean; frames: StackFrameInfo[] }[] = [];
  for (const f of frames) {
    const last = out[out.length - 1];
    if (!f.user && last?.library) last.frames.push(f);
    else out.push({ library: !f.user, frames: [f] });
  }
  // A single library frame stays a plain line.
  return out.flatMap((r) => (r.library && r.frames.length === 1 ? [{ library: false, frames: r.frames }] : [r]));
}

function nodeBox(node: StackNode, threads: Map<number, ThreadInfo>, current: number | null): HTMLElement {
  const here = current !== null && node.threadIds.includes(current);
  const owner = here && current !== null ? current : node.threadIds[0];
  const open = (f: StackFrameInfo): void => {
    if (!f.path) return;
    const frames = node.frames;
    channel.post({ type: 'openFrame', threadId: owner, path: f.path, line: f.line, depth: frames.length - 1 - frames.indexOf(f) });
  };
  const innermost = node.frames[node.frames.length - 1];
  const openTop = (id: number): void => {
    if (innermost?.path) channel.post({ type: 'openFrame', threadId: id, path: innermost.path, line: innermost.line, depth: 0 });
  };
  const names = node.threadIds.slice(0, NAMES).flatMap((id, i) => {
    const t = threads.get(id);
    return t ? [i > 0 ? ', ' : '', threadChip(t, () => openTop(id))] : [];
  });
  const more = node.threadIds.length > NAMES ? h('span', { class: 'muted' }, ` +${node.threadIds.length - NAMES} more`) : undefined;
  const count = node.threadIds.length;
  const box = h(
    'section',
    { class: `node${here ? ' current' : ''}`, attrs: { 'data-threads': String(count) } },
    h('header', {}, h('span', { class: 'count' }, `${count} thread${count === 1 ? '' : 's'}`), ' ', ...names, more),
    h(
      'ol',
      { class: 'frames' },
      ...runs(node.frames).map((run) => (run.library ? libraryRun(run.frames, open) : frameItem(run.frames[0], open))),
    ),
  );
  if (!node.children.length) return box;
  return h('div', { class: 'subtree' }, box, h('div', { class: 'children' }, ...node.children.map((c) => nodeBox(c, threads, current))));
}

function show(stacks: ThreadStacks | null, note: string): void {
  if (!stacks) {
    render(h('p', { class: 'note muted' }, note));
    return;
  }
  const threads = new Map(stacks.threads.map((t) => [t.id, t]));
  const n = stacks.threads.length;
  const g = stacks.groups.length;
  render(
    h(
      'header',
      { class: 'summary' },
      h('span', {}, `${n} thread${n === 1 ? '' : 's'}, ${g} distinct stack${g === 1 ? '' : 's'}`),
      ' ',
      h(
        'button',
        { class: 'link print', title: 'Print the grouped stacks to the Debug Console', onClick: () => channel.post({ type: 'printText' }) },
        'Print to Debug Console',
      ),
    ),
    h('div', { class: 'tree' }, ...stacks.tree.map((node) => nodeBox(node, threads, stacks.currentThreadId))),
  );
}
