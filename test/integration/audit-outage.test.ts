// Kafka goes away under load and comes back: a broker of this test's own (other ports, its own
// directory, so other tests keep theirs) is stopped while events flow and restarted on the same
// data. Events wait in the spool meanwhile; afterwards Kafka holds exactly the statements emitted,
// in order, and the trail verifies.
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkJava, kafkaDown, kafkaPaths, kafkaUp, probeKafka, type KafkaOptions } from '../../scripts/kafka.mjs';
import { AuditChain } from '../../src/audit/chain.js';
import { KafkaTransport } from '../../src/audit/kafka-transport.js';
import { readKafkaRecords } from '../../src/audit/record-source.js';
import { AuditSpool } from '../../src/audit/spool.js';
import { defaultTopics } from '../../src/audit/topics.js';
import { AuditTrail } from '../../src/audit/trail.js';
import { ChainVerifier, type StoredRecord } from '../../src/audit/verify.js';
import { KAFKA_HOOK_TIMEOUT_MS } from './kafka-broker.js';

const STATEMENTS = 3000;

let dir: string;
let opts: KafkaOptions;
let brokers: string[];

async function freePortPair(): Promise<number> {
  for (;;) {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((r) => server.close(() => r()));
    const next = createServer();
    const ok = await new Promise<boolean>((r) => {
      next.once('error', () => r(false));
      next.listen(port + 1, '127.0.0.1', () => r(true));
    });
    if (ok) await new Promise<void>((r) => next.close(() => r()));
    if (ok && port < 65000) return port;
  }
}

/** Starts the stopped broker again on its config and data (kafkaUp would format fresh storage). */
async function restartBroker(): Promise<void> {
  const p = kafkaPaths(opts);
  const out = openSync(p.logFile, 'a');
  const child = spawn(
    checkJava(),
    ['-Xmx512m', '-Xms128m', '-XX:+UseG1GC', `-Dlog4j2.configurationFile=${p.log4jFile}`, `-Dkafka.logs.dir=${p.runDir}`, '-cp', `${p.libsDir}/*`, 'kafka.Kafka', p.configFile],
    { cwd: p.runDir, detached: true, stdio: ['ignore', out, out] },
  );
  closeSync(out);
  child.unref();
  // The pid file lets kafkaDown() stop it: it checks that the command line is this run's broker.
  writeFileSync(p.pidFile, `${child.pid}\n`);
  await vi.waitFor(async () => expect(await probeKafka(p.port)).toBe('kafka'), { timeout: 60_000, interval: 250 });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sqlveil-audit-outage-'));
  opts = { port: await freePortPair(), runDir: join(dir, 'kafka') };
  const up = await kafkaUp(opts);
  expect(up.startedHere).toBe(true);
  brokers = up.brokers;
}, KAFKA_HOOK_TIMEOUT_MS);

afterAll(async () => {
  if (opts) await kafkaDown(opts);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('audit through a Kafka outage', () => {
  it('spools while the broker is down, drains in order when it is back: counts match and verify passes', async () => {
    const prefix = `t-outage-${randomUUID().slice(0, 8)}`;
    const keys = generateKeyPairSync('ed25519');
    const transport = new KafkaTransport({
      kafka: { brokers, clientId: 'sqlveil-outage', topics: defaultTopics(prefix), partitions: 3, lingerMs: 10, batchSize: 500 },
      spool: new AuditSpool(join(dir, 'spool'), 256 << 20),
      onFailure: 'block',
      retryMs: 250,
      closeTimeoutMs: 60_000,
    });
    const trail = new AuditTrail(transport, { chain: new AuditChain('gw-outage'), signingKey: keys.privateKey, checkpointIntervalMs: 1000 });

    let emitted = 0;
    let maxSpool = 0;
    let sawSpooling = false;
    let refused = 0;
    const emitSome = (n: number) => {
      for (let i = 0; i < n && emitted < STATEMENTS; i++, emitted++) {
        if (!trail.writable()) refused++;
        trail.emit({ type: 'statement', session: `ses_${emitted % 16}`, at: new Date().toISOString(), via: 'simple', sql: `select ? as c${emitted}`, redacted: true, decision: 'allow' });
      }
      const h = transport.health();
      maxSpool = Math.max(maxSpool, h.spoolBytes);
      if (h.state === 'spooling') sawSpooling = true;
    };
    // Steady load: 10 statements every 10 ms, until all are emitted.
    const load = setInterval(() => emitSome(10), 10);
    const until = (n: number) => vi.waitFor(() => expect(emitted).toBeGreaterThanOrEqual(n), { timeout: 60_000, interval: 20 });

    await until(STATEMENTS / 4);
    const down = await kafkaDown(opts);
    expect(down.stopped).toBe(true);
    await until(STATEMENTS / 2);
    await vi.waitFor(() => expect(transport.health().spoolBytes).toBeGreaterThan(0), { timeout: 30_000, interval: 50 });
    await restartBroker();
    await until(STATEMENTS);
    clearInterval(load);
    await trail.close();

    const h = transport.health();
    console.log(`audit outage: ${emitted} statements, spool peaked at ${maxSpool} bytes, ${h.failed} event sends failed and were retried, ${h.dropped} dropped`);
    expect(sawSpooling).toBe(true);
    expect(refused).toBe(0); // the spool took everything: statements were never refused
    expect(h).toMatchObject({ queueDepth: 0, spoolBytes: 0, dropped: 0 });

    const records: StoredRecord[] = [];
    await readKafkaRecords({ brokers, topicPrefix: prefix }, (r) => records.push(r));
    const statements = records.filter((r) => r.raw.includes('"type":"statement"'));
    expect(statements).toHaveLength(STATEMENTS);
    const verifier = new ChainVerifier();
    for (const r of records) verifier.add(r);
    const report = await verifier.finish(keys.publicKey);
    expect(report.findings).toEqual([]);
    expect(report.ok).toBe(true);
  }, 180_000);
});
