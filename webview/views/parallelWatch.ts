// The Parallel Watch page: an input for an expression (and an optional frame depth), then for
// each expression a table thread -> value, errors on their own rows. A thread's name opens the
// frame the expression was evaluated in.

import type { FromWatchView, ToWatchView, WatchEntry } from '../../extension/parallel/messages';
import { isToWatchView } from '../../extension/parallel/messages';
import type { WatchRow } from '../../extension/parallel/model';
import { h, render } from '../lib/dom';
import { connect } from '../lib/host';

const channel = connect<ToWatchView, FromWatchView>(isToWatchView, (m) => show(m.entries, m.note));

function form(): HTMLElement {
  const input = h('input', {
    class: 'expression',
    attrs: { type: 'text', placeholder: 'Expression to watch in every thread', 'aria-label': 'Expression' },
  });
  const depth = h('input', {
    class: 'depth',
    attrs: { type: 'number', min: '0', placeholder: 'top', 'aria-label': 'Frame depth (empty: top user frame)' },
  });
  const add = (): void => {
    const d = depth.value.trim();
    channel.post({ type: 'add', expression: input.value, depth: d === '' ? null : Number(d) });
    input.value = '';
  };
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') add();
  });
  return h('div', { class: 'form' }, input, depth, h('button', { class: 'add', onClick: add }, 'Add'));
}

function row(r: WatchRow): HTMLTableRowElement {
  const f = r.frame;
  const name = f?.path
    ? h(
        'button',
        {
          class: 'link',
          title: `Open ${f.path}:${f.line}`,
          onClick: () => f.path && channel.post({ type: 'openFrame', threadId: r.threadId, path: f.path, line: f.line }),
        },
        r.name,
      )
    : r.name;
  const where = f ? `${f.name} ${f.file}:${f.line}` : '';
  return h(
    'tr',
    { class: r.error !== undefined ? 'error' : 'ok', attrs: { 'data-thread': String(r.threadId) } },
    h('td', { class: 'thread' }, name),
    h('td', { class: 'where muted' }, where),
    h('td', { class: 'value code' }, r.error !== undefined ? r.error : (r.result ?? '')),
  );
}

function entry(e: WatchEntry, index: number): HTMLElement {
  const title = e.depth === null ? e.expression : `${e.expression}  (depth ${e.depth})`;
  let body: Node;
  if (e.error) body = h('p', { class: 'error' }, e.error);
  else if (!e.evaluation) body = h('p', { class: 'muted' }, '—');
  else
    body = h(
      'table',
      {},
      h('thead', {}, h('tr', {}, h('th', {}, 'Thread'), h('th', {}, 'Frame'), h('th', {}, 'Value'))),
      h('tbody', {}, ...e.evaluation.rows.map(row)),
    );
  return h(
    'section',
    { class: 'entry', attrs: { 'data-expression': e.expression } },
    h(
      'h2',
      {},
      h('code', {}, title),
      ' ',
      h(
        'button',
        {
          class: 'link remove',
          title: 'Remove',
          attrs: { 'aria-label': `Remove ${e.expression}` },
          onClick: () => channel.post({ type: 'remove', index }),
        },
        '×',
      ),
    ),
    body,
  );
}

function show(entries: WatchEntry[], note: string): void {
  render(form(), note ? h('p', { class: 'note muted' }, note) : undefined, ...entries.map(entry));
}
