// Audit events to Kafka: gathered for `lingerMs` (or `batchSize` events) and sent as one batch by
// an idempotent producer with acks from all in-sync replicas, never awaited on the statement path.
// When a send fails, events go to the local spool (spool.ts), in order, and the spool is drained
// before anything newer is sent. When the spool cannot take them, `onFailure` decides: block (the
// sink reports not writable, the session refuses statements) or drop-and-alert.
import { CompressionTypes, Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import type { AuditCells } from '../admin/metrics.js';
import type { Logger } from '../log.js';
import type { AuditKafkaConfig } from '../policy/config/types.js';
import { createKafkaClient } from './kafka-client.js';
import type { AuditHealth } from './sink.js';
import type { AuditSpool } from './spool.js';
import { keyFor, topicsFor } from './topics.js';
import type { StoredEvent } from './event.js';
import type { AuditRecord, AuditTransport } from './trail.js';

export interface KafkaTransportOptions {
  kafka: Pick<AuditKafkaConfig, 'brokers' | 'clientId' | 'topics' | 'partitions' | 'lingerMs' | 'batchSize'>;
  spool: AuditSpool;
  onFailure: 'block' | 'drop-and-alert';
  log?: Logger;
  cells?: AuditCells;
  /** Wait between attempts while Kafka is unreachable (default 1000 ms). */
  retryMs?: number;
  /** Broker-side timeout of one send (default 5000 ms). */
  sendTimeoutMs?: number;
  /** Events held in memory when neither Kafka nor the spool takes them (default 200 000). */
  maxQueueEvents?: number;
  /** How long close() keeps trying to deliver before leaving the rest in the spool (default 10 s). */
  closeTimeoutMs?: number;
}

const SPILL_INTERVAL_MS = 100;

interface Pending {
  value: string;
  key: string;
  topics: string[];
}

export class KafkaTransport implements AuditTransport {
  private readonly client: Kafka;
  private queue: Pending[] = [];
  private producer: Producer | undefined;
  private topicsReady = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private pumping: Promise<void> | undefined;
  /** A send to Kafka is in flight with events taken from the queue (not from the spool). */
  private directInFlight = false;
  /** Kafka failed the last attempt; cleared by the next success. */
  private down = false;
  /**
   * Lines at the head of the spool that form the batch whose send failed. The next attempt sends
   * exactly these, on the same producer: the idempotent producer then reuses their sequence
   * numbers and the broker drops what it had already written, so an ambiguous failure (written,
   * but the answer lost) leaves no duplicate.
   */
  private pinned = 0;
  private spoolProblem: string | undefined;
  private lastError: string | undefined;
  private oldestPendingAt = 0;
  private sent = 0;
  private failed = 0;
  private dropped = 0;
  private lastAlertAt = 0;
  private lastSpillAt = 0;
  private closed = false;
  private readonly retryMs: number;
  private readonly sendTimeoutMs: number;
  private readonly maxQueueEvents: number;

  constructor(private readonly opts: KafkaTransportOptions) {
    this.retryMs = opts.retryMs ?? 1000;
    this.sendTimeoutMs = opts.sendTimeoutMs ?? 5000;
    this.maxQueueEvents = opts.maxQueueEvents ?? 200_000;
    this.client = createKafkaClient({ brokers: opts.kafka.brokers, clientId: opts.kafka.clientId, log: opts.log });
    try {
      opts.spool.open();
    } catch (err) {
      this.spoolProblem = `spool unusable: ${err instanceof Error ? err.message : String(err)}`;
      opts.log?.error({ dir: opts.spool.dir, err: this.spoolProblem }, 'audit: spool unusable; events cannot be kept while Kafka is unreachable');
    }
    // Events a previous run could not send go first.
    if (opts.spool.pendingBytes > 0) {
      this.oldestPendingAt = Date.now();
      this.schedule(0);
    }
    this.refreshGauges();
  }

  write(record: AuditRecord): void {
    if (this.queue.length === 0 && this.opts.spool.pendingBytes === 0) this.oldestPendingAt = Date.now();
    this.queue.push({ value: record.json, key: keyFor(record), topics: topicsFor(record, this.opts.kafka.topics) });
    if (this.queue.length > this.maxQueueEvents) this.drop(this.queue.splice(this.maxQueueEvents).length, 'audit queue full');
    if (this.closed) return;
    this.schedule(this.queue.length >= this.opts.kafka.batchSize ? 0 : this.opts.kafka.lingerMs);
  }

  writable(): boolean {
    if (this.opts.onFailure === 'drop-and-alert') return true;
    if (this.queue.length >= this.maxQueueEvents) return false;
    return !(this.down && this.spoolProblem !== undefined);
  }

  health(): AuditHealth {
    const state = this.closed && !this.pumping ? 'closed' : this.down && this.spoolProblem ? 'failed' : this.down || this.opts.spool.pendingBytes > 0 ? 'spooling' : 'ok';
    return {
      transport: 'kafka',
      state,
      writable: this.writable(),
      queueDepth: this.queue.length,
      spoolBytes: this.opts.spool.pendingBytes,
      lagMs: this.oldestPendingAt ? Date.now() - this.oldestPendingAt : 0,
      sent: this.sent,
      failed: this.failed,
      dropped: this.dropped,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  private schedule(delayMs: number): void {
    if (this.lingerTimer) {
      if (delayMs > 0) return;
      clearTimeout(this.lingerTimer);
    }
    this.lingerTimer = setTimeout(() => this.tick(), delayMs);
  }

  private tick(): void {
    this.lingerTimer = undefined;
    // While Kafka is down, new events go to disk behind what is there already: a full batch at
    // once, else at most every SPILL_INTERVAL_MS (an fsync blocks the event loop for its duration).
    if (this.down && !this.directInFlight && this.queue.length > 0) {
      const wait = this.lastSpillAt + SPILL_INTERVAL_MS - Date.now();
      if (wait <= 0 || this.queue.length >= this.opts.kafka.batchSize) this.spill();
      else this.lingerTimer = setTimeout(() => this.tick(), wait);
    }
    if (!this.pumping && !this.retryTimer) this.startPump();
    this.refreshGauges();
  }

  private startPump(): Promise<void> {
    this.pumping ??= this.pump().finally(() => {
      this.pumping = undefined;
      this.refreshGauges();
    });
    return this.pumping;
  }

  private retryLater(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.startPump();
    }, this.retryMs);
  }

  /** Sends the spool, then the queue, until both are empty or Kafka fails. */
  private async pump(): Promise<void> {
    for (;;) {
      if (this.opts.spool.pendingBytes > 0) {
        this.spill(); // anything newer goes behind the spool
        const batch = this.opts.spool.read(this.pinned || this.opts.kafka.batchSize);
        const pending = this.fromSpool(batch.lines);
        try {
          if (pending.length > 0) await this.send(pending);
        } catch (err) {
          this.sendFailed(err, pending.length);
          this.pinned = batch.lines.length;
          return this.retryLater();
        }
        this.pinned = 0;
        this.opts.spool.commit(batch.next);
        this.sendSucceeded(pending.length);
        continue;
      }
      if (this.queue.length === 0) {
        this.oldestPendingAt = 0;
        this.spoolProblem = undefined;
        return;
      }
      const batch = this.queue.splice(0, this.pinned || this.opts.kafka.batchSize);
      this.directInFlight = true;
      try {
        await this.send(batch);
      } catch (err) {
        this.sendFailed(err, batch.length);
        // Back in front of anything newer, then to disk in that order; retried as the same batch.
        this.queue.unshift(...batch);
        this.spill();
        this.pinned = batch.length;
        return this.retryLater();
      } finally {
        this.directInFlight = false;
      }
      this.pinned = 0;
      this.sendSucceeded(batch.length);
      // What arrived during the send waits for the linger time (or a full batch) like any other
      // event: sent at once, batches stay small, and kafkajs costs several times more per event.
      if (!this.closed && this.queue.length > 0 && this.queue.length < this.opts.kafka.batchSize) {
        this.schedule(this.opts.kafka.lingerMs);
        return;
      }
    }
  }

  /** Moves the whole queue to the spool; on failure keeps it in memory (block) or drops it (drop-and-alert). */
  private spill(): void {
    if (this.queue.length === 0) return;
    this.lastSpillAt = Date.now();
    const result = this.opts.spool.append(this.queue.map((p) => p.value));
    if (result.ok) {
      this.queue = [];
      this.spoolProblem = undefined;
      return;
    }
    this.spoolProblem = result.message;
    if (this.opts.onFailure === 'drop-and-alert') this.drop(this.queue.splice(0).length, result.message);
    else this.alert(`audit: Kafka unreachable and ${result.message}: statements are refused until audit recovers`);
  }

  private fromSpool(lines: string[]): Pending[] {
    const out: Pending[] = [];
    for (const line of lines) {
      try {
        const event = JSON.parse(line) as StoredEvent;
        out.push({ value: line, key: keyFor(event), topics: topicsFor(event, this.opts.kafka.topics) });
      } catch {
        // Never written by us: a line torn by a crash was cut at open. Count and skip it.
        this.drop(1, 'unreadable spool line');
      }
    }
    return out;
  }

  private async send(batch: Pending[]): Promise<void> {
    const producer = await this.connect();
    const byTopic = new Map<string, Message[]>();
    for (const p of batch) {
      for (const topic of p.topics) {
        let messages = byTopic.get(topic);
        if (!messages) byTopic.set(topic, (messages = []));
        messages.push({ key: p.key, value: p.value });
      }
    }
    await producer.sendBatch({
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      acks: -1,
      timeout: this.sendTimeoutMs,
      compression: CompressionTypes.None,
    });
  }

  private async connect(): Promise<Producer> {
    if (this.producer) return this.producer;
    if (!this.topicsReady) {
      await this.ensureTopics();
      this.topicsReady = true;
    }
    const producer = this.client.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    await producer.connect();
    this.producer = producer;
    return producer;
  }

  private async ensureTopics(): Promise<void> {
    const admin = this.client.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = [...new Set(Object.values(this.opts.kafka.topics))].filter((t) => !existing.has(t));
      if (missing.length > 0) {
        await admin.createTopics({ topics: missing.map((topic) => ({ topic, numPartitions: this.opts.kafka.partitions })), waitForLeaders: true });
        this.opts.log?.info({ topics: missing }, 'audit: created Kafka topics');
      }
    } finally {
      await admin.disconnect();
    }
  }

  private sendFailed(err: unknown, events: number): void {
    this.failed += events;
    if (this.opts.cells) this.opts.cells.failed.value += events;
    this.lastError = err instanceof Error ? err.message : String(err);
    if (!this.down) this.opts.log?.error({ err: this.lastError, spool: this.opts.spool.dir }, 'audit: Kafka unreachable; events go to the local spool');
    this.down = true;
    // The producer is kept: its sequence numbers are what lets the broker drop a batch written twice.
  }

  private sendSucceeded(events: number): void {
    this.sent += events;
    if (this.opts.cells) this.opts.cells.sent.value += events;
    if (this.down) this.opts.log?.info({ spoolBytes: this.opts.spool.pendingBytes }, 'audit: Kafka reachable again; sending the spool');
    this.down = false;
    this.lastError = undefined;
  }

  private drop(events: number, why: string): void {
    if (events === 0) return;
    this.dropped += events;
    if (this.opts.cells) this.opts.cells.dropped.value += events;
    this.alert(`audit: ${events} events dropped: ${why}`);
  }

  /** At most one log line a second: an outage must not flood the log. */
  private alert(message: string): void {
    const now = Date.now();
    if (now - this.lastAlertAt < 1000) return;
    this.lastAlertAt = now;
    this.opts.log?.error({ dropped: this.dropped, spool: this.opts.spool.dir }, message);
  }

  private refreshGauges(): void {
    const cells = this.opts.cells;
    if (!cells) return;
    const h = this.health();
    cells.queueDepth.value = h.queueDepth;
    cells.spoolBytes.value = h.spoolBytes;
    cells.lagSeconds.value = h.lagMs / 1000;
    cells.writable.value = h.writable ? 1 : 0;
  }

  /** Delivers what it can within closeTimeoutMs; whatever is left stays in the spool for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    const deadline = Date.now() + (this.opts.closeTimeoutMs ?? 10_000);
    for (;;) {
      if (this.pumping) await this.pumping;
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      if (this.queue.length === 0 && this.opts.spool.pendingBytes === 0) break;
      if (Date.now() >= deadline) break;
      if (this.down) await new Promise((r) => setTimeout(r, Math.min(this.retryMs, Math.max(0, deadline - Date.now()))));
      await this.startPump();
    }
    clearTimeout(this.retryTimer);
    this.spill();
    if (this.queue.length > 0 || this.opts.spool.pendingBytes > 0) {
      this.opts.log?.warn({ queued: this.queue.length, spoolBytes: this.opts.spool.pendingBytes }, 'audit: Kafka did not take every event before shutdown; the rest stays in the spool for the next start');
    }
    this.refreshGauges();
    this.opts.spool.close();
    await this.producer?.disconnect().catch(() => undefined);
  }
}
