// The lock wait-for graph: threads and tracked locks as nodes, "holds" and "waits for" edges, a
// deadlock's cycle in red. An editor-area panel, from `ftpython/locks` while stopped; offered
// when the runtime reports a deadlock, and by the "Show Lock Wait-For Graph" command.

import * as vscode from 'vscode';
import { WebviewHost } from '../webview/host';
import { type FromGraphView, type ToGraphView, isFromGraphView } from './messages';
import { type LocksReport, waitForGraph } from './model';
import type { StoppedSessions } from './sessions';

export const WAIT_FOR_VIEW_TYPE = 'ftpy.waitForGraph';

export class WaitForGraphPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private host: WebviewHost<ToGraphView, FromGraphView> | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly sessions: StoppedSessions,
    private readonly log: (m: string) => void,
  ) {}

  async show(): Promise<void> {
    const session = this.sessions.active();
    if (!session || !this.sessions.isStopped(session)) {
      void vscode.window.showInformationMessage('Lock Wait-For Graph: pause the Free-Threaded Python program first.');
      return;
    }
    if (!this.panel) {
      const panel = vscode.window.createWebviewPanel(WAIT_FOR_VIEW_TYPE, 'Lock Wait-For Graph', {
        viewColumn: vscode.ViewColumn.Beside,
        preserveFocus: false,
      });
      const host = WebviewHost.forPanel<ToGraphView, FromGraphView>(panel, {
        extensionUri: this.extensionUri,
        view: 'waitForGraph',
        title: 'Lock Wait-For Graph',
        isMessage: isFromGraphView,
        log: this.log,
      });
      host.onMessage(() => void this.refresh());
      panel.onDidDispose(() => {
        host.dispose();
        this.panel = undefined;
        this.host = undefined;
      });
      this.panel = panel;
      this.host = host;
    } else this.panel.reveal(undefined, false);
    await this.refresh();
  }

  /** Read the locks again (when the panel is open and the session is stopped). */
  async refresh(): Promise<void> {
    const session = this.sessions.active();
    if (!this.host || !session || !this.sessions.isStopped(session)) return;
    try {
      const report = (await session.customRequest('ftpython/locks', {})) as LocksReport;
      this.host.show({ type: 'graph', graph: waitForGraph(report) });
    } catch (e) {
      this.log(`wait-for graph: ${(e as Error).message}`);
    }
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
