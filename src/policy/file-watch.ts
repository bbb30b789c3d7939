// Tells when a file may have changed, debounced. Watches the file and its directory: editors and
// config managers often replace a file by renaming a new one over it (vim, sed -i, Kubernetes
// ConfigMap `..data` swaps), which leaves a watch on the old file blind; the directory sees it.
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export interface FileWatch {
  close(): void;
}

export function watchFileChanges(
  path: string,
  onChange: () => void,
  options: { debounceMs: number; onError: (err: Error) => void },
): FileWatch {
  const name = basename(path);
  let timer: NodeJS.Timeout | undefined;
  let fileWatcher: FSWatcher | undefined;
  let closed = false;

  const changed = (): void => {
    if (closed) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, options.debounceMs);
    timer.unref();
  };

  // After a rename the watch follows the old inode: watch the path afresh (when it exists again).
  const watchFile = (): void => {
    fileWatcher?.close();
    fileWatcher = undefined;
    if (closed) return;
    try {
      fileWatcher = watch(path, { persistent: false }, (event) => {
        changed();
        if (event === 'rename') watchFile();
      });
      fileWatcher.on('error', () => watchFile());
    } catch {
      // Missing for a moment mid-replace: the directory watch re-arms it when the file is back.
    }
  };

  const dirWatcher = watch(dirname(path), { persistent: false }, (event, filename) => {
    // No name (some platforms), this file, or a `..`-prefixed entry (atomic symlink swaps).
    const ours = filename === null || filename === name || filename.startsWith('..');
    if (!ours) return;
    if (event === 'rename') watchFile();
    changed();
  });
  dirWatcher.on('error', options.onError);
  watchFile();

  return {
    close(): void {
      closed = true;
      clearTimeout(timer);
      fileWatcher?.close();
      dirWatcher.close();
    },
  };
}
