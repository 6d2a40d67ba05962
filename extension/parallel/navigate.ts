// Opening a thread's frame from the Parallel views: VS Code's focus moves to the thread (the
// adapter's `ftpython/focusThread`: no extension API sets the active stack item, vscode#281784),
// then the editor opens at the frame's line, beside the views.

import * as vscode from 'vscode';

function waitForFocus(threadId: number, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    const sub = vscode.debug.onDidChangeActiveStackItem((item) => {
      if (item && item.threadId === threadId) done();
    });
    function done(): void {
      clearTimeout(timer);
      sub.dispose();
      resolve();
    }
  });
}

export async function openThreadFrame(
  session: vscode.DebugSession | undefined,
  threadId: number,
  path: string,
  line: number,
): Promise<void> {
  if (session) {
    const item = vscode.debug.activeStackItem;
    if (!item || item.session.id !== session.id || item.threadId !== threadId) {
      const focused = waitForFocus(threadId, 1500);
      try {
        await session.customRequest('ftpython/focusThread', { threadId });
        await focused; // VS Code opens the thread's top frame first; the chosen frame then wins
      } catch {
        /* an older adapter: just open the editor */
      }
    }
  }
  try {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(path));
    const l = doc.lineAt(Math.min(Math.max(line, 1), doc.lineCount) - 1);
    const start = l.range.start.with({ character: l.firstNonWhitespaceCharacterIndex });
    await vscode.window.showTextDocument(doc, { selection: new vscode.Range(start, l.range.end), preserveFocus: false });
  } catch (e) {
    void vscode.window.showErrorMessage(`Cannot open ${path}:${line}: ${(e as Error).message}`);
  }
}
