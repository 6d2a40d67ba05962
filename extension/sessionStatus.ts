// The status bar item for the current (or last) Free-Threaded Python session: whether the GIL
// is on, and how many races the detector reported.

import * as vscode from 'vscode';

export interface GilState {
  enabled: boolean;
  /** True once the runtime said so (an `ftpython.gil` event); false while it is only expected. */
  confirmed: boolean;
  module?: string;
}

export class SessionStatus implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private gil: GilState | undefined;
  private races = 0;
  private running = false;
  /** The session shown. Its custom events can arrive before VS Code reports it started. */
  private sessionId: string | undefined;

  constructor() {
    this.item = vscode.window.createStatusBarItem('ftpy.session', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'Free-Threaded Python';
    this.item.command = 'ftpy.showRaces';
  }

  /** Makes `sessionId` the session shown, starting from zero races and an unknown GIL. */
  private follow(sessionId: string): void {
    if (this.sessionId === sessionId) return;
    this.sessionId = sessionId;
    this.running = true;
    this.races = 0;
    this.gil = undefined;
  }

  sessionStarted(sessionId: string, expectedGil: boolean | undefined): void {
    this.follow(sessionId);
    if (!this.gil?.confirmed) this.gil = expectedGil === undefined ? undefined : { enabled: expectedGil, confirmed: false };
    this.render();
  }

  sessionEnded(sessionId: string): void {
    if (sessionId !== this.sessionId) return;
    this.running = false;
    this.render();
  }

  setGil(sessionId: string, state: GilState): void {
    this.follow(sessionId);
    this.gil = state;
    this.render();
  }

  /** Counts one race for `sessionId`; returns the session's count. */
  addRace(sessionId: string): number {
    this.follow(sessionId);
    this.races += 1;
    this.render();
    return this.races;
  }

  clearRaces(): void {
    this.races = 0;
    this.render();
  }

  private render(): void {
    const gil = this.gil === undefined ? 'GIL: ?' : `GIL: ${this.gil.enabled ? 'on' : 'off'}${this.gil.confirmed ? '' : ' (expected)'}`;
    const races = `${this.races} race${this.races === 1 ? '' : 's'}`;
    this.item.text = `${this.gil?.enabled ? '$(lock)' : '$(pulse)'} ${gil}  ${this.races ? '$(warning)' : '$(check)'} ${races}`;
    const lines = [
      this.running ? 'Free-Threaded Python session' : 'Last Free-Threaded Python session (ended)',
      this.gil === undefined
        ? 'GIL state not known yet'
        : this.gil.enabled
          ? `The GIL is ON${this.gil.module ? ` (re-enabled by importing ${this.gil.module})` : ''}: threads do not run Python in parallel.`
          : 'The GIL is off: threads run Python in parallel.',
      this.gil && !this.gil.confirmed ? '(expected from the interpreter and launch settings; not yet reported by the runtime)' : '',
      `${races} reported. Click to show the race reports.`,
    ];
    this.item.tooltip = lines.filter(Boolean).join('\n');
    this.item.accessibilityInformation = { label: `Free-Threaded Python: ${gil}, ${races}`, role: 'button' };
    this.item.backgroundColor = this.races || this.gil?.enabled ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
