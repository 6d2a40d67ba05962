// What the connected LSP client can do, read once from its `initialize` request, so that the
// server uses standard LSP for any client (Neovim, Helix, Emacs, VS Code) and only what each
// client advertised: related information, diagnostic data, code action literals or plain
// commands, `workspace/applyEdit`, `window/showDocument`, watched files, workspace folders.

import type { InitializeParams } from 'vscode-languageserver';
import { fileURLToPath } from 'node:url';
import { CLIENT_COMMANDS, type ClientCommand } from './protocol';

export interface ClientFeatures {
  /** `DiagnosticRelatedInformation` is shown; otherwise the message carries the locations. */
  relatedInformation: boolean;
  /** `Diagnostic.data` comes back in code action requests. */
  diagnosticData: boolean;
  /** How code actions are returned: `CodeAction` literals, bare `Command`s, or not at all. */
  codeActions: 'literal' | 'command' | 'none';
  /** The server may ask the client to apply an edit (`workspace/applyEdit`). */
  applyEdit: boolean;
  /** The server may ask the client to open a file at a line (`window/showDocument`). */
  showDocument: boolean;
  /** The client watches files for the server when asked (`client/registerCapability`). */
  watchedFilesRegistration: boolean;
  /** The client tells the server when workspace folders come and go. */
  workspaceFolderChanges: boolean;
  /** The client-side commands it named in `initializationOptions.clientCommands`. */
  clientCommands: Set<ClientCommand>;
  /** Local folders to look for `*.race.json` in: the workspace folders, else the root. */
  roots: string[];
  /** Initialization option problems, to log (the options are otherwise ignored). */
  warnings: string[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function clientCommands(options: unknown, warnings: string[]): Set<ClientCommand> {
  const out = new Set<ClientCommand>();
  if (options === undefined || options === null) return out;
  if (!isObject(options)) {
    warnings.push('initializationOptions is not an object; ignored.');
    return out;
  }
  const list = options.clientCommands;
  if (list === undefined) return out;
  if (!Array.isArray(list)) {
    warnings.push('initializationOptions.clientCommands is not an array of command names; ignored.');
    return out;
  }
  for (const c of list) {
    if ((CLIENT_COMMANDS as readonly unknown[]).includes(c)) out.add(c as ClientCommand);
    else
      warnings.push(`initializationOptions.clientCommands: unknown command ${JSON.stringify(c)} (known: ${CLIENT_COMMANDS.join(', ')}).`);
  }
  return out;
}

/** The local folder of a `file:` URI; undefined for other schemes (nothing to scan on disk). */
export function folderPath(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}

function roots(params: InitializeParams): string[] {
  const folders = (params.workspaceFolders ?? []).map((f) => folderPath(f.uri)).filter((p): p is string => p !== undefined);
  if (folders.length) return folders;
  const root = params.rootUri ? folderPath(params.rootUri) : undefined;
  if (root) return [root];
  // rootPath is deprecated in favour of rootUri, but old clients still send only it.
  if (params.rootPath) return [params.rootPath];
  return [];
}

export function clientFeatures(params: InitializeParams): ClientFeatures {
  const caps = params.capabilities ?? {};
  const td = caps.textDocument;
  const ws = caps.workspace;
  const warnings: string[] = [];
  const codeAction = td?.codeAction;
  return {
    relatedInformation: td?.publishDiagnostics?.relatedInformation === true,
    diagnosticData: td?.publishDiagnostics?.dataSupport === true,
    codeActions: codeAction === undefined ? 'none' : codeAction.codeActionLiteralSupport ? 'literal' : 'command',
    applyEdit: ws?.applyEdit === true,
    showDocument: caps.window?.showDocument?.support === true,
    watchedFilesRegistration: ws?.didChangeWatchedFiles?.dynamicRegistration === true,
    workspaceFolderChanges: ws?.workspaceFolders === true,
    clientCommands: clientCommands(params.initializationOptions, warnings),
    roots: roots(params),
    warnings,
  };
}
