// "Free-Threaded Python: Show Race" (ftpy.showRace): the race view for a report handed over by
// the diagnostic's quick fix, or, from the command palette, for the race under the cursor (asked
// of the language server, which holds the reports of debug sessions and of *.race.json files).

import * as vscode from 'vscode';
import type { RaceDiagnosticsClient } from '../raceClient';
import { type RaceReport, RaceReportError, locationLabel, parseRaceReport, threadLabel } from '../raceReport';
import { ShowRaceCommand } from '../languageServer/protocol';
import { RaceViewPanel } from './panel';

async function raceAtCursor(races: RaceDiagnosticsClient): Promise<RaceReport | undefined> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage('Show Race: open the Python file with the race warning and put the cursor on its line.');
    return undefined;
  }
  const line = editor.selection.active.line;
  const found = await races.racesAt(editor.document.uri, line);
  if (found.length === 0) {
    void vscode.window.showInformationMessage(
      `No race is reported at line ${line + 1} of ${vscode.workspace.asRelativePath(editor.document.uri, false)}. ` +
        'Races come from the "Free-Threaded Python: Find Races" configuration or from `ftpy race --json FILE.race.json` results in the workspace.',
    );
    return undefined;
  }
  if (found.length === 1) return found[0];
  const pick = await vscode.window.showQuickPick(
    found.map((r) => ({
      label: `Race on ${locationLabel(r)}`,
      description: `${r.current.access} by ${threadLabel(r.current.thread)}, previous ${r.previous.access} by ${threadLabel(r.previous.thread)}`,
      report: r,
    })),
    { placeHolder: `${found.length} races involve this line` },
  );
  return pick?.report;
}

export function registerRaceView(context: vscode.ExtensionContext, races: RaceDiagnosticsClient, log: (message: string) => void): void {
  const panel = new RaceViewPanel(context.extensionUri, log);
  context.subscriptions.push(
    panel,
    vscode.commands.registerCommand(ShowRaceCommand, async (arg?: unknown) => {
      let report: RaceReport | undefined;
      // No argument (palette, keybinding) or an editor's URI (menus): the race under the cursor.
      if (arg === undefined || arg instanceof vscode.Uri) report = await raceAtCursor(races);
      else {
        try {
          report = parseRaceReport(arg);
        } catch (e) {
          const why = e instanceof RaceReportError ? e.message : String(e);
          void vscode.window.showErrorMessage(`Show Race: the argument is not a race report (${why}).`);
          return;
        }
      }
      if (report) panel.show(report);
    }),
  );
}
