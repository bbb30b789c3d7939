// kafkajs against a real Kafka broker (scripts/kafka.mjs): an idempotent producer and a consumer
// group keep per-key order, write no duplicates and lose nothing. Prints the throughput it saw.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, Partitioners, type logCreator } from 'kafkajs';
import { kafkaDown, ourBrokerPid, probeKafka } from '../../scripts/kafka.mjs';
import { ensureKafka, KAFKA_HOOK_TIMEOUT_MS, type TestKafka } from './kafka-broker.js';

const SESSIONS = 20;
const TOTAL = 10_000;
const BATCH = 500;

// kafkajs logs retriable errors a fresh broker gives while it creates and loads its internal
// topics ("coordinator is loading", "no leader"), then retries them: keep those out of the output.
const TRANSIENT = /coordinator is (loading|not available)|not the (correct )?coordinator|no leader|leader(ship)? (is )?not available|rebalanc|Restarting the consumer/i;
const quietLogs: logCreator = () => ({ namespace, level, log }) => {
  const text = `${log.message ?? ''} ${log.error ? String(log.error) : ''}`;
  if (level <= logLevel.WARN && !TRANSIENT.test(text)) console.warn(`kafkajs ${level === logLevel.ERROR ? 'ERROR' : 'WARN'} [${namespace}] ${text.trim()}`);
};

let broker: TestKafka;
let kafka: Kafka;

beforeAll(async () => {
  const t0 = Date.now();
  broker = await ensureKafka();
  console.log(`kafka: ${broker.startedHere ? 'started' : 'reused'} ${broker.brokers[0]} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  kafka = new Kafka({ clientId: 'sqlveil-test', brokers: broker.brokers, logLevel: logLevel.WARN, logCreator: quietLogs });
}, KAFKA_HOOK_TIMEOUT_MS);

afterAll(async () => broker?.stop(), 30_000);

describe('Kafka broker for tests (kafkajs)', () => {
  it('an idempotent producer and a consumer group: per-key order, no duplicates, exact count', async () => {
    const topic = `sqlveil.test.${randomUUID()}`;
    const tTopic = Date.now();
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true })).toBe(true);
      const topicMs = Date.now() - tTopic;

      // Produce: TOTAL audit-event-like messages, message i for session i % SESSIONS with that
      // session's next sequence number, sent in batches with acks=all.
      const producer = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      const tProduce = Date.now();
      let firstSendMs = 0;
      try {
        for (let start = 0; start < TOTAL; start += BATCH) {
          const messages = [];
          for (let i = start; i < Math.min(start + BATCH, TOTAL); i++) {
            const session = `session-${String(i % SESSIONS).padStart(2, '0')}`;
            const seq = Math.floor(i / SESSIONS);
            messages.push({
              key: session,
              value: JSON.stringify({
                session, seq, user: 'dba-1', roles: ['dba'], listener: 'pg', decision: 'allow',
                statement: `SELECT id, name, dob FROM patients WHERE id = $1 /* ${i} */`, maskedColumns: ['name', 'dob'],
                at: new Date(1_700_000_000_000 + i).toISOString(),
              }),
            });
          }
          await producer.send({ topic, acks: -1, messages });
          firstSendMs ||= Date.now() - tProduce; // includes InitProducerId (the producer id for idempotence)
        }
      } finally {
        await producer.disconnect();
      }
      const produceMs = Date.now() - tProduce;

      // The log holds exactly TOTAL records: sum of the partitions' high watermarks.
      const offsets = await admin.fetchTopicOffsets(topic);
      expect(offsets).toHaveLength(3);
      expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(TOTAL);

      // Consume with a group from the beginning.
      const seen = new Map<string, number[]>();
      const partitionOfKey = new Map<string, number>();
      const problems: string[] = [];
      let count = 0;
      let firstAt = 0;
      let lastAt = 0;
      let allIn: () => void = () => {};
      const allInPromise = new Promise<void>((r) => { allIn = r; });
      // maxWaitTimeInMs: a fetch long-polls this long when there is nothing new, and disconnect()
      // waits for the fetch in flight (kafkajs' default 5 s would make the test 5 s slower).
      const consumer = kafka.consumer({ groupId: `sqlveil.test.${randomUUID()}`, maxWaitTimeInMs: 250 });
      await consumer.connect();
      const tConsume = Date.now();
      try {
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({
          eachBatch: async ({ batch }) => {
            for (const m of batch.messages) {
              const key = m.key?.toString() ?? '';
              const value = JSON.parse(m.value?.toString() ?? '{}') as { session: string; seq: number };
              if (value.session !== key) problems.push(`key ${key} carries session ${value.session}`);
              const seqs = seen.get(key) ?? [];
              seqs.push(value.seq);
              seen.set(key, seqs);
              const p = partitionOfKey.get(key);
              if (p !== undefined && p !== batch.partition) problems.push(`${key} seen in partitions ${p} and ${batch.partition}`);
              partitionOfKey.set(key, batch.partition);
              count++;
              firstAt ||= Date.now();
            }
            lastAt = Date.now();
            if (count >= TOTAL) allIn();
          },
        });
        const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`consumed ${count} of ${TOTAL} in 40 s`)), 40_000).unref());
        await Promise.race([allInPromise, timeout]);
        await new Promise((r) => setTimeout(r, 1_000)); // anything arriving now would be a duplicate
      } finally {
        await consumer.disconnect();
      }

      expect(problems).toEqual([]);
      expect(count).toBe(TOTAL);
      expect(seen.size).toBe(SESSIONS);
      const perSession = TOTAL / SESSIONS;
      for (const [key, seqs] of seen) {
        // In order, no duplicates, no gaps: exactly 0, 1, ..., perSession - 1.
        expect(seqs, key).toEqual(Array.from({ length: perSession }, (_, i) => i));
      }
      expect(new Set(partitionOfKey.values()).size).toBeGreaterThan(1); // the keys did spread over partitions

      const rate = (n: number, ms: number) => Math.round(n / (ms / 1000));
      console.log(
        `kafkajs: produced ${TOTAL} messages (idempotent, acks=all, batches of ${BATCH}) in ${produceMs} ms = ${rate(TOTAL, produceMs)} msg/s; ` +
        `consumed them in ${lastAt - tConsume} ms including the group join = ${rate(TOTAL, lastAt - tConsume)} msg/s ` +
        `(${lastAt - firstAt} ms from first to last message = ${rate(TOTAL, Math.max(1, lastAt - firstAt))} msg/s); ` +
        `create topic ${topicMs} ms, first batch (with InitProducerId) ${firstSendMs} ms, ` +
        `steady produce ${rate(TOTAL - BATCH, Math.max(1, produceMs - firstSendMs))} msg/s`,
      );
    } finally {
      await admin.deleteTopics({ topics: [topic] }).catch(() => {});
      await admin.disconnect();
    }
  });

  it('refuses to stop a broker it did not start', async () => {
    const port = Number(broker.brokers[0]!.split(':')[1]);
    const dir = mkdtempSync(join(tmpdir(), 'sqlveil-kafka-'));
    try {
      // No pid file in this run dir: the broker on the port was not started from here.
      const none = await kafkaDown({ port, runDir: dir });
      expect(none).toMatchObject({ stopped: false, refused: true });
      expect(none.message).toMatch(/did not start it/);

      // A pid file naming a process that is not a broker started with this run dir's config
      // (this very test process, and the real broker when we know its pid): refused, file removed.
      const realPid = ourBrokerPid();
      for (const pid of [process.pid, ...(realPid ? [realPid] : [])]) {
        writeFileSync(join(dir, 'kafka.pid'), `${pid}\n`);
        const foreign = await kafkaDown({ port, runDir: dir });
        expect(foreign).toMatchObject({ stopped: false, refused: true });
        expect(existsSync(join(dir, 'kafka.pid'))).toBe(false);
      }

      // A second ensureKafka() reuses the broker; its stop() leaves it running.
      const again = await ensureKafka({ port });
      expect(again.startedHere).toBe(false);
      await again.stop();
      expect(await probeKafka(port)).toBe('kafka');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
