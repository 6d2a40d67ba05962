// "Provision CPython 3.13t": builds the project's free-threaded interpreter with a progress
// notification that names each phase, and a Cancel button that kills the whole build.

import * as vscode from 'vscode';
import { provision, ProvisionError } from '../debug-adapter/core/provision';

function fmt(sec: number): string {
  const s = Math.floor(sec);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** Resolves to the interpreter's path, or undefined when cancelled or failed (the user was told). */
export async function provisionWithProgress(): Promise<string | undefined> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Provisioning CPython 3.13t', cancellable: true },
    async (progress, token) => {
      const ac = new AbortController();
      const sub = token.onCancellationRequested(() => ac.abort());
      progress.report({ message: 'starting (about 5–10 minutes)' });
      let lastPhase = '';
      try {
        const path = await provision({
          signal: ac.signal,
          onProgress: (p) => {
            progress.report({ message: `${p.phase} (${fmt(p.elapsedSec)})` });
            lastPhase = p.phase;
          },
        });
        void vscode.window.showInformationMessage(`Free-threaded CPython is ready: ${path}`);
        return path;
      } catch (e) {
        if (ac.signal.aborted) {
          void vscode.window.showInformationMessage('Provisioning CPython 3.13t was cancelled; nothing was installed.');
        } else {
          const why = e instanceof ProvisionError ? e.message.split('\n')[0] : String(e);
          void vscode.window.showErrorMessage(
            `Provisioning CPython 3.13t failed${lastPhase ? ` while ${lastPhase}` : ''}: ${why}. Run \`ftpy provision\` in a terminal to see the full log.`,
          );
        }
        return undefined;
      } finally {
        sub.dispose();
      }
    },
  );
}
