/**
 * Every launch and attach attribute, declared once: its type, default, description, and
 * whether it is forwarded to the runtime.
 *
 * Everything else follows from this list:
 * - package.json's `configurationAttributes` (the schema VS Code validates launch.json with) and
 *   the README's attribute table are generated from it by `node scripts/generate-contributions.mjs`,
 *   and `test/unit/launchAttributes.test.ts` fails when either has drifted;
 * - launchConfig.ts checks a launch or attach request against it, and warns about any other
 *   attribute;
 * - the attributes marked `runtime: true` make up the options object the runtime receives in
 *   its `initialize` request (`RuntimeOptions` in ../protocol.ts).
 *
 * So adding an attribute is: declare it here, run the generator, and use it — in the adapter
 * (launchConfig.ts's result has it, typed) or in the runtime (it arrives in the options).
 */

/** How an attribute's value is written in launch.json. */
export type AttributeType =
  | 'boolean'
  | 'string'
  /** one of `values` */
  | 'enum'
  /** a list of strings */
  | 'string[]'
  /** an object of strings, where null removes a variable */
  | 'env'
  /** a positive whole number */
  | 'count'
  /** `{ "host": "127.0.0.1", "port": 5678 }` */
  | 'address';

export interface Attribute {
  type: AttributeType;
  /** For `enum`: the accepted values. */
  values?: readonly string[];
  /** For the user: what it does (package.json's description, the README's "meaning"). */
  description: string;
  /** The value used when the attribute is absent. */
  default?: unknown;
  /** The README's word for a default that is worked out rather than fixed. */
  docDefault?: string;
  /** What the editor proposes when the attribute is added, where that is not the default. */
  suggest?: unknown;
  /** How a right value looks, for the error message about a wrong one ("a list of strings, like …"). */
  expect?: string;
  /** Forwarded to the runtime, in the `initialize` request's options (RuntimeOptions). */
  runtime?: true;
}

/** One attribute of both requests: the same declaration serves launch and attach. */
const justMyCode = {
  type: 'boolean',
  default: true,
  description: 'Stop and step only in your own code, not in the standard library or site-packages.',
  runtime: true,
} as const satisfies Attribute;

export const LAUNCH_ATTRIBUTES = {
  program: {
    type: 'string',
    description: 'The Python script to debug: an absolute path, or one relative to `cwd`. Give this or `module`.',
    suggest: '${file}',
    runtime: true,
  },
  module: {
    type: 'string',
    description: 'A module to run as `python -m` runs it, instead of `program`.',
    runtime: true,
  },
  args: {
    type: 'string[]',
    default: [],
    description: 'Command-line arguments for the program.',
    expect: 'a list of strings, like ["--verbose", "input.txt"]',
    runtime: true,
  },
  cwd: {
    type: 'string',
    description: 'Working directory of the program.',
    docDefault: "the program's folder",
    suggest: '${workspaceFolder}',
    runtime: true,
  },
  env: {
    type: 'env',
    default: {},
    description: 'Extra environment variables for the program (null removes one).',
  },
  python: {
    type: 'string',
    description:
      'The free-threaded interpreter to run the program with (python3.13t/python3.14t); a GIL build is refused with a message naming it and the fix. ' +
      'Defaults to the `ftpy.pythonPath` setting, then discovery (`ftpy doctor` lists what is found).',
    docDefault: 'discovery',
  },
  stopOnEntry: {
    type: 'boolean',
    default: false,
    description: "Stop at the program's first line.",
    runtime: true,
  },
  justMyCode,
  console: {
    type: 'enum',
    values: ['internalConsole', 'integratedTerminal'],
    default: 'internalConsole',
    description: 'Where the program runs: `internalConsole` (its output in the Debug Console) or `integratedTerminal`.',
  },
  gil: {
    type: 'enum',
    values: ['off', 'on', 'default'],
    default: 'default',
    description: "Force the GIL off (PYTHON_GIL=0) or on (PYTHON_GIL=1), or leave the interpreter's default.",
  },
  races: {
    type: 'boolean',
    default: false,
    description:
      'Run the ThreadSanitizer-style race detector: each race becomes a warning at the racy line, with a report in the "Free-Threaded Races" output channel.',
    runtime: true,
  },
  raceSuppressions: {
    type: 'string',
    description: 'A race suppressions file (`race:PATTERN` / `race_top:PATTERN` lines), relative to `cwd`.',
    runtime: true,
  },
  trackLocks: {
    type: 'boolean',
    default: true,
    description:
      'Name the holders of threading.Lock/RLock in the Locks view, and report deadlocks. ' +
      'A Lock stays the plain C lock (its holder is read at stops from the `with` blocks and `acquire()` calls of the stopped threads), an RLock records its owner in C: no cost per acquire. false gives the program the plain C RLock too. Always off with `races`.',
    runtime: true,
  },
  subProcess: {
    type: 'boolean',
    default: true,
    description:
      "Debug the program's child Python processes too (multiprocessing, ProcessPoolExecutor, subprocess running Python, os.fork): " +
      'each becomes a child session with its own threads. Children that are not Python, or whose Python cannot load the runtime, run undebugged, with a note.',
  },
} as const satisfies Record<string, Attribute>;

export const ATTACH_ATTRIBUTES = {
  connect: {
    type: 'address',
    description:
      'A runtime started with `python3.13t -m ftpy_runtime --listen PORT program.py`, on this machine: `{"host": "127.0.0.1", "port": PORT}`.',
  },
  pid: {
    type: 'count',
    description: "A running process to attach to by its id (needs Python 3.14's sys.remote_exec; on 3.13, use `--listen` and `connect`).",
    expect: 'a process id (a positive number)',
  },
  secret: {
    type: 'string',
    description: "The runtime's session secret; read from the runtime's per-user secret file when omitted.",
  },
  justMyCode,
} as const satisfies Record<string, Attribute>;

/**
 * Attributes accepted without a warning though nothing here uses them: other debuggers'
 * configurations carry `trace`, and an attach configuration copied from a launch one carries
 * `python` (an attached process already runs its interpreter).
 */
export const TOLERATED_ATTRIBUTES: Readonly<Record<'launch' | 'attach', readonly string[]>> = {
  launch: ['trace'],
  attach: ['trace', 'python'],
};

/** Attributes VS Code and other DAP clients add on their own, for any debugger. */
export const CLIENT_ATTRIBUTES: readonly string[] = [
  'type',
  'request',
  'name',
  'noDebug',
  'preLaunchTask',
  'postDebugTask',
  'internalConsoleOptions',
  'presentation',
  'debugServer',
  'windows',
  'linux',
  'osx',
  'serverReadyAction',
  'suppressMultipleSessionWarning',
];

// The types of the values, as launchConfig.ts hands them on.

/** The value an attribute declared as `A` has once checked. */
export type AttributeValue<A> = A extends { type: 'boolean' }
  ? boolean
  : A extends { type: 'enum'; values: readonly (infer V)[] }
    ? V
    : A extends { type: 'string' }
      ? string
      : A extends { type: 'string[]' }
        ? string[]
        : A extends { type: 'env' }
          ? Record<string, string | null>
          : A extends { type: 'count' }
            ? number
            : A extends { type: 'address' }
              ? { host: string; port: number }
              : never;

/** Checked values: an attribute with a default always has a value; the others may be absent. */
export type AttributeValues<T> = {
  -readonly [K in keyof T as T[K] extends { default: unknown } ? K : never]: AttributeValue<T[K]>;
} & {
  -readonly [K in keyof T as T[K] extends { default: unknown } ? never : K]?: AttributeValue<T[K]>;
};

export type LaunchAttributes = typeof LAUNCH_ATTRIBUTES;
export type AttachAttributes = typeof ATTACH_ATTRIBUTES;

/** The launch attributes the runtime receives. */
export type RuntimeOptionName = {
  [K in keyof LaunchAttributes]: LaunchAttributes[K] extends { runtime: true } ? K : never;
}[keyof LaunchAttributes];

/** Names of the attributes marked `runtime: true`, in declaration order. */
export function runtimeOptionNames(attributes: Readonly<Record<string, Attribute>>): string[] {
  return Object.entries(attributes)
    .filter(([, a]) => a.runtime)
    .map(([name]) => name);
}
