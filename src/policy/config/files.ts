// Files a rules file names: resolved against the rules file's directory and checked at load, so a
// bad path fails `check-config` instead of the first connection.
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

export function resolveFrom(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/** Undefined when `path` is a readable regular file, else why not (without file contents). */
export function unreadableReason(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return `${path} is not a regular file`;
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (err) {
    return describeFsError(path, err);
  }
}

export type FileText = { ok: true; text: string } | { ok: false; message: string };

export function readTextFile(path: string): FileText {
  const reason = unreadableReason(path);
  if (reason) return { ok: false, message: reason };
  try {
    return { ok: true, text: readFileSync(path, 'utf8') };
  } catch (err) {
    return { ok: false, message: describeFsError(path, err) };
  }
}

/** A password file's content without its trailing line break(s). */
export function readSecretFile(path: string): FileText {
  const read = readTextFile(path);
  return read.ok ? { ok: true, text: read.text.replace(/[\r\n]+$/, '') } : read;
}

export function describeFsError(path: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return `${path} does not exist`;
  if (code === 'EACCES' || code === 'EPERM') return `${path} is not readable (permission denied)`;
  if (code === 'EISDIR') return `${path} is a directory`;
  return `${path} cannot be read (${code ?? (err instanceof Error ? err.message : String(err))})`;
}
