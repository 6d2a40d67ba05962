// The lock wait-for graph page: threads (left) and locks (right) as boxes, "waits for" arrows
// from a thread to a lock and "holds" arrows from a lock to its owner, the edges and nodes of a
// deadlock cycle in red. Below the picture, the same edges as a list (to read, and for screen
// readers).

import type { FromGraphView, ToGraphView } from '../../extension/parallel/messages';
import { isToGraphView } from '../../extension/parallel/messages';
import type { GraphEdge, GraphNode, WaitForGraph } from '../../extension/parallel/model';
import { h, render } from '../lib/dom';
import { connect } from '../lib/host';

const channel = connect<ToGraphView, FromGraphView>(isToGraphView, (m) => show(m.graph));

const SVG = 'http://www.w3.org/2000/svg';
const NODE_W = 220;
const NODE_H = 34;
const GAP = 26;
const LEFT = 20;
const RIGHT = 440;
const ORIGIN = { x: 0, y: 0 };

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  ...children: (Node | string)[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

function picture(g: WaitForGraph): SVGSVGElement {
  const threads = g.nodes.filter((n) => n.kind === 'thread');
  const locks = g.nodes.filter((n) => n.kind === 'lock');
  const pos = new Map<string, { x: number; y: number }>();
  for (const [i, n] of threads.entries()) pos.set(n.id, { x: LEFT, y: 20 + i * (NODE_H + GAP) });
  for (const [i, n] of locks.entries()) pos.set(n.id, { x: RIGHT, y: 20 + i * (NODE_H + GAP) });
  const height = 40 + Math.max(threads.length, locks.length, 1) * (NODE_H + GAP);
  const defs = svg(
    'defs',
    {},
    ...['plain', 'cycle'].map((k) =>
      svg(
        'marker',
        { id: `arrow-${k}`, viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse' },
        svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: `arrowhead ${k}` }),
      ),
    ),
  );
  const edge = (e: GraphEdge): SVGGElement => {
    const a = pos.get(e.from) ?? ORIGIN;
    const b = pos.get(e.to) ?? ORIGIN;
    // Waits-for arrows leave a thread's right side; holds arrows come back below them.
    const off = e.kind === 'waits for' ? -8 : 8;
    const x1 = a.x < b.x ? a.x + NODE_W : a.x;
    const x2 = a.x < b.x ? b.x : b.x + NODE_W;
    const y1 = a.y + NODE_H / 2 + off;
    const y2 = b.y + NODE_H / 2 + off;
    const mx = (x1 + x2) / 2;
    const my = (y1 + y2) / 2 + off * 3;
    const cls = `edge ${e.kind === 'holds' ? 'holds' : 'waits'}${e.inCycle ? ' cycle' : ''}`;
    return svg(
      'g',
      { class: cls, 'data-from': e.from, 'data-to': e.to },
      svg('path', { d: `M ${x1} ${y1} Q ${mx} ${my} ${x2} ${y2}`, 'marker-end': `url(#arrow-${e.inCycle ? 'cycle' : 'plain'})` }),
      svg('text', { x: mx, y: my + (off < 0 ? -4 : 12), 'text-anchor': 'middle' }, e.kind),
    );
  };
  const node = (n: GraphNode): SVGGElement => {
    const p = pos.get(n.id) ?? ORIGIN;
    return svg(
      'g',
      { class: `node ${n.kind}${n.inCycle ? ' cycle' : ''}`, 'data-node': n.id },
      svg('title', {}, n.detail),
      svg('rect', { x: p.x, y: p.y, width: NODE_W, height: NODE_H, rx: n.kind === 'thread' ? 12 : 3 }),
      svg('text', { x: p.x + NODE_W / 2, y: p.y + NODE_H / 2 + 4, 'text-anchor': 'middle' }, n.label),
    );
  };
  return svg(
    'svg',
    {
      class: 'graph',
      width: RIGHT + NODE_W + 20,
      height,
      viewBox: `0 0 ${RIGHT + NODE_W + 20} ${height}`,
      role: 'img',
      'aria-label': g.summary,
    },
    defs,
    ...g.edges.map(edge),
    ...g.nodes.map(node),
  );
}

function show(g: WaitForGraph): void {
  const label = new Map(g.nodes.map((n) => [n.id, n.label]));
  render(
    h('h1', {}, 'Lock wait-for graph'),
    h('p', { class: `summary${g.deadlocked ? ' deadlocked' : ''}` }, g.summary),
    g.note ? h('p', { class: 'muted' }, g.note) : undefined,
    h('p', {}, h('button', { class: 'link refresh', onClick: () => channel.post({ type: 'refresh' }) }, 'Refresh')),
    picture(g),
    h('h2', {}, 'Edges'),
    h(
      'ul',
      { class: 'edges' },
      ...g.edges.map((e) =>
        h(
          'li',
          { class: e.inCycle ? 'cycle' : '' },
          e.kind === 'holds' ? `${label.get(e.to)} holds ${label.get(e.from)}` : `${label.get(e.from)} waits for ${label.get(e.to)}`,
        ),
      ),
    ),
    h('p', { class: 'legend muted' }, 'Rounded boxes are threads, square ones locks (where each was made). Red: a deadlock cycle.'),
  );
}
