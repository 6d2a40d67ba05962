// Starts the race language server (dist/languageServer.js, over IPC) and gives the rest of the
// extension typed ways to feed it.

import * as vscode from 'vscode';
import { LanguageClient, type LanguageClientOptions, type ServerOptions, TransportKind } from 'vscode-languageclient/node';
import type { RaceReport } from './raceReport';
import { ClearNotification, GilNotification, type GilParams, RaceFilesNotification, RaceNotification } from './languageServer/protocol';

export const RACE_FILE_GLOB = '**/*.race.json';

export class RaceDiagnosticsClient implements vscode.Disposable {
  private readonly client: LanguageClient;
  private readonly watcher: vscode.FileSystemWatcher;

  constructor(context: vscode.ExtensionContext) {
    const module = context.asAbsolutePath('dist/languageServer.js');
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
    };
    this.watcher = vscode.workspace.createFileSystemWatcher(RACE_FILE_GLOB);
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: 'file', language: 'python' }],
      synchronize: { fileEvents: this.watcher },
      outputChannelName: 'Free-Threaded Python Diagnostics',
    };
    this.client = new LanguageClient('ftpyRaces', 'Free-Threaded Python Races', serverOptions, clientOptions);
  }

  async start(): Promise<void> {
    await this.client.start();
    const files = await vscode.workspace.findFiles(RACE_FILE_GLOB, '**/node_modules/**', 200);
    if (files.length) await this.client.sendNotification(RaceFilesNotification, { uris: files.map((u) => u.toString()) });
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

  dispose(): void {
    this.watcher.dispose();
    void this.client.stop();
  }
}
