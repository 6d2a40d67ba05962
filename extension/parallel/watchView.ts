// The Parallel Watch view (Run and Debug side bar): each expression evaluated in the top user
// frame (or a chosen depth) of every thread, a table thread -> value, refreshed on every stop.
// Expressions come from the view's own input, the "Parallel Watch" command, and "Add to Parallel
// Watch" on a variable. Each row's thread can be opened (selected) at the evaluated frame.

import type * as vscode from 'vscode';
import { WebviewHost } from '../webview/host';
import { type FromWatchView, type ToWatchView, type WatchEntry, isFromWatchView } from './messages';
import type { ParallelEvaluation } from './model';
import { openThreadFrame } from './navigate';
import type { StoppedSessions } from './sessions';

export const PARALLEL_WATCH_VIEW = 'ftpy.parallelWatch';
const STATE_KEY = 'ftpy.parallelWatch.expressions';

export class ParallelWatchView implements vscode.WebviewViewProvider, vscode.Disposable {
  private host: WebviewHost<ToWatchView, FromWatchView> | undefined;
  private entries: WatchEntry[];
  private generation = 0;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly sessions: StoppedSessions,
    private readonly log: (m: string) => void,
  ) {
    const saved = context.workspaceState.get<{ expression: string; depth: number | null }[]>(STATE_KEY) ?? [];
    this.entries = saved
      .filter((e) => typeof e?.expression === 'string')
      .map((e) => ({ expression: e.expression, depth: e.depth ?? null }));
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    const host = WebviewHost.forView<ToWatchView, FromWatchView>(view, {
      extensionUri: this.context.extensionUri,
      view: 'parallelWatch',
      title: 'Parallel Watch',
      isMessage: isFromWatchView,
      log: this.log,
    });
    host.onMessage((m) => {
      if (m.type === 'add') void this.add(m.expression, m.depth);
      else if (m.type === 'remove') this.remove(m.index);
      else void openThreadFrame(this.sessions.active(), m.threadId, m.path, m.line);
    });
    view.onDidDispose(() => {
      host.dispose();
      if (this.host === host) this.host = undefined;
    });
    this.host = host;
    void this.refresh();
  }

  async add(expression: string, depth: number | null = null): Promise<void> {
    const text = expression.trim();
    if (!text) return;
    if (!this.entries.some((e) => e.expression === text && e.depth === depth)) this.entries.push({ expression: text, depth });
    this.save();
    await this.refresh();
  }

  private remove(index: number): void {
    this.entries.splice(index, 1);
    this.save();
    void this.refresh();
  }

  private save(): void {
    void this.context.workspaceState.update(
      STATE_KEY,
      this.entries.map((e) => ({ expression: e.expression, depth: e.depth })),
    );
  }

  async refresh(): Promise<void> {
    const gen = ++this.generation;
    const session = this.sessions.active();
    let note = '';
    const entries: WatchEntry[] = this.entries.map((e) => ({ expression: e.expression, depth: e.depth }));
    if (!entries.length) note = 'Add an expression: it is evaluated in every thread.';
    else if (!session) note = 'Start a Free-Threaded Python session.';
    else if (!this.sessions.isStopped(session)) note = 'The program is running: the values show when it stops.';
    else {
      // One after the other: each request already uses every parked thread at once.
      for (const e of entries) {
        try {
          e.evaluation = (await session.customRequest('ftpython/parallelEvaluate', {
            expression: e.expression,
            ...(e.depth !== null ? { depth: e.depth } : {}),
          })) as ParallelEvaluation;
        } catch (err) {
          e.error = (err as Error).message;
        }
      }
    }
    if (gen !== this.generation) return;
    this.host?.show({ type: 'watch', entries, note });
  }

  dispose(): void {
    this.host?.dispose();
  }
}
