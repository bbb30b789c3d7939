// Approvals shared by several gateway instances: requests, decisions and uses are events on one
// Kafka topic that every instance reads from the beginning of its retention. An instance writes
// an event and acts on it only once it has read it back, so every instance applies the same
// events in the same order (one partition, or the request id as key) and reaches the same verdict:
// when two instances race to use one grant, the first `used` event in the log wins.
// The topic may also carry the audit trail's approval.* events: store events are the messages
// with the EVENT_HEADER header; others are passed over.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Admin, type Consumer, type logCreator, type Producer } from 'kafkajs';
import type { Logger } from '../log.js';
import { decodeEvent, encodeEvent, EVENT_FORMAT, EVENT_HEADER } from './event-codec.js';
import { LedgerStore } from './store.js';
import type { ApprovalEvent, EventOutcome } from './types.js';

export interface KafkaApprovalStoreOptions {
  brokers: string[];
  topic: string;
  clientId: string;
  log: Logger;
  /** How long start() may take to read the events already on the topic (default 30 s). */
  catchUpTimeoutMs?: number;
  /** How long append() waits to read its own event back (default 10 s). */
  appendTimeoutMs?: number;
}

// Retriable conditions a broker reports while it starts or rebalances; kafkajs retries them.
const TRANSIENT = /Topic creation errors|coordinator is (loading|not available)|not the (correct )?coordinator|no leader|leader(ship)? (is )?not available|rebalanc|Restarting the consumer|topic-partition/i;

export class KafkaApprovalStore extends LedgerStore {
  readonly description: string;
  private readonly kafka: Kafka;
  private readonly admin: Admin;
  private readonly producer: Producer;
  private readonly consumer: Consumer;
  private readonly waiters = new Map<string, (outcome: EventOutcome) => void>();
  /** Next offset to read, per partition. */
  private readonly positions = new Map<number, bigint>();
  private caughtUp: (() => void) | undefined;
  private targets: Map<number, bigint> | undefined;

  constructor(private readonly opts: KafkaApprovalStoreOptions) {
    super();
    this.description = `Kafka topic ${opts.topic} on ${opts.brokers.join(',')} (shared by every gateway instance)`;
    this.kafka = new Kafka({ clientId: opts.clientId, brokers: opts.brokers, logLevel: logLevel.WARN, logCreator: toLogger(opts.log) });
    this.admin = this.kafka.admin();
    this.producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    // A group of its own per instance and run: each instance reads every event, from the start.
    this.consumer = this.kafka.consumer({ groupId: `${opts.clientId}-approvals-${randomUUID()}`, maxWaitTimeInMs: 250 });
  }

  async start(): Promise<void> {
    const { topic } = this.opts;
    await this.admin.connect();
    try {
      // One partition keeps every event in one order (the audit trail may have made it with more:
      // events of one request share a key, so they keep their order all the same).
      if (!(await this.admin.listTopics()).includes(topic)) {
        await this.admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true }).catch((err: Error) => {
          // Another instance (or the audit trail) made it in between.
          if (!/already exists/i.test(String((err as { errors?: unknown }).errors ?? err.message))) throw err;
        });
      }
      const offsets = await this.admin.fetchTopicOffsets(topic);
      this.targets = new Map(offsets.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high)]));
    } finally {
      await this.admin.disconnect();
    }
    await this.producer.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topic, fromBeginning: true });
    const caughtUp = new Promise<void>((resolve) => (this.caughtUp = resolve));
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const ours = message.headers?.[EVENT_HEADER] !== undefined;
        this.read(partition, BigInt(message.offset), ours ? message.value : undefined);
      },
    });
    this.checkCaughtUp();
    const ms = this.opts.catchUpTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      caughtUp,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`approvals: could not read topic ${topic} within ${ms} ms`)), ms))),
    ]).finally(() => clearTimeout(timer));
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.consumer.disconnect(), this.producer.disconnect()]);
    for (const w of this.waiters.values()) w({ ok: false, code: 'not-found', message: 'approval store closed' });
    this.waiters.clear();
  }

  async append(event: ApprovalEvent): Promise<EventOutcome> {
    const ms = this.opts.appendTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const applied = new Promise<EventOutcome>((resolve, reject) => {
      this.waiters.set(event.id, resolve);
      timer = setTimeout(() => {
        this.waiters.delete(event.id);
        reject(new Error(`approvals: event not read back from Kafka topic ${this.opts.topic} within ${ms} ms`));
      }, ms);
    });
    try {
      const key = event.type === 'requested' ? event.request.id : event.request;
      await this.producer.send({ topic: this.opts.topic, acks: -1, messages: [{ key, value: encodeEvent(event), headers: { [EVENT_HEADER]: String(EVENT_FORMAT) } }] });
      return await applied;
    } catch (err) {
      this.waiters.delete(event.id);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** `value` undefined: a message that is not a store event (an audit event on the same topic). */
  private read(partition: number, offset: bigint, value: Buffer | null | undefined): void {
    this.positions.set(partition, offset + 1n);
    if (value === undefined) return this.checkCaughtUp();
    const decoded = value ? decodeEvent(value) : ({ ok: false, error: 'empty message' } as const);
    if (!decoded.ok) {
      this.opts.log.warn({ topic: this.opts.topic, partition, offset: offset.toString(), error: decoded.error }, 'approvals: skipped an unreadable event');
    } else {
      const outcome = this.ledger.apply(decoded.event);
      const waiter = this.waiters.get(decoded.event.id);
      if (waiter) {
        this.waiters.delete(decoded.event.id);
        waiter(outcome);
      }
    }
    this.checkCaughtUp();
  }

  private checkCaughtUp(): void {
    if (!this.caughtUp || !this.targets) return;
    for (const [partition, high] of this.targets) if ((this.positions.get(partition) ?? 0n) < high) return;
    this.caughtUp();
    this.caughtUp = undefined;
  }
}

/** kafkajs logs through the gateway's logger; retriable start-up noise stays at debug. */
function toLogger(log: Logger): logCreator {
  return () => ({ namespace, level, log: entry }) => {
    const text = `${entry.message ?? ''} ${entry.error ? String(entry.error) : ''}`.trim();
    if (level > logLevel.WARN) return;
    if (TRANSIENT.test(text)) log.debug({ kafka: namespace }, text);
    else if (level === logLevel.ERROR) log.error({ kafka: namespace }, text);
    else log.warn({ kafka: namespace }, text);
  };
}
