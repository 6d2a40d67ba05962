// Which ftpython sessions are stopped right now, from the adapter's own messages (a debug
// adapter tracker): a `stopped` event stops one, a continue/step of every thread or a
// `continued` event for all of them lets it go. The Parallel views refresh on each change. A
// `stopped` event the adapter sends only to move VS Code's focus (`ftpyFocus`) changes nothing.

import * as vscode from 'vscode';
import { DEBUG_TYPE } from '../../debug-adapter/core/contributions';

interface DapMessage {
  type?: string;
  event?: string;
  command?: string;
  body?: Record<string, unknown>;
  arguments?: Record<string, unknown>;
}

const RESUMING = new Set(['continue', 'next', 'stepIn', 'stepOut']);

export class StoppedSessions implements vscode.Disposable {
  private readonly stopped = new Set<string>();
  private readonly changes = new vscode.EventEmitter<vscode.DebugSession>();
  private readonly deadlocks = new vscode.EventEmitter<vscode.DebugSession>();
  /** A session stopped, went on, or ended. */
  readonly onDidChange = this.changes.event;
  /** The runtime reported a deadlock (`ftpython.deadlock`). */
  readonly onDeadlock = this.deadlocks.event;
  private readonly disposables: vscode.Disposable[] = [this.changes, this.deadlocks];

  constructor() {
    this.disposables.push(
      vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, {
        createDebugAdapterTracker: (session) => ({
          onDidSendMessage: (m: DapMessage) => this.fromAdapter(session, m),
          onWillReceiveMessage: (m: DapMessage) => {
            if (m.type === 'request' && RESUMING.has(m.command ?? '') && !m.arguments?.singleThread) this.set(session, false);
          },
          onExit: () => this.set(session, false),
        }),
      }),
      vscode.debug.onDidTerminateDebugSession((s) => this.set(s, false)),
    );
  }

  private fromAdapter(session: vscode.DebugSession, m: DapMessage): void {
    if (m.type !== 'event') return;
    if (m.event === 'stopped' && !m.body?.ftpyFocus) this.set(session, true, true);
    else if (m.event === 'continued' && m.body?.allThreadsContinued !== false) this.set(session, false);
    else if (m.event === 'continued' || (m.event === 'thread' && m.body?.reason === 'started' && this.isStopped(session))) {
      this.changes.fire(session); // one thread runs now (or a thread's state changed): the views refresh
    } else if (m.event === 'ftpython.deadlock') this.deadlocks.fire(session);
  }

  private set(session: vscode.DebugSession, stopped: boolean, always = false): void {
    const was = this.stopped.has(session.id);
    if (stopped) this.stopped.add(session.id);
    else this.stopped.delete(session.id);
    if (always || was !== stopped) this.changes.fire(session);
  }

  isStopped(session: vscode.DebugSession | undefined): boolean {
    return session !== undefined && this.stopped.has(session.id);
  }

  /** The session the views show: the active one, if it is ours. */
  active(): vscode.DebugSession | undefined {
    const s = vscode.debug.activeDebugSession;
    return s?.type === DEBUG_TYPE ? s : undefined;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
