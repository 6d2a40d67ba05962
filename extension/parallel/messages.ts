// The messages between the Parallel Stacks, Parallel Watch and wait-for graph pages and the
// extension, both ways, with their guards. Imported by the extension and by webview/views/.

import { isRecord } from '../webview/messages';
import type { ParallelEvaluation, ThreadStacks, WaitForGraph } from './model';

/** Host -> Parallel Stacks: what to show (`stacks` null: nothing is stopped, `note` says why). */
export interface ShowStacksMessage {
  type: 'stacks';
  stacks: ThreadStacks | null;
  note: string;
}
export type ToStacksView = ShowStacksMessage;

/** Parallel Stacks -> host: open (and select) a thread's frame; print the text form. */
export type FromStacksView = { type: 'openFrame'; threadId: number; path: string; line: number; depth: number } | { type: 'printText' };

export function isToStacksView(v: unknown): v is ToStacksView {
  return isRecord(v) && v.type === 'stacks' && typeof v.note === 'string' && (v.stacks === null || isRecord(v.stacks));
}

export function isFromStacksView(v: unknown): v is FromStacksView {
  if (!isRecord(v)) return false;
  if (v.type === 'printText') return true;
  return (
    v.type === 'openFrame' &&
    typeof v.threadId === 'number' &&
    typeof v.path === 'string' &&
    v.path.length < 4096 &&
    typeof v.line === 'number' &&
    typeof v.depth === 'number'
  );
}

/** One watched expression and what it gave (`error`: the whole request failed). */
export interface WatchEntry {
  expression: string;
  depth: number | null;
  evaluation?: ParallelEvaluation;
  error?: string;
}

/** Host -> Parallel Watch: the expressions and their rows (`note`: why there are none). */
export interface ShowWatchMessage {
  type: 'watch';
  entries: WatchEntry[];
  note: string;
}
export type ToWatchView = ShowWatchMessage;

export type FromWatchView =
  | { type: 'add'; expression: string; depth: number | null }
  | { type: 'remove'; index: number }
  | { type: 'openFrame'; threadId: number; path: string; line: number };

export function isToWatchView(v: unknown): v is ToWatchView {
  return isRecord(v) && v.type === 'watch' && Array.isArray(v.entries) && typeof v.note === 'string';
}

export function isFromWatchView(v: unknown): v is FromWatchView {
  if (!isRecord(v)) return false;
  if (v.type === 'add')
    return typeof v.expression === 'string' && v.expression.length < 4096 && (v.depth === null || typeof v.depth === 'number');
  if (v.type === 'remove') return typeof v.index === 'number';
  return v.type === 'openFrame' && typeof v.threadId === 'number' && typeof v.path === 'string' && typeof v.line === 'number';
}

/** Host -> wait-for graph page. */
export interface ShowGraphMessage {
  type: 'graph';
  graph: WaitForGraph;
}
export type ToGraphView = ShowGraphMessage;
export type FromGraphView = { type: 'refresh' };

export function isToGraphView(v: unknown): v is ToGraphView {
  return isRecord(v) && v.type === 'graph' && isRecord(v.graph) && Array.isArray(v.graph.nodes);
}

export function isFromGraphView(v: unknown): v is FromGraphView {
  return isRecord(v) && v.type === 'refresh';
}
