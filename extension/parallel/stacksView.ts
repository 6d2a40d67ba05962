// The Parallel Stacks view (Run and Debug side bar): every thread's stack merged by common
// prefix, from one `ftpython/threadStacks` request per stop. Clicking a frame selects its thread
// and opens the editor there; the title's action prints the grouped stacks to the Debug Console.

import * as vscode from 'vscode';
import { WebviewHost } from '../webview/host';
import { type FromStacksView, type ToStacksView, isFromStacksView } from './messages';
import type { ThreadStacks } from './model';
import { openThreadFrame } from './navigate';
import type { StoppedSessions } from './sessions';

export const PARALLEL_STACKS_VIEW = 'ftpy.parallelStacks';

export class ParallelStacksView implements vscode.WebviewViewProvider, vscode.Disposable {
  private host: WebviewHost<ToStacksView, FromStacksView> | undefined;
  private last: ThreadStacks | null = null;
  private generation = 0;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly sessions: StoppedSessions,
    private readonly log: (m: string) => void,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    const host = WebviewHost.forView<ToStacksView, FromStacksView>(view, {
      extensionUri: this.extensionUri,
      view: 'parallelStacks',
      title: 'Parallel Stacks',
      isMessage: isFromStacksView,
      log: this.log,
    });
    host.onMessage((m) => {
      if (m.type === 'printText') this.printText();
      else void openThreadFrame(this.sessions.active(), m.threadId, m.path, m.line);
    });
    view.onDidDispose(() => {
      host.dispose();
      if (this.host === host) this.host = undefined;
    });
    this.host = host;
    void this.refresh();
  }

  async refresh(): Promise<void> {
    const gen = ++this.generation;
    const session = this.sessions.active();
    let stacks: ThreadStacks | null = null;
    let note = '';
    if (!session) note = 'Start a Free-Threaded Python session to see every thread’s stack here.';
    else if (!this.sessions.isStopped(session)) note = 'The program is running: pause it or stop at a breakpoint.';
    else {
      try {
        stacks = (await session.customRequest('ftpython/threadStacks', {})) as ThreadStacks;
      } catch (e) {
        note = `No stacks: ${(e as Error).message}`;
      }
    }
    if (gen !== this.generation) return; // a newer refresh is under way
    this.last = stacks;
    this.host?.show({ type: 'stacks', stacks, note });
  }

  /** The grouped stacks as text in the Debug Console (as `!threads` there prints them). */
  printText(): void {
    if (this.last) vscode.debug.activeDebugConsole.appendLine(this.last.text);
    else void vscode.window.showInformationMessage('Parallel Stacks: nothing is stopped.');
  }

  dispose(): void {
    this.host?.dispose();
  }
}
