// Building the page's DOM from data: text always goes in as text nodes (never as HTML), so a
// report's function names, paths or source lines cannot inject markup.

type Child = Node | string | number | undefined | null | false;

export interface Props {
  class?: string;
  title?: string;
  /** Other attributes (aria-*, data-*, role, tabindex…). */
  attrs?: Record<string, string>;
  onClick?: (e: MouseEvent) => void;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props.class) el.className = props.class;
  if (props.title) el.title = props.title;
  for (const [k, v] of Object.entries(props.attrs ?? {})) el.setAttribute(k, v);
  if (props.onClick) (el as HTMLElement).addEventListener('click', props.onClick);
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    el.append(typeof c === 'number' ? String(c) : c);
  }
  return el;
}

/** Replaces the children of the page's root (`<main id="root">`). */
export function render(...children: Child[]): void {
  const root = document.getElementById('root');
  if (!root) throw new Error('the page has no #root');
  root.replaceChildren(
    ...children
      .filter((c): c is Node | string => c !== undefined && c !== null && c !== false)
      .map((c) => (typeof c === 'number' ? String(c) : c)),
  );
}
