// Debug configurations for the `ftpython` type: F5 on a Python file with no launch.json debugs
// that file, and a launch without `python` gets the interpreter chosen by interpreterChoice.ts.

import * as vscode from 'vscode';
import { DEBUG_TYPE, INITIAL_CONFIGURATIONS } from '../debug-adapter/core/contributions';
import { FtpyError } from '../debug-adapter/core/errors';
import { type InterpreterInfo, inspectInterpreter } from '../debug-adapter/core/interpreters';
import { chooseInterpreter } from './interpreterChoice';

/** Attribute we add to a launch: the GIL state the interpreter and `gil` setting lead us to expect. */
export const EXPECTED_GIL = '__ftpyExpectedGil';

export function expectedGil(config: vscode.DebugConfiguration, info: InterpreterInfo | undefined): boolean | undefined {
  if (config.gil === 'on') return true;
  if (config.gil === 'off') return false;
  if (!info) return undefined;
  return info.freeThreaded ? (info.gilEnabled ?? false) : true;
}

export class FtpyConfigurationProvider implements vscode.DebugConfigurationProvider {
  constructor(
    private readonly extensionPath: string,
    private readonly onNoInterpreter: (message: string) => void,
  ) {}

  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    return INITIAL_CONFIGURATIONS.map((c) => ({ ...c }) as vscode.DebugConfiguration);
  }

  resolveDebugConfiguration(
    _folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): vscode.DebugConfiguration | undefined {
    // No launch.json (or an empty one): debug the Python file in the editor.
    if (!config.type && !config.request && !config.name) {
      const doc = vscode.window.activeTextEditor?.document;
      if (doc?.languageId !== 'python') {
        void vscode.window.showErrorMessage(
          'Free-Threaded Python: open a Python file to debug, or add a launch configuration of type "ftpython".',
        );
        return undefined;
      }
      config.type = DEBUG_TYPE;
      config.request = 'launch';
      config.name = 'Free-Threaded Python: Current File';
    }
    if (config.request === 'launch' && !config.program && !config.module) config.program = '${file}';
    return config;
  }

  async resolveDebugConfigurationWithSubstitutedVariables(
    folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): Promise<vscode.DebugConfiguration | undefined> {
    if (config.request !== 'launch') return config;
    if (typeof config.program === 'string' && !config.program.trim()) {
      void vscode.window.showErrorMessage(
        'Free-Threaded Python: `program` is empty. Open the Python file to debug (for ${file}), or set `program` in launch.json.',
      );
      return undefined;
    }
    let info: InterpreterInfo | undefined;
    if (!config.python) {
      try {
        const resource = typeof config.program === 'string' && config.program ? vscode.Uri.file(config.program) : folder?.uri;
        info = await chooseInterpreter(this.extensionPath, resource);
        config.python = info.path;
      } catch (e) {
        if (e instanceof FtpyError) {
          this.onNoInterpreter(e.message);
          return undefined;
        }
        throw e;
      }
    } else if (typeof config.python === 'string') {
      info = await inspectInterpreter(config.python).catch(() => undefined); // the adapter reports a bad one
    }
    config[EXPECTED_GIL] = expectedGil(config, info);
    return config;
  }
}

/** Runs the adapter in the extension host: no process to start, and it shares our runtime/ folder. */
export class FtpyAdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly makeSession: () => vscode.DebugAdapter) {}

  createDebugAdapterDescriptor(): vscode.DebugAdapterDescriptor {
    return new vscode.DebugAdapterInlineImplementation(this.makeSession());
  }
}
