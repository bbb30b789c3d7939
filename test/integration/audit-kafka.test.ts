// The audit trail on a real Kafka broker: events produced through the sink verify, per-session
// order holds, and a tampered copy of the topics is caught at the exact offsets. Prints the
// throughput it saw (events/s from emit() to acks=all).
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Partitioners } from 'kafkajs';
import { AuditChain } from '../../src/audit/chain.js';
import { createKafkaClient } from '../../src/audit/kafka-client.js';
import { KafkaTransport } from '../../src/audit/kafka-transport.js';
import { readKafkaRecords } from '../../src/audit/record-source.js';
import { AuditSpool } from '../../src/audit/spool.js';
import { defaultTopics } from '../../src/audit/topics.js';
import { AuditTrail } from '../../src/audit/trail.js';
import { ChainVerifier, type StoredRecord } from '../../src/audit/verify.js';
import { ensureKafka, KAFKA_HOOK_TIMEOUT_MS, type TestKafka } from './kafka-broker.js';

const EVENTS = 20_000;
const SESSIONS = 50;

let broker: TestKafka;
let dir: string;
const prefix = `t-audit-${randomUUID().slice(0, 8)}`;
const keys = generateKeyPairSync('ed25519');
let emitted = 0;

beforeAll(async () => {
  broker = await ensureKafka();
  dir = mkdtempSync(join(tmpdir(), 'sqlveil-audit-kafka-'));
}, KAFKA_HOOK_TIMEOUT_MS);

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await broker?.stop();
}, 30_000);

async function readAll(topicPrefix: string): Promise<StoredRecord[]> {
  const records: StoredRecord[] = [];
  await readKafkaRecords({ brokers: broker.brokers, topicPrefix }, (r) => records.push(r));
  return records;
}

async function verify(records: StoredRecord[]) {
  const v = new ChainVerifier();
  for (const r of records) v.add(r);
  return v.finish(keys.publicKey);
}

describe('audit trail on Kafka', () => {
  it('produces every event once, in session order, and the trail verifies with the public key', async () => {
    const transport = new KafkaTransport({
      kafka: { brokers: broker.brokers, clientId: 'sqlveil-test', topics: defaultTopics(prefix), partitions: 3, lingerMs: 20, batchSize: 2000 },
      spool: new AuditSpool(join(dir, 'spool'), 64 << 20),
      onFailure: 'block',
    });
    const trail = new AuditTrail(transport, { chain: new AuditChain('gw-int'), signingKey: keys.privateKey, checkpointIntervalMs: 500 });
    // Warm up: topic creation and InitProducerId are not part of the rate.
    trail.emit({ type: 'session.start', session: 'ses_warm', at: new Date().toISOString() });
    await vi.waitFor(() => expect(transport.health().sent).toBe(1), { timeout: 30_000, interval: 20 });

    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < EVENTS; i++) {
      trail.emit({ type: 'statement', session: `ses_${i % SESSIONS}`, at: new Date().toISOString(), n: Math.floor(i / SESSIONS) + 1, via: 'simple', sql: `select * from clinic.patients where id = ? /* ${i} */`, redacted: true, decision: 'allow', tables: ['clinic.patients'] });
    }
    const emitMs = performance.now() - t0;
    await vi.waitFor(() => expect(transport.health().sent).toBeGreaterThanOrEqual(EVENTS + 1), { timeout: 60_000, interval: 10 });
    const ackMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    console.log(
      `audit kafka: ${EVENTS} events emitted in ${emitMs.toFixed(0)} ms (${((EVENTS / emitMs) * 1000).toFixed(0)}/s on the emit path), ` +
        `all acked in ${ackMs.toFixed(0)} ms: ${((EVENTS / ackMs) * 1000).toFixed(0)} events/s (linger 20 ms, batch 2000, acks=-1, idempotent, 3 partitions); ` +
        `gateway-side CPU ${((cpu.user + cpu.system) / EVENTS).toFixed(1)} µs/event`,
    );
    trail.emit({ type: 'session.end', session: 'ses_warm', at: new Date().toISOString() });
    await trail.close();
    emitted = EVENTS + 2;
    expect(transport.health()).toMatchObject({ queueDepth: 0, spoolBytes: 0, failed: 0, dropped: 0 });

    const records = await readAll(prefix);
    const report = await verify(records);
    expect(report.findings).toEqual([]);
    expect(report).toMatchObject({ ok: true, events: emitted, instances: 1 });
    expect(report.signedCheckpoints).toBeGreaterThanOrEqual(1);

    // A session's events share a partition and come in seq order there.
    const bySession = new Map<string, { stream: string; seq: number }[]>();
    for (const r of records) {
      const e = JSON.parse(r.raw) as { type: string; session: string; seq: number };
      if (e.type === 'audit.checkpoint') continue;
      const list = bySession.get(e.session) ?? [];
      list.push({ stream: r.stream, seq: e.seq });
      bySession.set(e.session, list);
    }
    for (const list of bySession.values()) {
      expect(new Set(list.map((x) => x.stream)).size).toBe(1);
      expect(list.map((x) => x.seq)).toEqual([...list.map((x) => x.seq)].sort((a, b) => a - b));
    }
  }, 120_000);

  it('a tampered copy of the topics (one event altered, one removed) fails at the exact offsets', async () => {
    expect(emitted).toBeGreaterThan(0);
    const records = await readAll(prefix);
    const copyPrefix = `${prefix}-copy`;
    const statements = records.filter((r) => r.stream.startsWith(`${prefix}.audit.statements/1@`) || r.stream === `${prefix}.audit.statements/1`);
    expect(statements.length).toBeGreaterThan(100);
    const altered = statements[10]!;
    const removed = statements[20]!;

    const kafka = createKafkaClient({ brokers: broker.brokers, clientId: 'sqlveil-tamper' });
    const admin = kafka.admin();
    await admin.connect();
    const topics = Object.values(defaultTopics(copyPrefix));
    await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions: 3 })), waitForLeaders: true });
    await admin.disconnect();
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    // Same partition, same order; offsets after the removed one shift down by one.
    const byStream = new Map<string, StoredRecord[]>();
    for (const r of records) byStream.set(r.stream, [...(byStream.get(r.stream) ?? []), r]);
    for (const [stream, list] of byStream) {
      const [topic, partition] = stream.split('/') as [string, string];
      const messages = list
        .filter((r) => r !== removed)
        .map((r) => ({ partition: Number(partition), value: r === altered ? r.raw.replace('select * from', 'select id from') : r.raw }));
      for (let i = 0; i < messages.length; i += 1000) {
        await producer.send({ topic: topic.replace(prefix, copyPrefix), acks: -1, messages: messages.slice(i, i + 1000) });
      }
    }
    await producer.disconnect();

    const copy = await readAll(copyPrefix);
    expect(copy).toHaveLength(records.length - 1);
    const report = await verify(copy);
    const errors = report.findings.filter((f) => f.severity === 'error');
    const alteredSeq = (JSON.parse(altered.raw) as { seq: number }).seq;
    const removedSeq = (JSON.parse(removed.raw) as { seq: number }).seq;
    const topic = `${copyPrefix}.audit.statements/1`;
    const removedOffset = removed.index;
    expect(errors.map((f) => [f.kind, f.position, f.seq])).toEqual(
      expect.arrayContaining([
        ['altered', `${topic}@${altered.index}`, alteredSeq],
        ['missing', expect.stringMatching(/@\d+$/) as string, removedSeq],
      ]),
    );
    expect(errors).toHaveLength(2);
    const missing = errors.find((f) => f.kind === 'missing')!;
    // The gap is named by the copy positions of its neighbours in the chain (seq - 1 and seq + 1).
    const at = (seq: number) => copy.find((r) => (JSON.parse(r.raw) as { seq?: number; type: string }).seq === seq && !r.raw.includes('"audit.checkpoint"'))!.position;
    expect(missing.message).toBe(`event gw-int#${removedSeq} is missing (between ${at(removedSeq - 1)} and ${at(removedSeq + 1)})`);
    expect(missing.position).toBe(at(removedSeq + 1));
    expect(removedOffset).toBeGreaterThan(0);
    expect(report.ok).toBe(false);
  }, 120_000);
});
