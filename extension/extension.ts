// The Free-Threaded Python Debugger extension: wires the `ftpython` debugger (configuration
// provider and the inline adapter), interpreter selection and provisioning, and the race and
// GIL views (Output channel, status bar, diagnostics through the race language server).

import * as vscode from 'vscode';
import { FtpySession } from '../debug-adapter/ftpySession';
import { DEBUG_TYPE } from '../debug-adapter/core/contributions';
import { EXPECTED_GIL, FtpyAdapterFactory, FtpyConfigurationProvider } from './debugConfiguration';
import { selectInterpreter } from './interpreterChoice';
import { provisionWithProgress } from './provisioning';
import { registerParallelTools } from './parallel';
import { registerRaceView } from './raceView/showRace';
import { RaceDiagnosticsClient } from './raceClient';
import { RaceReportError, parseRaceReport } from './raceReport';
import { SessionStatus } from './sessionStatus';
import { OpenLocationCommand, sentence } from './languageServer/protocol';

export const RACE_CHANNEL = 'Free-Threaded Races';

interface GilEventBody {
  enabled: boolean;
  module?: string;
  file?: string;
  line?: number;
  reason?: string;
}

function isGilEventBody(v: unknown): v is GilEventBody {
  return typeof v === 'object' && v !== null && typeof (v as { enabled?: unknown }).enabled === 'boolean';
}

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel(RACE_CHANNEL, 'ftpy-race');
  const status = new SessionStatus();
  const races = new RaceDiagnosticsClient(context);
  context.subscriptions.push(output, status, races);
  races.start().catch((e: unknown) => output.appendLine(`The race diagnostics server did not start: ${(e as Error).message}`));
  registerRaceView(context, races, (m) => output.appendLine(m));
  registerParallelTools(context, (m) => output.appendLine(m));

  const offerProvision = async (message: string): Promise<void> => {
    const provisionItem = 'Provision CPython 3.13t';
    const selectItem = 'Select Interpreter';
    const choice = await vscode.window.showErrorMessage(message, provisionItem, selectItem);
    if (choice === provisionItem) await vscode.commands.executeCommand('ftpy.provision');
    else if (choice === selectItem) await vscode.commands.executeCommand('ftpy.selectInterpreter');
  };

  context.subscriptions.push(
    vscode.debug.registerDebugConfigurationProvider(
      DEBUG_TYPE,
      new FtpyConfigurationProvider(context.extensionPath, (m) => void offerProvision(m)),
    ),
    vscode.debug.registerDebugConfigurationProvider(
      DEBUG_TYPE,
      {
        provideDebugConfigurations: () =>
          new FtpyConfigurationProvider(context.extensionPath, () => undefined).provideDebugConfigurations(),
      },
      vscode.DebugConfigurationProviderTriggerKind.Dynamic,
    ),
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, new FtpyAdapterFactory(() => new FtpySession())),
  );

  context.subscriptions.push(
    vscode.commands.registerCommand('ftpy.selectInterpreter', async () => {
      if ((await selectInterpreter(context.extensionPath)) === 'provision') await vscode.commands.executeCommand('ftpy.provision');
    }),
    vscode.commands.registerCommand('ftpy.provision', () => provisionWithProgress()),
    vscode.commands.registerCommand('ftpy.clearRaces', () => {
      races.clear();
      output.clear();
      status.clearRaces();
    }),
    vscode.commands.registerCommand('ftpy.showRaces', () => output.show(true)),
    vscode.commands.registerCommand(OpenLocationCommand, async (uri: string, line: number) => {
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(uri));
      const pos = new vscode.Position(Math.max(0, line), 0);
      await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos) });
    }),
  );

  // Session state: status bar, race reports, GIL changes.
  context.subscriptions.push(
    vscode.debug.onDidStartDebugSession((s) => {
      if (s.type !== DEBUG_TYPE) return;
      const expected = s.configuration[EXPECTED_GIL];
      status.sessionStarted(s.id, typeof expected === 'boolean' ? expected : undefined);
    }),
    vscode.debug.onDidTerminateDebugSession((s) => {
      if (s.type === DEBUG_TYPE) status.sessionEnded(s.id);
    }),
    vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
      if (e.session.type !== DEBUG_TYPE) return;
      if (e.event === 'ftpython.race') {
        let report: ReturnType<typeof parseRaceReport>;
        try {
          report = parseRaceReport(e.body);
        } catch (err) {
          output.appendLine(`(an ftpython.race event could not be read: ${err instanceof RaceReportError ? err.message : String(err)})`);
          return;
        }
        // The runtime renders the report (one renderer for the CLI and the editor); a runtime that
        // sent none still gets the race into Problems, and a line here that says where it is.
        const top = report.current.stack[0];
        output.append(report.text ?? `DATA RACE at ${top.file}:${top.line} in ${top.function} (the runtime sent no report text)\n`);
        if (status.addRace(e.session.id) === 1) output.show(true);
        races.race(`session:${e.session.id}`, report);
      } else if (e.event === 'ftpython.gil' && isGilEventBody(e.body)) {
        const b = e.body;
        status.setGil(e.session.id, { enabled: b.enabled, confirmed: true, module: b.module });
        races.gil({
          source: `session:${e.session.id}`,
          enabled: b.enabled,
          module: b.module,
          file: b.file,
          line: b.line,
          reason: b.reason ?? '',
        });
        if (b.enabled && b.module) void warnGilReenabled(b);
      }
    }),
  );
}

async function warnGilReenabled(b: GilEventBody): Promise<void> {
  const site = b.file ? ` at ${b.file}${b.line ? `:${b.line}` : ''}` : '';
  const open = 'Open Import Site';
  const choice = await vscode.window.showWarningMessage(
    `The GIL was re-enabled by importing \`${b.module}\`${site}: threads no longer run Python in parallel. ${sentence(b.reason)}`.trim(),
    ...(b.file ? [open] : []),
  );
  if (choice === open && b.file) {
    const pos = new vscode.Position(Math.max(0, (b.line ?? 1) - 1), 0);
    await vscode.window.showTextDocument(vscode.Uri.file(b.file), { selection: new vscode.Range(pos, pos) });
  }
}

export function deactivate(): void {
  /* subscriptions are disposed by VS Code */
}
