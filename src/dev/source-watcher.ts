/**
 * Watches what a rebuild depends on: the crate's `src/` (recursively), and `Cargo.toml` and
 * `template.yaml` beside it. The files are watched through their directories, not one by one:
 * editors save by writing a new file and renaming it over the old, which ends a watch on the
 * old file. Bursts of events (a save is several) become one call, after a quiet spell.
 */
import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';

/** Files in the project's directory whose change means a rebuild (Cargo.lock is written by cargo itself). */
const WATCHED_FILES = new Set(['Cargo.toml', 'template.yaml']);

/** Editors' own files: swap files, backups, vim's write test (4913). */
function isEditorScratch(name: string): boolean {
  const base = name.split(/[\\/]/).at(-1) ?? name;
  return /(^\.#|^#.*#$|~$|\.sw[a-p]$|^4913$|\.tmp$)/.test(base);
}

export interface SourceWatcher {
  close(): void;
}

/**
 * Calls `onChange` with the files that changed (relative to `dir`), `quietMs` after the last of a
 * burst of changes. `onProblem` hears of a directory that cannot be watched.
 */
export function watchSources(
  dir: string,
  onChange: (files: string[]) => void,
  options: { quietMs: number; onProblem: (message: string) => void },
): SourceWatcher {
  const changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const note = (file: string) => {
    if (isEditorScratch(file)) return;
    changed.add(file);
    clearTimeout(timer);
    timer = setTimeout(() => {
      const files = [...changed].sort();
      changed.clear();
      onChange(files);
    }, options.quietMs);
  };
  const watchers: FSWatcher[] = [];
  const add = (path: string, recursive: boolean, listener: (name: string) => void) => {
    try {
      const watcher = watch(path, { recursive }, (_event, name) => name !== null && listener(name.toString()));
      watcher.on('error', (error) => options.onProblem(`cannot watch ${path} any longer: ${error.message}`));
      watchers.push(watcher);
    } catch (error) {
      options.onProblem(`cannot watch ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  };
  add(dir, false, (name) => WATCHED_FILES.has(name) && note(name));
  add(join(dir, 'src'), true, (name) => note(join('src', name)));
  return {
    close() {
      clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
    },
  };
}
