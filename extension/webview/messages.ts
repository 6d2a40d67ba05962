// What every webview and its host say to each other whatever the view: the page's "ready"
// (sent when its script has started, again after each reload), and the shape of a guard that
// checks an untrusted message. Imported by both sides (extension host and webview/), so it uses
// neither `vscode` nor the DOM.

/** Webview -> host: the page is listening; send it what it should show. */
export interface ReadyMessage {
  type: 'ready';
}

/** Checks that a message received across the webview boundary has the expected shape. */
export type Guard<T> = (v: unknown) => v is T;

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isReady(v: unknown): v is ReadyMessage {
  return isRecord(v) && v.type === 'ready';
}
