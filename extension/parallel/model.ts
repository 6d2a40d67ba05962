// What the runtime answers for Parallel Stacks (`ftpython/threadStacks`), Parallel Watch
// (`ftpython/parallelEvaluate`) and the Locks request (`ftpython/locks`), and the wait-for graph
// made from the last. Pure (no `vscode`, no DOM): the extension and the pages both import it.

export interface StackFrameInfo {
  name: string;
  /** Absolute path; absent for code without a file (`<string>`, frozen modules). */
  path?: string;
  file: string;
  line: number;
  /** Is this the user's code (not the standard library or site-packages, with justMyCode)? */
  user: boolean;
}

export type ThreadStateName = 'stopped' | 'frozen' | 'native' | 'not started' | 'running';

export interface ThreadInfo {
  id: number;
  name: string;
  label: string;
  state: ThreadStateName;
  frozen: boolean;
  current: boolean;
}

export interface StackGroup {
  /** Innermost first. */
  frames: StackFrameInfo[];
  threadIds: number[];
}

export interface StackNode {
  /** This node's run of frames, outermost first. */
  frames: StackFrameInfo[];
  threadIds: number[];
  /** Threads whose stack ends in this node (the others go on into `children`). */
  endsHere: number[];
  children: StackNode[];
}

export interface ThreadStacks {
  threads: ThreadInfo[];
  currentThreadId: number | null;
  groups: StackGroup[];
  tree: StackNode[];
  text: string;
}

export interface WatchRow {
  threadId: number;
  name: string;
  frame?: StackFrameInfo & { depth: number; id: number };
  result?: string;
  type?: string;
  variablesReference?: number;
  error?: string;
}

export interface ParallelEvaluation {
  expression: string;
  rows: WatchRow[];
}

// -- The wait-for graph ---------------------------------------------------------------------

export interface LockRef {
  id: string;
  type: string;
  locked?: boolean;
  created?: { file?: string; line?: number };
}
export interface ThreadRef {
  id: number;
  name: string;
}
export interface LocksReport {
  installed: boolean;
  held: { lock: LockRef; owner: ThreadRef | null; count: number }[];
  waiting: { thread: ThreadRef; kind: string; lock?: LockRef; owner?: ThreadRef | null; condition?: string }[];
  deadlocks: { kind: string; threads: { id: number; name: string; waiting_for: LockRef }[]; locks: LockRef[] }[];
  reason?: string;
}

export interface GraphNode {
  id: string;
  kind: 'thread' | 'lock';
  label: string;
  detail: string;
  inCycle: boolean;
}
export interface GraphEdge {
  from: string;
  to: string;
  /** "holds": lock -> thread (the thread holds the lock); "waits for": thread -> lock. */
  kind: 'holds' | 'waits for';
  inCycle: boolean;
}
export interface WaitForGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  deadlocked: boolean;
  /** One line a person reads first ("Deadlock: first and second wait for each other's locks"). */
  summary: string;
  note?: string;
}

const threadNode = (id: number): string => `thread:${id}`;
const lockNode = (id: string): string => `lock:${id}`;

function baseName(file: string | undefined): string {
  return (file ?? '?').split(/[\\/]/).pop() ?? '?';
}

/**
 * Threads and locks as nodes; "holds" edges from each held lock to its owner and "waits for"
 * edges from each waiting thread to its lock. Every edge of a deadlock cycle, and its nodes, is
 * marked `inCycle`.
 */
export function waitForGraph(report: LocksReport): WaitForGraph {
  const nodes = new Map<string, GraphNode>();
  const edges: GraphEdge[] = [];
  const addThread = (t: ThreadRef): string => {
    const id = threadNode(t.id);
    if (!nodes.has(id)) nodes.set(id, { id, kind: 'thread', label: t.name, detail: `thread ${t.name} (ident ${t.id})`, inCycle: false });
    return id;
  };
  const addLock = (l: LockRef): string => {
    const id = lockNode(l.id);
    if (!nodes.has(id)) {
      const where = l.created ? `${baseName(l.created.file)}:${l.created.line ?? 0}` : '';
      nodes.set(id, {
        id,
        kind: 'lock',
        label: `${l.type} ${where}`.trim(),
        detail: `${l.type} ${l.id}${where ? ` made at ${where}` : ''}`,
        inCycle: false,
      });
    }
    return id;
  };
  for (const h of report.held ?? []) {
    const lock = addLock(h.lock);
    if (h.owner) edges.push({ from: lock, to: addThread(h.owner), kind: 'holds', inCycle: false });
  }
  for (const w of report.waiting ?? []) {
    if (w.kind !== 'lock' || !w.lock) continue;
    edges.push({ from: addThread(w.thread), to: addLock(w.lock), kind: 'waits for', inCycle: false });
  }
  const cycleThreads = new Set<string>();
  const cycleLocks = new Set<string>();
  for (const d of report.deadlocks ?? []) {
    for (const t of d.threads) {
      cycleThreads.add(threadNode(t.id));
      cycleLocks.add(lockNode(t.waiting_for.id));
    }
  }
  for (const e of edges) {
    e.inCycle =
      e.kind === 'waits for' ? cycleThreads.has(e.from) && cycleLocks.has(e.to) : cycleLocks.has(e.from) && cycleThreads.has(e.to);
  }
  for (const n of nodes.values()) n.inCycle = cycleThreads.has(n.id) || cycleLocks.has(n.id);
  const deadlocks = report.deadlocks ?? [];
  let summary: string;
  if (deadlocks.length) {
    summary = deadlocks
      .map((d) => {
        const who = d.threads.map((t) => t.name);
        return d.kind === 'double-lock'
          ? `Deadlock: ${who[0]} waits for a lock it holds itself`
          : `Deadlock: ${who.join(', ')} wait for each other's locks`;
      })
      .join('; ');
  } else if (edges.length) summary = 'No deadlock: every waiting thread waits for a lock whose owner can go on.';
  else summary = 'No thread holds or waits for a tracked lock.';
  // Locks made on the same line (a list of forks) would look alike: add the end of their ids.
  const locks = [...nodes.values()].filter((n) => n.kind === 'lock');
  const alike = new Map<string, number>();
  for (const n of locks) alike.set(n.label, (alike.get(n.label) ?? 0) + 1);
  for (const n of locks) if ((alike.get(n.label) ?? 0) > 1) n.label = `${n.label} (…${n.id.slice(-4)})`;
  return {
    nodes: [...nodes.values()],
    edges,
    deadlocked: deadlocks.length > 0,
    summary,
    note: report.installed ? undefined : report.reason,
  };
}

/**
 * The DAP thread id in the argument VS Code passes to a Call Stack context-menu command: for a
 * thread row, the thread's DAP id itself (`getContextForContributedActions`); from other callers
 * `{ threadId }`, a number or an id such as "thread:SESSION:3".
 */
export function threadIdOf(arg: unknown): number | undefined {
  if (typeof arg === 'number' && Number.isInteger(arg)) return arg;
  if (typeof arg !== 'object' || arg === null) return undefined;
  const v = (arg as { threadId?: unknown }).threadId;
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string') {
    const m = /(\d+)$/.exec(v);
    if (m) return Number(m[1]);
  }
  return undefined;
}
