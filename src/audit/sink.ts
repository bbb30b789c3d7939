// Where audit events go. The Kafka sink (with hash chain and spool) comes with the audit issue;
// until then, and whenever no brokers are configured, events go to a JSON-lines file.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

export interface AuditEvent {
  type: string;
  session: string;
  at: string;
  [key: string]: unknown;
}

export interface AuditSink {
  emit(event: AuditEvent): void;
  close(): Promise<void>;
}

/**
 * Appends one JSON object per line. Lines are gathered in memory and written in one write per
 * flush (every `flushMs`, or sooner past `maxBufferedBytes`), never one write per event.
 */
export class JsonLinesAuditSink implements AuditSink {
  private readonly out: WriteStream;
  private failed: Error | undefined;
  private lines: string[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    path: string,
    private readonly flushMs = 100,
    private readonly maxBufferedBytes = 256 * 1024,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.out = createWriteStream(path, { flags: 'a', mode: 0o600 });
    this.out.on('error', (err) => {
      this.failed = err;
    });
  }

  emit(event: AuditEvent): void {
    if (this.failed) throw new Error(`audit file unavailable: ${this.failed.message}`);
    const line = JSON.stringify(event);
    this.lines.push(line);
    this.bytes += line.length + 1;
    if (this.bytes >= this.maxBufferedBytes) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), this.flushMs);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.lines.length === 0) return;
    this.lines.push('');
    this.out.write(this.lines.join('\n'));
    this.lines = [];
    this.bytes = 0;
  }

  close(): Promise<void> {
    this.flush();
    return new Promise((resolve) => this.out.end(() => resolve()));
  }
}

/** Keeps events in memory: for tests of pure code. */
export class MemoryAuditSink implements AuditSink {
  readonly events: AuditEvent[] = [];
  emit(event: AuditEvent): void {
    this.events.push(event);
  }
  async close(): Promise<void> {}
}
