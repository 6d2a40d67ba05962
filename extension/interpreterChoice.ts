// Which free-threaded interpreter a debug session uses, and the "Select Free-Threaded
// Interpreter" command. The order, first good one wins:
//
//   1. the `python` launch attribute (resolved by the adapter; not touched here);
//   2. the `ftpy.pythonPath` setting — an explicit choice, so a wrong one is an error;
//   3. the interpreter bundled in the platform-specific extension package (`python/bin`);
//   4. the Python extension's (ms-python.python) selected interpreter, if it is free-threaded;
//   5. discovery (debug-adapter/core/interpreters.ts: FTPY_PYTHON, PATH, uv, pyenv, the ftpy cache).

import * as vscode from 'vscode';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FtpyError } from '../debug-adapter/core/errors';
import { type InterpreterInfo, discoverAll, inspectInterpreter, resolveInterpreter } from '../debug-adapter/core/interpreters';

export const SETTING_SECTION = 'ftpy';
export const PYTHON_PATH_SETTING = 'pythonPath';

/** The interpreter shipped inside the extension (linux-x64 package only), if there is one. */
export function bundledInterpreterPath(extensionPath: string): string | undefined {
  const bin = join(extensionPath, 'python', 'bin');
  let names: string[];
  try {
    names = readdirSync(bin);
  } catch {
    return undefined;
  }
  const exe = names
    .filter((n) => /^python3\.\d+t$/.test(n))
    .sort()
    .pop();
  return exe && existsSync(join(bin, exe)) ? join(bin, exe) : undefined;
}

/** The part of the Python extension's API we use (its `environments` API). */
interface PythonExtensionApi {
  environments?: { getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } | undefined };
}

/** The Python extension's selected interpreter for `resource`, if that extension is installed. */
async function msPythonInterpreterPath(resource?: vscode.Uri): Promise<string | undefined> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!ext) return undefined;
  try {
    const api = ext.isActive ? ext.exports : await ext.activate();
    return api?.environments?.getActiveEnvironmentPath(resource)?.path || undefined;
  } catch {
    return undefined; // its API changed or it failed to start: not our error to show
  }
}

function settingPath(resource?: vscode.Uri): string | undefined {
  const v = vscode.workspace.getConfiguration(SETTING_SECTION, resource).get<string>(PYTHON_PATH_SETTING, '').trim();
  return v || undefined;
}

async function freeThreadedOrUndefined(path: string | undefined, source: string): Promise<InterpreterInfo | undefined> {
  if (!path) return undefined;
  try {
    const info = await inspectInterpreter(path, source);
    return info.freeThreaded ? info : undefined;
  } catch {
    return undefined;
  }
}

/** The interpreter for a launch, following the order above. Throws FtpyError when there is none. */
export async function chooseInterpreter(extensionPath: string, resource?: vscode.Uri): Promise<InterpreterInfo> {
  const configured = settingPath(resource);
  if (configured) {
    try {
      return await resolveInterpreter(configured);
    } catch (e) {
      if (e instanceof FtpyError)
        throw new FtpyError(`${e.message} (It is the \`ftpy.pythonPath\` setting; clear it to let the debugger find one.)`);
      throw e;
    }
  }
  return (
    (await freeThreadedOrUndefined(bundledInterpreterPath(extensionPath), 'bundled')) ??
    (await freeThreadedOrUndefined(await msPythonInterpreterPath(resource), 'ms-python')) ??
    (await resolveInterpreter())
  );
}

interface InterpreterPick extends vscode.QuickPickItem {
  action: 'use' | 'browse' | 'provision' | 'clear';
  path?: string;
}

/**
 * The "Select Free-Threaded Interpreter" command: lists every interpreter found, free-threaded
 * ones first, and stores the choice in `ftpy.pythonPath` (workspace if one is open).
 * Resolves to "provision" when the user asked to build one instead.
 */
export async function selectInterpreter(extensionPath: string): Promise<'provision' | undefined> {
  const found = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: 'Looking for Python interpreters' },
    async () => {
      const extra = [
        { path: bundledInterpreterPath(extensionPath), source: 'bundled with the extension' },
        { path: await msPythonInterpreterPath(), source: 'Python extension' },
      ];
      const list = await discoverAll();
      const infos: Array<InterpreterInfo | { path: string; source: string; error: string }> = [];
      for (const e of extra) {
        if (!e.path || list.some((l) => l.path === e.path)) continue;
        try {
          infos.push(await inspectInterpreter(e.path, e.source));
        } catch (err) {
          infos.push({ path: e.path, source: e.source, error: (err as Error).message });
        }
      }
      return [...infos, ...list];
    },
  );
  const current = settingPath();
  const items: InterpreterPick[] = [];
  const ok = found.filter((f): f is InterpreterInfo => !('error' in f));
  ok.sort((a, b) => Number(b.freeThreaded) - Number(a.freeThreaded));
  for (const f of ok) {
    items.push({
      action: 'use',
      path: f.path,
      label: `${f.freeThreaded ? '$(check)' : '$(lock)'} Python ${f.version}${f.freeThreaded ? ' (free-threaded)' : ' (GIL)'}`,
      description: f.path,
      detail: `${f.source}${f.freeThreaded ? (f.gilEnabled ? '; GIL on by default' : '; GIL off') : '; not free-threaded: cannot be used'}${f.path === current ? '; current' : ''}`,
    });
  }
  if (!ok.some((f) => f.freeThreaded)) {
    items.push({
      action: 'provision',
      label: '$(cloud-download) Provision CPython 3.13t',
      detail: 'Build a free-threaded CPython into ~/.cache/ftpy (about 5–10 minutes)',
    });
  }
  items.push({ action: 'browse', label: '$(folder) Enter interpreter path…' });
  if (current) items.push({ action: 'clear', label: '$(discard) Clear the setting (discover automatically)' });

  const pick = await vscode.window.showQuickPick(items, {
    title: 'Select Free-Threaded Interpreter',
    placeHolder: 'Python interpreter for Free-Threaded Python debugging',
    matchOnDescription: true,
  });
  if (!pick) return undefined;
  if (pick.action === 'provision') return 'provision';
  let path = pick.path;
  if (pick.action === 'clear') {
    await storeSetting(undefined);
    return undefined;
  }
  if (pick.action === 'browse') {
    const uris = await vscode.window.showOpenDialog({
      canSelectMany: false,
      title: 'Free-threaded Python interpreter (python3.13t)',
      openLabel: 'Use',
    });
    path = uris?.[0]?.fsPath;
    if (!path) return undefined;
  }
  if (!path) return undefined;
  try {
    const info = await resolveInterpreter(path);
    await storeSetting(info.path);
    void vscode.window.showInformationMessage(`Free-Threaded Python: using Python ${info.version} at ${info.path}.`);
  } catch (e) {
    void vscode.window.showErrorMessage((e as Error).message);
  }
  return undefined;
}

async function storeSetting(path: string | undefined): Promise<void> {
  const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration(SETTING_SECTION).update(PYTHON_PATH_SETTING, path, target);
}
