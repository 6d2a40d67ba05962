// The race view's page: both stacks side by side (current access | previous access), each
// frame with a few source lines around its line, the racing line emphasised, frames clickable
// (the extension opens the editor there), and where each thread was created.

import type { AccessView, FrameView, RaceViewModel } from '../../extension/raceView/model';
import { type FromRaceView, type ToRaceView, isToRaceView } from '../../extension/raceView/messages';
import { h, render } from '../lib/dom';
import { connect } from '../lib/host';

const channel = connect<ToRaceView, FromRaceView>(isToRaceView, (m) => show(m.race));

function open(frame: FrameView): void {
  channel.post({ type: 'openFrame', frameId: frame.id });
}

function frameItem(f: FrameView, index: number): HTMLLIElement {
  const where = `${f.path}:${f.line}`;
  const head = h(
    'button',
    { class: 'link frame-head', title: `Open ${f.file}:${f.line}`, onClick: () => open(f) },
    h('span', { class: 'frame-index muted' }, `#${index}`),
    ' ',
    h('span', { class: 'frame-function code' }, f.function),
    ' ',
    h('span', { class: 'frame-location' }, where),
  );
  let body: Node | undefined;
  if (f.excerpt) {
    body = h(
      'div',
      { class: 'excerpt code', attrs: { role: 'presentation' }, onClick: () => open(f) },
      ...f.excerpt.map((l) =>
        h(
          'div',
          { class: l.here ? 'src here' : 'src' },
          h('span', { class: 'ln', attrs: { 'aria-hidden': 'true' } }, l.line),
          h('span', { class: 'text' }, l.text === '' ? ' ' : l.text),
        ),
      ),
    );
  } else if (f.missing) {
    body = h('div', { class: 'excerpt-missing muted' }, f.missing);
  }
  return h('li', { class: `frame ${f.role}`, attrs: { 'data-frame': f.id } }, head, body);
}

function column(a: AccessView, which: 'current' | 'previous'): HTMLElement {
  const creation =
    'frames' in a.creation
      ? h('ol', { class: 'stack creation', attrs: { start: '0' } }, ...a.creation.frames.map(frameItem))
      : h('p', { class: 'creation-note muted' }, a.creation.note);
  return h(
    'section',
    { class: `column ${which}`, attrs: { 'aria-label': a.heading } },
    h('h2', {}, a.heading),
    h(
      'p',
      { class: 'access' },
      h('span', { class: `badge access-kind ${a.access}` }, a.access),
      ' by thread ',
      h('strong', { class: 'thread' }, a.thread),
    ),
    h('ol', { class: 'stack', attrs: { start: '0' } }, ...a.frames.map(frameItem)),
    h('h3', {}, 'frames' in a.creation ? `Thread ${a.thread} created at` : `Thread ${a.thread}`),
    creation,
  );
}

function show(race: RaceViewModel): void {
  document.title = race.title;
  const where = [race.description, race.address ? `at ${race.address}` : undefined].filter(Boolean).join(' ');
  render(
    h(
      'header',
      {},
      h('h1', {}, 'Data race on ', h('code', { class: 'location' }, race.location)),
      where ? h('p', { class: 'description muted' }, where) : undefined,
      h('p', { class: 'summary' }, race.summary),
    ),
    h('div', { class: 'columns' }, column(race.current, 'current'), column(race.previous, 'previous')),
  );
}
