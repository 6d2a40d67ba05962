// The page side of a webview's channel to the extension: messages in are checked with the
// view's guard, messages out are typed, and "ready" goes out once the listener is in place (the
// host then sends what the page should show). Runs in the webview, not in Node.

import { type Guard, type ReadyMessage, isReady } from '../../extension/webview/messages';

interface VsCodeApi {
  postMessage(message: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

export interface Channel<FromView> {
  post(message: FromView): void;
}

export function connect<ToView, FromView>(isMessage: Guard<ToView>, onMessage: (m: ToView) => void): Channel<FromView> {
  const api = acquireVsCodeApi(); // may be called once per page
  window.addEventListener('message', (e: MessageEvent<unknown>) => {
    if (isMessage(e.data)) onMessage(e.data);
    else if (!isReady(e.data)) console.warn('ignored a message of unexpected shape from the extension', e.data);
  });
  const ready: ReadyMessage = { type: 'ready' };
  api.postMessage(ready);
  return { post: (m) => api.postMessage(m) };
}
