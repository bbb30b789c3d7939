// The JSON-lines store: one event per line, used when no Kafka brokers are configured (the demo).
// Lines are gathered in memory and written in one write per flush (every `flushMs`, or sooner past
// `maxBufferedBytes`), never one write per event.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { AuditHealth } from './sink.js';
import type { AuditRecord, AuditTransport } from './trail.js';

export class JsonLinesTransport implements AuditTransport {
  private readonly out: WriteStream;
  private failed: Error | undefined;
  private lines: string[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private written = 0;
  private dropped = 0;
  private closed = false;

  private readonly flushMs: number;
  private readonly maxBufferedBytes: number;

  constructor(
    readonly path: string,
    private readonly opts: { onFailure?: 'block' | 'drop-and-alert'; flushMs?: number; maxBufferedBytes?: number } = {},
  ) {
    this.flushMs = opts.flushMs ?? 100;
    this.maxBufferedBytes = opts.maxBufferedBytes ?? 256 * 1024;
    mkdirSync(dirname(path), { recursive: true });
    this.out = createWriteStream(path, { flags: 'a', mode: 0o600 });
    this.out.on('error', (err) => {
      this.failed = err;
    });
  }

  write(record: AuditRecord): void {
    if (this.failed || this.closed) {
      this.dropped++;
      return;
    }
    const line = record.json;
    this.lines.push(line);
    this.bytes += line.length + 1;
    if (this.bytes >= this.maxBufferedBytes) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.flushMs);
  }

  writable(): boolean {
    return this.failed === undefined || this.opts.onFailure === 'drop-and-alert';
  }

  health(): AuditHealth {
    return {
      transport: 'file',
      state: this.closed ? 'closed' : this.failed ? 'failed' : 'ok',
      writable: this.writable(),
      queueDepth: this.lines.length,
      spoolBytes: 0,
      lagMs: 0,
      sent: this.written,
      failed: 0,
      dropped: this.dropped,
      ...(this.failed ? { lastError: this.failed.message } : {}),
    };
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.lines.length === 0 || this.failed) return;
    this.written += this.lines.length;
    this.lines.push('');
    this.out.write(this.lines.join('\n'));
    this.lines = [];
    this.bytes = 0;
  }

  close(): Promise<void> {
    this.flush();
    this.closed = true;
    // An errored stream never calls back from end(): nothing more can be written anyway.
    if (this.failed || this.out.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.out.once('error', () => resolve());
      this.out.end(() => resolve());
    });
  }
}
