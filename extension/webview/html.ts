// The page every webview of the extension starts from: a strict Content Security Policy (no
// remote resources, no inline script or style, scripts only with this page's nonce), the
// view's stylesheet and script from the extension's own dist/webview/, and an empty root that
// the script fills. Pure (no `vscode`), so tests can read what a page allows.

import { randomBytes } from 'node:crypto';

export interface WebviewPage {
  title: string;
  /** `webview.cspSource`: the origin the webview serves the extension's local files from. */
  cspSource: string;
  /** A fresh value per page load (makeNonce). */
  nonce: string;
  /** Webview URIs (`webview.asWebviewUri`) of the scripts and stylesheets, in order. */
  scripts: string[];
  styles: string[];
}

/** 128 bits from the OS's CSPRNG, base64: unguessable by anything the page might load. */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
    `style-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function webviewHtml(page: WebviewPage): string {
  const csp = escapeHtml(contentSecurityPolicy(page.cspSource, page.nonce));
  const nonce = escapeHtml(page.nonce);
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="UTF-8">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
    ...page.styles.map((s) => `<link rel="stylesheet" href="${escapeHtml(s)}">`),
    `<title>${escapeHtml(page.title)}</title>`,
    '</head>',
    '<body>',
    '<main id="root"></main>',
    ...page.scripts.map((s) => `<script nonce="${nonce}" src="${escapeHtml(s)}"></script>`),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
