// Starts the race language server (dist/languageServer.js, over IPC) and gives the rest of the
// extension typed ways to feed it and ask it. The server finds and watches the workspace's
// `*.race.json` files itself (as it does for any LSP client); this client adds the live reports
// of debug sessions and the client-side commands behind "Go to the other access" and "Show race".

import type * as vscode from 'vscode';
import { LanguageClient, type LanguageClientOptions, type ServerOptions, TransportKind } from 'vscode-languageclient/node';
import type { RaceReport } from './raceReport';
import {
  ClearNotification,
  GilNotification,
  type GilParams,
  type InitializationOptions,
  OpenLocationCommand,
  RaceNotification,
  RacesAtRequest,
  type RacesAtParams,
  ShowRaceCommand,
} from './languageServer/protocol';

export class RaceDiagnosticsClient implements vscode.Disposable {
  private readonly client: LanguageClient;

  constructor(context: vscode.ExtensionContext) {
    const module = context.asAbsolutePath('dist/languageServer.js');
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
    };
    const initializationOptions: InitializationOptions = { clientCommands: [OpenLocationCommand, ShowRaceCommand] };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: 'file', language: 'python' }],
      initializationOptions,
      outputChannelName: 'Free-Threaded Python Diagnostics',
    };
    this.client = new LanguageClient('ftpyRaces', 'Free-Threaded Python Races', serverOptions, clientOptions);
  }

  async start(): Promise<void> {
    await this.client.start();
  }

  race(source: string, report: RaceReport): void {
    void this.client.sendNotification(RaceNotification, { source, report });
  }

  gil(params: GilParams): void {
    void this.client.sendNotification(GilNotification, params);
  }

  clear(): void {
    void this.client.sendNotification(ClearNotification);
  }

  /** The reports whose current (first) or previous access is at a zero-based line of a document. */
  async racesAt(uri: vscode.Uri, line: number): Promise<RaceReport[]> {
    if (!this.client.isRunning()) return [];
    const params: RacesAtParams = { uri: uri.toString(), line };
    return this.client.sendRequest<RaceReport[]>(RacesAtRequest, params);
  }

  dispose(): void {
    void this.client.stop();
  }
}
