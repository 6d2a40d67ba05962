// Finds the `ftpy race --json` result files (`*.race.json`) under the workspace folders, and
// watches for new, changed and deleted ones when the client cannot watch files for the server
// (Neovim before 0.9, for one). The server does this itself so that any LSP client gets the
// diagnostics of a CI or terminal run, not only VS Code.

import { type Dirent, type FSWatcher, existsSync, watch } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

export const RACE_FILE_SUFFIX = '.race.json';
/** The pattern a client is asked to watch (`workspace/didChangeWatchedFiles`). */
export const RACE_FILE_GLOB = '**/*.race.json';

/** Folders never searched: dependencies and caches (every dot-folder is skipped too: .git, .venv, .tox…). */
const SKIPPED = new Set(['node_modules', '__pycache__', 'site-packages', 'venv']);

export interface ScanLimits {
  maxFiles: number;
  maxDirs: number;
  /** false: the roots only, not their subfolders. */
  recursive: boolean;
}

/** Enough for a real project; a home folder opened as the workspace stops early, and says so. */
export const DEFAULT_LIMITS: ScanLimits = { maxFiles: 200, maxDirs: 20_000, recursive: true };

export interface ScanResult {
  files: string[];
  /** The folders searched that hold result files, and the roots: the ones worth watching. */
  watchDirs: string[];
  /** Why the scan stopped early, if it did. */
  truncated?: string;
}

/** Breadth-first over each root, without following links to folders. */
export async function findRaceFiles(roots: string[], limits: ScanLimits = DEFAULT_LIMITS): Promise<ScanResult> {
  const files: string[] = [];
  const watchDirs = new Set<string>(roots);
  const queue = [...roots];
  let dirs = 0;
  while (queue.length) {
    if (dirs >= limits.maxDirs) {
      return {
        files,
        watchDirs: [...watchDirs],
        truncated: `stopped looking for *${RACE_FILE_SUFFIX} files after ${dirs} folders; open a narrower workspace folder`,
      };
    }
    const dir = queue.shift() as string;
    dirs++;
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      continue; // unreadable or gone: nothing to report from it
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (limits.recursive && !e.name.startsWith('.') && !SKIPPED.has(e.name)) queue.push(p);
      } else if (e.name.endsWith(RACE_FILE_SUFFIX) && (e.isFile() || e.isSymbolicLink())) {
        files.push(p);
        watchDirs.add(dir);
        if (files.length >= limits.maxFiles) {
          return { files, watchDirs: [...watchDirs], truncated: `read the first ${files.length} *${RACE_FILE_SUFFIX} files only` };
        }
      }
    }
  }
  return { files, watchDirs: [...watchDirs] };
}

/**
 * Watches folders (not their subfolders: one inotify watch each) for result files appearing,
 * changing or going away. A file is reported once its writes have paused for `settleMs`, so a
 * report written in several chunks is read whole.
 */
export class RaceFileWatcher {
  static readonly MAX_DIRS = 64;
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly pending = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly onChange: (path: string, exists: boolean) => void,
    private readonly onProblem: (message: string) => void,
    private readonly settleMs = 100,
  ) {}

  watch(dir: string): void {
    if (this.watchers.has(dir)) return;
    if (this.watchers.size >= RaceFileWatcher.MAX_DIRS) {
      this.onProblem(`not watching ${dir} for *${RACE_FILE_SUFFIX} files: already watching ${RaceFileWatcher.MAX_DIRS} folders.`);
      return;
    }
    try {
      // persistent: false, so that the watchers never keep the server alive after `exit`.
      const w = watch(dir, { persistent: false }, (_event, name) => {
        if (typeof name === 'string' && name.endsWith(RACE_FILE_SUFFIX)) this.changed(join(dir, name));
      });
      w.on('error', () => this.unwatch(dir));
      this.watchers.set(dir, w);
    } catch (e) {
      this.onProblem(
        `cannot watch ${dir} for *${RACE_FILE_SUFFIX} files (${(e as Error).message}); restart the server to pick up new ones.`,
      );
    }
  }

  unwatch(dir: string): void {
    this.watchers.get(dir)?.close();
    this.watchers.delete(dir);
  }

  private changed(path: string): void {
    clearTimeout(this.pending.get(path));
    this.pending.set(
      path,
      setTimeout(() => {
        this.pending.delete(path);
        this.onChange(path, existsSync(path));
      }, this.settleMs),
    );
  }

  dispose(): void {
    for (const t of this.pending.values()) clearTimeout(t);
    this.pending.clear();
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }
}
