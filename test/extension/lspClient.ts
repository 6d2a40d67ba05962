// A bare LSP client for the race language server's tests: vscode-jsonrpc over the server's
// stdio and nothing from vscode-languageclient, so the tests see exactly what any editor's
// client would. It records what the server publishes, logs and asks, and answers the server's
// requests as a test tells it to.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createMessageConnection, type MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';

export interface ServerRequest {
  method: string;
  params: unknown;
}

export class LspTestClient {
  readonly published: PublishDiagnosticsParams[] = [];
  readonly logs: { type: number; message: string }[] = [];
  readonly requests: ServerRequest[] = [];
  readonly exited: Promise<number | null>;
  readonly conn: MessageConnection;
  private stderr = '';

  private constructor(
    readonly child: ChildProcess,
    answers: Record<string, (params: unknown) => unknown>,
  ) {
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.exited = new Promise((res) => child.on('exit', (code) => res(code)));
    this.conn = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    this.conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => this.published.push(p));
    this.conn.onNotification('window/logMessage', (p: { type: number; message: string }) => this.logs.push(p));
    for (const [method, answer] of Object.entries(answers)) {
      this.conn.onRequest(method, (params: unknown) => {
        this.requests.push({ method, params });
        return answer(params);
      });
    }
    this.conn.listen();
  }

  /** Starts `node <server> ...args` in `cwd`; `answers` are its replies to the server's requests, by method. */
  static start(server: string, args: string[], cwd: string, answers: Record<string, (params: unknown) => unknown> = {}): LspTestClient {
    const child = spawn(process.execPath, [server, ...args], {
      cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NODE_PATH: '' },
    });
    return new LspTestClient(child, answers);
  }

  request<T>(method: string, params?: unknown): Promise<T> {
    return this.conn.sendRequest(method, params) as Promise<T>;
  }

  notify(method: string, params?: unknown): Promise<void> {
    return this.conn.sendNotification(method, params);
  }

  /** Waits for diagnostics published for `uri` (after the `since`-th publication) that satisfy `pred`. */
  async diagnostics(uri: string, pred: (d: Diagnostic[]) => boolean, since = 0): Promise<Diagnostic[]> {
    return this.until(`diagnostics for ${uri}`, () => {
      for (let i = since; i < this.published.length; i++) {
        const p = this.published[i];
        if (p.uri === uri && pred(p.diagnostics)) return p.diagnostics;
      }
      return undefined;
    });
  }

  /** The latest diagnostics published for `uri`, or undefined if none were. */
  latest(uri: string): Diagnostic[] | undefined {
    return this.published.filter((p) => p.uri === uri).pop()?.diagnostics;
  }

  /**
   * Polls `probe` until it returns something. The limit is only there to turn a hang into a
   * failure with a message; nothing is timed.
   */
  async until<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = probe();
      if (v !== undefined) return v;
      if (Date.now() > deadline) {
        assert.fail(
          `no ${what} within ${timeoutMs / 1000} s; published: ${JSON.stringify(this.published)}; logs: ${JSON.stringify(this.logs)}; stderr: ${this.stderr}`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** `shutdown` then `exit`, as the spec orders; resolves to the server's exit code. */
  async shutdown(): Promise<{ result: unknown; code: number | null }> {
    const result = await this.request('shutdown');
    await this.notify('exit');
    const code = await this.exited;
    this.conn.dispose();
    return { result, code };
  }

  kill(): void {
    this.conn.dispose();
    if (this.child.exitCode === null) this.child.kill();
  }
}
