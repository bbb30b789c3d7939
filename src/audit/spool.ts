// The local spool: an append-only file of event lines, fsync'd before append() returns, read back
// in order while Kafka is back, and emptied once everything in it was sent. A small position file
// records how far it was sent, so a restarted gateway sends the rest first. Bounded by maxBytes.
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export type SpoolAppend = { ok: true } | { ok: false; reason: 'full' | 'error'; message: string };

export interface SpoolBatch {
  lines: string[];
  /** Position after the batch: pass it to commit() once the batch is safely sent. */
  next: number;
}

const DATA = 'spool.jsonl';
const POSITION = 'spool.pos';

export class AuditSpool {
  private fd: number | undefined;
  private size = 0;
  private position = 0;
  private lastError: string | undefined;

  constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {}

  /** Opens (creating) the spool; a torn last line from a crash is cut off. Throws when the directory is unusable. */
  open(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.fd = openSync(join(this.dir, DATA), 'a+', 0o600);
    this.size = fstatSync(this.fd).size;
    if (this.size > 0) {
      const tail = Buffer.alloc(Math.min(this.size, 64 * 1024));
      readSync(this.fd, tail, 0, tail.length, this.size - tail.length);
      const lastNewline = tail.lastIndexOf(0x0a);
      if (lastNewline !== tail.length - 1) {
        // Only whole lines count; a line longer than the tail window was torn as well.
        this.size = lastNewline < 0 ? Math.max(0, this.size - tail.length) : this.size - tail.length + lastNewline + 1;
        ftruncateSync(this.fd, this.size);
      }
    }
    const posFile = join(this.dir, POSITION);
    const saved = existsSync(posFile) ? Number(readFileSync(posFile, 'utf8').trim()) : 0;
    this.position = Number.isSafeInteger(saved) && saved >= 0 && saved <= this.size ? saved : 0;
  }

  get isOpen(): boolean {
    return this.fd !== undefined;
  }

  /** Bytes not yet sent. */
  get pendingBytes(): number {
    return this.size - this.position;
  }

  get error(): string | undefined {
    return this.lastError;
  }

  /** Appends whole lines and fsyncs them; refuses what would pass maxBytes. */
  append(lines: readonly string[]): SpoolAppend {
    if (lines.length === 0) return { ok: true };
    if (this.fd === undefined) return { ok: false, reason: 'error', message: this.lastError ?? 'spool is not open' };
    const data = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
    if (this.size + data.length > this.maxBytes) return { ok: false, reason: 'full', message: `spool full (${this.size} of ${this.maxBytes} bytes)` };
    try {
      let off = 0;
      while (off < data.length) off += writeSync(this.fd, data, off, data.length - off);
      fsyncSync(this.fd);
      this.size += data.length;
      this.lastError = undefined;
      return { ok: true };
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
      // A partial write leaves a torn line: cut back to the last whole one.
      try {
        ftruncateSync(this.fd, this.size);
      } catch {
        // the next open() cuts it
      }
      return { ok: false, reason: 'error', message: this.lastError };
    }
  }

  /** Up to maxLines whole lines from the send position, without moving it. */
  read(maxLines: number, maxBytes = 4 * 1024 * 1024): SpoolBatch {
    if (this.fd === undefined || this.position >= this.size) return { lines: [], next: this.position };
    const length = Math.min(maxBytes, this.size - this.position);
    const buf = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const n = readSync(this.fd, buf, got, length - got, this.position + got);
      if (n === 0) break;
      got += n;
    }
    const lines: string[] = [];
    let start = 0;
    while (lines.length < maxLines) {
      const nl = buf.indexOf(0x0a, start);
      if (nl < 0 || nl >= got) break;
      lines.push(buf.toString('utf8', start, nl));
      start = nl + 1;
    }
    if (lines.length === 0 && got === length && length === maxBytes) {
      // One line longer than maxBytes: read it whole.
      return this.read(maxLines, maxBytes * 2);
    }
    return { lines, next: this.position + start };
  }

  /** Marks everything before `next` as sent; an emptied spool is truncated to zero. */
  commit(next: number): void {
    if (this.fd === undefined) return;
    this.position = next;
    if (this.position >= this.size) {
      ftruncateSync(this.fd, 0);
      this.size = 0;
      this.position = 0;
    }
    const posFile = join(this.dir, POSITION);
    writeFileSync(`${posFile}.tmp`, String(this.position), { mode: 0o600 });
    renameSync(`${posFile}.tmp`, posFile);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
