// The parallel tools of the Run and Debug side bar, in one place: Parallel Stacks, Parallel
// Watch, the per-thread Call Stack commands (Continue/Step Over This Thread Only, Freeze/Thaw)
// and the lock wait-for graph. extension.ts calls `registerParallelTools` once.

import * as vscode from 'vscode';
import { DEBUG_TYPE } from '../../debug-adapter/core/contributions';
import { threadIdOf } from './model';
import { StoppedSessions } from './sessions';
import { PARALLEL_STACKS_VIEW, ParallelStacksView } from './stacksView';
import { WaitForGraphPanel } from './waitForPanel';
import { PARALLEL_WATCH_VIEW, ParallelWatchView } from './watchView';

/** The session and thread a Call Stack context-menu command is for (else the focused thread). */
function target(arg: unknown): { session: vscode.DebugSession; threadId: number } | undefined {
  const item = vscode.debug.activeStackItem;
  const sessionId = typeof arg === 'object' && arg !== null ? (arg as { sessionId?: unknown }).sessionId : undefined;
  let session = vscode.debug.activeDebugSession;
  if (typeof sessionId === 'string' && item?.session.id === sessionId) session = item.session;
  const threadId = threadIdOf(arg) ?? item?.threadId;
  if (!session || session.type !== DEBUG_TYPE || threadId === undefined) {
    void vscode.window.showInformationMessage('Select a thread of a Free-Threaded Python session in the Call Stack first.');
    return undefined;
  }
  return { session, threadId };
}

async function request(arg: unknown, command: string, args: (threadId: number) => object): Promise<void> {
  const t = target(arg);
  if (!t) return;
  try {
    await t.session.customRequest(command, args(t.threadId));
  } catch (e) {
    void vscode.window.showErrorMessage((e as Error).message);
  }
}

/** The expression a Variables context-menu command was given: the variable's evaluateName, else its name. */
function variableExpression(arg: unknown): string | undefined {
  const v =
    typeof arg === 'object' && arg !== null ? (arg as { variable?: { evaluateName?: unknown; name?: unknown } }).variable : undefined;
  if (typeof v?.evaluateName === 'string' && v.evaluateName) return v.evaluateName;
  return typeof v?.name === 'string' ? v.name : undefined;
}

export function registerParallelTools(context: vscode.ExtensionContext, log: (m: string) => void): void {
  const sessions = new StoppedSessions();
  const stacks = new ParallelStacksView(context.extensionUri, sessions, log);
  const watch = new ParallelWatchView(context, sessions, log);
  const graph = new WaitForGraphPanel(context.extensionUri, sessions, log);
  const refresh = (): void => {
    void stacks.refresh();
    void watch.refresh();
    void graph.refresh();
  };
  context.subscriptions.push(
    sessions,
    stacks,
    watch,
    graph,
    vscode.window.registerWebviewViewProvider(PARALLEL_STACKS_VIEW, stacks),
    vscode.window.registerWebviewViewProvider(PARALLEL_WATCH_VIEW, watch),
    sessions.onDidChange(refresh),
    vscode.debug.onDidChangeActiveDebugSession(refresh),
    sessions.onDeadlock(async () => {
      const show = 'Show Wait-For Graph';
      if ((await vscode.window.showWarningMessage('Free-Threaded Python: the program is deadlocked on its locks.', show)) === show)
        await graph.show();
    }),
    vscode.commands.registerCommand('ftpy.parallelStacks.printText', () => stacks.printText()),
    vscode.commands.registerCommand('ftpy.parallelWatch', async (expression?: unknown) => {
      const text =
        typeof expression === 'string'
          ? expression
          : await vscode.window.showInputBox({
              title: 'Parallel Watch',
              prompt: 'An expression to evaluate in the top user frame of every thread',
              placeHolder: 'len(self.items)',
            });
      if (!text) return;
      await vscode.commands.executeCommand(`${PARALLEL_WATCH_VIEW}.focus`);
      await watch.add(text);
    }),
    vscode.commands.registerCommand('ftpy.addToParallelWatch', async (arg: unknown) => {
      const text = variableExpression(arg);
      if (!text) return;
      await vscode.commands.executeCommand(`${PARALLEL_WATCH_VIEW}.focus`);
      await watch.add(text);
    }),
    vscode.commands.registerCommand('ftpy.continueThisThread', (arg: unknown) =>
      request(arg, 'continue', (threadId) => ({ threadId, singleThread: true })),
    ),
    vscode.commands.registerCommand('ftpy.stepOverThisThread', (arg: unknown) =>
      request(arg, 'next', (threadId) => ({ threadId, singleThread: true })),
    ),
    vscode.commands.registerCommand('ftpy.freezeThread', (arg: unknown) =>
      request(arg, 'ftpython/freeze', (threadId) => ({ threadId, frozen: true })),
    ),
    vscode.commands.registerCommand('ftpy.thawThread', (arg: unknown) =>
      request(arg, 'ftpython/freeze', (threadId) => ({ threadId, frozen: false })),
    ),
    vscode.commands.registerCommand('ftpy.showWaitForGraph', () => graph.show()),
  );
}
