// The gateway's audit sink: the trail (chain, hashing, checkpoints, Kafka or file transport) runs
// on a worker thread (audit-worker.ts), so a statement costs the relaying thread only the text of
// its event. Events cross in batches (one message per FLUSH_MS, or per MAX_BATCH_EVENTS), in emit
// order, so the chain order is the order the sessions emitted them in. The worker reports its
// health every healthIntervalMs (200 ms) and at once when writability changes; writable() answers
// from that report.
import type { KeyObject } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { AuditCells } from '../admin/metrics.js';
import type { Logger } from '../log.js';
import type { AuditConfig } from '../policy/config/types.js';
import { newInstanceId } from './chain.js';
import type { AuditEvent } from './event.js';
import type { AuditHealth, AuditSink } from './sink.js';
import { auditSigningKey, logAuditReady, type AuditSinkParts } from './trail-setup.js';

/** What the worker starts with. */
export interface AuditWorkerData {
  config: AuditConfig;
  instance: string;
  signingKey: KeyObject | undefined;
  healthIntervalMs: number;
  logLevel: string;
}

/** Main thread to worker: events as flat [type, session, members, type, session, members, ...]; or close. */
export type ToAuditWorker = { op: 'events'; records: string[] } | { op: 'close' };

/** Worker to main thread. */
export type FromAuditWorker =
  | { op: 'health'; health: AuditHealth }
  | { op: 'log'; line: string }
  | { op: 'closed'; health: AuditHealth }
  | { op: 'failed'; error: string };

export interface ThreadedAuditSinkOptions {
  config: AuditConfig;
  instance: string;
  signingKey?: KeyObject;
  log?: Logger;
  cells?: AuditCells;
  healthIntervalMs?: number;
}

/**
 * The gateway's sink: the trail runs on a worker thread, so hashing, batching and the Kafka
 * client stay off the thread that relays rows. Throws when the signing key cannot be read.
 */
export function createThreadedAuditSink(config: AuditConfig, parts: AuditSinkParts = {}): ThreadedAuditSink {
  const signingKey = auditSigningKey(config, parts.log);
  const instance = parts.instance ?? newInstanceId();
  const sink = new ThreadedAuditSink({ config, instance, signingKey, log: parts.log, cells: parts.cells });
  logAuditReady(config, instance, signingKey, parts.log);
  return sink;
}

/** A batch is sent FLUSH_MS after its first event, or sooner at MAX_BATCH_EVENTS: each message wakes the worker. */
const FLUSH_MS = 10;
const MAX_BATCH_EVENTS = 1024;
const WORKER_YOUNG_GENERATION_MB = 4;

export class ThreadedAuditSink implements AuditSink {
  readonly instance: string;
  private readonly worker: Worker;
  private records: string[] = [];
  private flushScheduled = false;
  private last: AuditHealth;
  /** Events emitted after close() or a failure: they never reached the worker. */
  private droppedHere = 0;
  private failure: string | undefined;
  private closing: Promise<void> | undefined;
  private onClosed: (() => void) | undefined;

  constructor(private readonly opts: ThreadedAuditSinkOptions) {
    this.instance = opts.instance;
    this.last = { transport: opts.config.kafka ? 'kafka' : 'file', state: 'ok', writable: true, queueDepth: 0, spoolBytes: 0, lagMs: 0, sent: 0, failed: 0, dropped: 0 };
    const workerData: AuditWorkerData = {
      config: opts.config,
      instance: opts.instance,
      signingKey: opts.signingKey,
      healthIntervalMs: opts.healthIntervalMs ?? 200,
      logLevel: opts.log?.level ?? 'silent',
    };
    // A small young generation, as for the main thread (bin/sqlveil.js): the worker's events are short-lived strings.
    this.worker = new Worker(auditWorkerScript(), { workerData, name: 'sqlveil-audit', resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    // The servers keep the process alive; close() holds it until the worker has delivered.
    this.worker.unref();
    this.worker.on('message', (m: FromAuditWorker) => this.onMessage(m));
    this.worker.on('error', (err) => this.fail(`audit worker failed: ${err.message}`));
    this.worker.on('exit', (code) => {
      if (!this.closing) this.fail(`audit worker exited (code ${code})`);
      this.onClosed?.();
    });
  }

  emit(event: AuditEvent): void {
    this.emitMembers(event.type, event.session, JSON.stringify(event).slice(1, -1));
  }

  emitMembers(type: string, session: string, members: string): void {
    if (this.closing || this.failure !== undefined) {
      this.droppedHere++;
      if (this.opts.cells) this.opts.cells.dropped.value++;
      return;
    }
    this.records.push(type, session, members);
    if (this.records.length >= MAX_BATCH_EVENTS * 3) this.flush();
    else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setTimeout(() => this.flush(), FLUSH_MS);
    }
  }

  writable(): boolean {
    return this.last.writable;
  }

  health(): AuditHealth {
    return this.droppedHere === 0 ? this.last : { ...this.last, dropped: this.last.dropped + this.droppedHere };
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.flush();
      if (this.failure !== undefined) {
        resolve();
        return;
      }
      this.onClosed = resolve;
      this.worker.ref();
      this.post({ op: 'close' });
    }).then(() => this.worker.terminate().then(() => undefined));
    return this.closing;
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.records.length === 0 || this.failure !== undefined) return;
    const records = this.records;
    this.records = [];
    this.post({ op: 'events', records });
  }

  private post(message: ToAuditWorker): void {
    this.worker.postMessage(message);
  }

  private onMessage(m: FromAuditWorker): void {
    switch (m.op) {
      case 'health':
        this.setHealth(m.health);
        break;
      case 'log':
        this.relayLog(m.line);
        break;
      case 'closed':
        this.setHealth(m.health);
        this.onClosed?.();
        break;
      case 'failed':
        this.fail(m.error);
        break;
    }
  }

  /** The worker cannot go on: events are lost from here, so statements stop unless the rules say drop-and-alert. */
  private fail(reason: string): void {
    if (this.failure !== undefined) return;
    this.failure = reason;
    this.opts.log?.error({ err: reason }, 'audit: the audit trail stopped');
    // Events not yet handed to the worker are lost with it.
    this.droppedHere += this.records.length / 3;
    this.records = [];
    this.setHealth({ ...this.last, state: 'failed', writable: this.opts.config.onFailure === 'drop-and-alert', lastError: reason });
    this.onClosed?.();
  }

  private setHealth(h: AuditHealth): void {
    this.last = h;
    const cells = this.opts.cells;
    if (!cells) return;
    cells.queueDepth.value = h.queueDepth;
    cells.spoolBytes.value = h.spoolBytes;
    cells.lagSeconds.value = h.lagMs / 1000;
    cells.writable.value = h.writable ? 1 : 0;
    cells.sent.value = h.sent;
    cells.failed.value = h.failed;
    cells.dropped.value = h.dropped + this.droppedHere;
  }

  /** The worker logs through pino into a message; it is logged here, where the gateway's logger lives. */
  private relayLog(line: string): void {
    const log = this.opts.log;
    if (!log) return;
    try {
      const { level, msg, ...fields } = JSON.parse(line) as { level: number; msg?: string };
      const label = log.levels.labels[level] ?? 'info';
      (log as unknown as Record<string, (obj: object, msg?: string) => void>)[label]?.call(log, fields, msg);
    } catch {
      log.warn('audit: unreadable log line from the audit worker');
    }
  }
}

/**
 * The compiled worker: next to this module when it runs compiled, and in dist/ when it runs from
 * the TypeScript sources (the tests; their global setup builds dist first).
 */
export function auditWorkerScript(): string {
  const here = import.meta.url;
  const url = here.endsWith('.ts') ? new URL('../../dist/src/audit/audit-worker.js', here) : new URL('./audit-worker.js', here);
  return fileURLToPath(url);
}
