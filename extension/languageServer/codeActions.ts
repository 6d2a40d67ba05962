// The quick fixes for a race diagnostic, in whatever form the client takes them: "Suppress with
// `# ftpy: ignore-race`" (an edit), "Go to the other access" (a client command, or the server's
// own through `window/showDocument`), and "Show race" (only for a client that implements it,
// as the VS Code extension does with its two-column view). Pure: the server supplies the report
// and the line's text.

import { type CodeAction, CodeActionKind, type Command, type Diagnostic, type TextEdit } from 'vscode-languageserver';
import type { RaceReport } from '../raceReport';
import type { ClientFeatures } from './clientFeatures';
import { fileUri } from './raceDiagnostics';
import { IGNORE_COMMENT, OpenLocationCommand, ServerShowLocationCommand, ServerSuppressCommand, ShowRaceCommand } from './protocol';

export const SUPPRESS_TITLE = `Suppress with \`${IGNORE_COMMENT}\``;
export const GO_TO_OTHER_TITLE = 'Go to the other access';
export const SHOW_RACE_TITLE = 'Show race';

/** The edit that appends the ignore comment to a (zero-based) line; undefined when it has one already. */
export function suppressEdit(lineText: string | undefined, line: number): TextEdit | undefined {
  if (lineText === undefined || lineText.includes(IGNORE_COMMENT)) return undefined;
  const end = lineText.trimEnd().length;
  return { range: { start: { line, character: end }, end: { line, character: lineText.length } }, newText: `  ${IGNORE_COMMENT}` };
}

/** The server commands this client may be sent (advertised in `executeCommandProvider`). */
export function serverCommands(f: ClientFeatures): string[] {
  const out: string[] = [];
  if (f.codeActions === 'none') return out;
  if (f.codeActions === 'command' && f.applyEdit) out.push(ServerSuppressCommand);
  if (!f.clientCommands.has(OpenLocationCommand) && f.showDocument) out.push(ServerShowLocationCommand);
  return out;
}

export interface RaceActionInput {
  /** The document's URI as the client spelled it. */
  uri: string;
  diagnostic: Diagnostic;
  /** The text of the diagnostic's line, if known. */
  lineText: string | undefined;
  /** The report behind the diagnostic, if the server still has it. */
  report: RaceReport | undefined;
}

export function raceCodeActions(input: RaceActionInput, f: ClientFeatures): (CodeAction | Command)[] {
  if (f.codeActions === 'none') return [];
  const { uri, diagnostic, report } = input;
  const line = diagnostic.range.start.line;
  const out: (CodeAction | Command)[] = [];
  const command = (title: string, c: Command) =>
    f.codeActions === 'literal' ? { title, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], command: c } : c;

  const edit = suppressEdit(input.lineText, line);
  if (edit) {
    if (f.codeActions === 'literal') {
      out.push({ title: SUPPRESS_TITLE, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], edit: { changes: { [uri]: [edit] } } });
    } else if (f.applyEdit) {
      out.push({ title: SUPPRESS_TITLE, command: ServerSuppressCommand, arguments: [uri, line] });
    }
  }
  if (!report) return out;

  const prev = report.previous.stack[0];
  const target = [fileUri(prev.file), prev.line - 1];
  if (f.clientCommands.has(OpenLocationCommand)) {
    out.push(command(GO_TO_OTHER_TITLE, { title: GO_TO_OTHER_TITLE, command: OpenLocationCommand, arguments: target }));
  } else if (f.showDocument) {
    out.push(command(GO_TO_OTHER_TITLE, { title: GO_TO_OTHER_TITLE, command: ServerShowLocationCommand, arguments: target }));
  }
  if (f.clientCommands.has(ShowRaceCommand)) {
    out.push(command(SHOW_RACE_TITLE, { title: SHOW_RACE_TITLE, command: ShowRaceCommand, arguments: [report] }));
  }
  return out;
}
