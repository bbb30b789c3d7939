// Collects the bytes to send for one input chunk and writes them with a single write():
// contiguous untouched frames stay one slice of the chunk they arrived in.
import type { Writable } from 'node:stream';

export class OutputBatch {
  private parts: Buffer[] = [];
  private bytes = 0;
  private runBuf: Buffer | undefined;
  private runStart = 0;
  private runEnd = 0;

  /** Appends bytes [start, end) of buf; extends the current run when they follow it. */
  add(buf: Buffer, start: number, end: number): void {
    if (this.runBuf === buf && this.runEnd === start) {
      this.runEnd = end;
      return;
    }
    this.closeRun();
    this.runBuf = buf;
    this.runStart = start;
    this.runEnd = end;
  }

  /** Appends a whole buffer of bytes the gateway made itself. */
  addOwn(buf: Buffer): void {
    this.closeRun();
    this.parts.push(buf);
    this.bytes += buf.length;
  }

  private closeRun(): void {
    if (this.runBuf === undefined) return;
    this.parts.push(this.runBuf.subarray(this.runStart, this.runEnd));
    this.bytes += this.runEnd - this.runStart;
    this.runBuf = undefined;
  }

  get empty(): boolean {
    return this.runBuf === undefined && this.parts.length === 0;
  }

  /** Writes everything collected in one write(); returns write()'s backpressure signal. */
  flushTo(out: Writable): boolean {
    this.closeRun();
    const parts = this.parts;
    if (parts.length === 0) return true;
    const data = parts.length === 1 ? parts[0]! : Buffer.concat(parts, this.bytes);
    this.parts = [];
    this.bytes = 0;
    return out.write(data);
  }
}
