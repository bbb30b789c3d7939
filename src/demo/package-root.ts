// Where sqlveil itself is installed: the demo's rules file and seed data ship with the package,
// so they are found from this module, never from the caller's working directory.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Walks up from `from` (this module by default) to the directory whose package.json is sqlveil's. */
export function packageRoot(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  while (true) {
    if (isSqlveilPackage(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the sqlveil package above ${fileURLToPath(from)}`);
    dir = parent;
  }
}

function isSqlveilPackage(path: string): boolean {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown }).name === 'sqlveil';
  } catch {
    return false;
  }
}
