// The "Show race" panel: one editor-area webview beside the code, reused for each race shown.
// It turns a report into the view's model (source excerpts from open documents, else from
// disk) and opens the editor at a frame when the page asks, in the column the code was in.

import * as vscode from 'vscode';
import { readFileSync } from 'node:fs';
import type { RaceReport } from '../raceReport';
import { WebviewHost } from '../webview/host';
import { type FromRaceView, type ToRaceView, isFromRaceView } from './messages';
import { type RaceViewModel, type SourceReader, frameTarget, raceViewModel } from './model';

export const RACE_VIEW_TYPE = 'ftpy.raceView';

function sourceReader(): SourceReader {
  const cache = new Map<string, string[] | undefined>();
  return {
    lines(file) {
      if (!cache.has(file)) {
        const doc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file);
        let lines: string[] | undefined;
        if (doc) lines = doc.getText().split(/\r?\n/);
        else {
          try {
            lines = readFileSync(file, 'utf8').split(/\r?\n/);
          } catch {
            lines = undefined;
          }
        }
        cache.set(file, lines);
      }
      return cache.get(file);
    },
    display: (file) => vscode.workspace.asRelativePath(file, false),
  };
}

export class RaceViewPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private host: WebviewHost<ToRaceView, FromRaceView> | undefined;
  private model: RaceViewModel | undefined;
  private codeColumn: vscode.ViewColumn = vscode.ViewColumn.One;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: (message: string) => void,
  ) {}

  show(report: RaceReport): void {
    const editor = vscode.window.activeTextEditor;
    if (editor?.viewColumn) this.codeColumn = editor.viewColumn;
    this.model = raceViewModel(report, sourceReader());
    if (!this.panel) {
      const panel = vscode.window.createWebviewPanel(
        RACE_VIEW_TYPE,
        this.model.title,
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false },
        { enableFindWidget: true },
      );
      const host = WebviewHost.forPanel<ToRaceView, FromRaceView>(panel, {
        extensionUri: this.extensionUri,
        view: 'raceView',
        title: 'Race',
        isMessage: isFromRaceView,
        log: this.log,
      });
      host.onMessage((m) => void this.openFrame(m.frameId));
      panel.onDidDispose(() => {
        host.dispose();
        this.panel = undefined;
        this.host = undefined;
      });
      this.panel = panel;
      this.host = host;
    } else {
      this.panel.reveal(undefined, false);
    }
    this.panel.title = this.model.title;
    this.host?.show({ type: 'race', race: this.model });
  }

  private async openFrame(id: string): Promise<void> {
    const target = this.model && frameTarget(this.model, id);
    if (!target) return;
    try {
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(target.file));
      const line = doc.lineAt(Math.min(Math.max(target.line, 1), doc.lineCount) - 1);
      const start = line.range.start.with({ character: line.firstNonWhitespaceCharacterIndex });
      // Not into the panel's own column: beside it, where the code is.
      const column = this.panel?.viewColumn === this.codeColumn ? vscode.ViewColumn.Beside : this.codeColumn;
      await vscode.window.showTextDocument(doc, { viewColumn: column, selection: new vscode.Range(start, line.range.end) });
    } catch (e) {
      void vscode.window.showErrorMessage(`Cannot open ${target.file}:${target.line}: ${(e as Error).message}`);
    }
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
