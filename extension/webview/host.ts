// The extension side of a webview: sets it up (scripts on, local resources limited to
// dist/webview/, the CSP page from html.ts) and gives the owner a typed channel. What the view
// shows is its *state*, kept here and sent again whenever the page (re)loads — a hidden panel
// or sidebar view loses its page, and the owner need not know. Messages from the page are
// checked with the view's guard before the owner sees them. One host per WebviewPanel or
// WebviewView; `options.view` names the page's bundle, dist/webview/<view>.js and .css.

import * as vscode from 'vscode';
import { makeNonce, webviewHtml } from './html';
import { type Guard, isReady } from './messages';

export interface WebviewHostOptions<FromView> {
  extensionUri: vscode.Uri;
  /** The bundle's name: webview/views/<view>.ts and .css, built to dist/webview/. */
  view: string;
  title: string;
  isMessage: Guard<FromView>;
  /** Where rejected messages are reported (default: nowhere). */
  log?: (message: string) => void;
}

export class WebviewHost<ToView, FromView> implements vscode.Disposable {
  private ready = false;
  private state: ToView | undefined;
  private readonly queue: ToView[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private readonly messages = new vscode.EventEmitter<FromView>();
  /** A message from the page that passed the view's guard. */
  readonly onMessage = this.messages.event;

  private constructor(
    readonly webview: vscode.Webview,
    options: WebviewHostOptions<FromView>,
  ) {
    const root = vscode.Uri.joinPath(options.extensionUri, 'dist', 'webview');
    webview.options = { enableScripts: true, localResourceRoots: [root] };
    const asset = (ext: string) => webview.asWebviewUri(vscode.Uri.joinPath(root, `${options.view}.${ext}`)).toString();
    webview.html = webviewHtml({
      title: options.title,
      cspSource: webview.cspSource,
      nonce: makeNonce(),
      scripts: [asset('js')],
      styles: [asset('css')],
    });
    this.disposables.push(
      this.messages,
      webview.onDidReceiveMessage((m: unknown) => {
        if (isReady(m)) this.pageReady();
        else if (options.isMessage(m)) this.messages.fire(m);
        else options.log?.(`${options.view}: ignored a message of unexpected shape from the webview: ${JSON.stringify(m)?.slice(0, 200)}`);
      }),
    );
  }

  /** For an editor-area panel. */
  static forPanel<ToView, FromView>(panel: vscode.WebviewPanel, options: WebviewHostOptions<FromView>): WebviewHost<ToView, FromView> {
    const host = new WebviewHost<ToView, FromView>(panel.webview, options);
    host.disposables.push(
      panel.onDidChangeViewState((e) => {
        if (!e.webviewPanel.visible) host.ready = false; // its page is gone; it says ready again when shown
      }),
    );
    return host;
  }

  /** For a view in a sidebar or panel container (registerWebviewViewProvider). */
  static forView<ToView, FromView>(view: vscode.WebviewView, options: WebviewHostOptions<FromView>): WebviewHost<ToView, FromView> {
    const host = new WebviewHost<ToView, FromView>(view.webview, options);
    host.disposables.push(
      view.onDidChangeVisibility(() => {
        if (!view.visible) host.ready = false;
      }),
    );
    return host;
  }

  /** What the page shows: sent now if the page is listening, and again after each reload. */
  show(state: ToView): void {
    this.state = state;
    if (this.ready) void this.webview.postMessage(state);
  }

  /** A one-off message: sent now, or queued until the page is listening. */
  post(message: ToView): void {
    if (this.ready) void this.webview.postMessage(message);
    else this.queue.push(message);
  }

  private pageReady(): void {
    this.ready = true;
    if (this.state !== undefined) void this.webview.postMessage(this.state);
    for (const m of this.queue.splice(0)) void this.webview.postMessage(m);
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
