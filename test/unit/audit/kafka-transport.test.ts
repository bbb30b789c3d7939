// The Kafka transport's side of an outage, without a broker: events go to the spool, and when the
// spool cannot take them `onFailure` decides between refusing statements and dropping events.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuditChain } from '../../../src/audit/chain.js';
import { KafkaTransport } from '../../../src/audit/kafka-transport.js';
import { AUDIT_UNAVAILABLE_MESSAGE } from '../../../src/audit/sink.js';
import { AuditSpool } from '../../../src/audit/spool.js';
import { AuditTrail } from '../../../src/audit/trail.js';
import { GatewayMetrics } from '../../../src/admin/metrics.js';
import { defaultTopics } from '../../../src/audit/topics.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A port where nothing listens: connections are refused at once. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function trailTo(spoolBytes: number, onFailure: 'block' | 'drop-and-alert') {
  const dir = mkdtempSync(join(tmpdir(), 'sqlveil-kt-'));
  dirs.push(dir);
  const metrics = new GatewayMetrics();
  const transport = new KafkaTransport({
    kafka: { brokers: [`127.0.0.1:${await deadPort()}`], clientId: 'test', topics: defaultTopics('t'), partitions: 1, lingerMs: 5, batchSize: 100 },
    spool: new AuditSpool(join(dir, 'spool'), spoolBytes),
    onFailure,
    retryMs: 200,
    closeTimeoutMs: 300,
    cells: metrics.auditCells(),
  });
  return { trail: new AuditTrail(transport, { chain: new AuditChain('gw-k') }), transport, metrics, dir };
}

const event = (i: number) => ({ type: 'statement', session: `ses_${i % 2}`, at: '2026-01-01T00:00:00.000Z', sql: `select ? as c${i}`, decision: 'allow' });

describe('KafkaTransport without a broker', () => {
  it('spools events in order while Kafka is unreachable and stays writable', async () => {
    const { trail, transport, metrics } = await trailTo(1 << 20, 'block');
    for (let i = 0; i < 50; i++) trail.emit(event(i));
    expect(trail.writable()).toBe(true);
    await vi.waitFor(() => expect(transport.health()).toMatchObject({ state: 'spooling', queueDepth: 0 }), { timeout: 10_000, interval: 50 });
    expect(transport.health().spoolBytes).toBeGreaterThan(50 * 100);
    expect(metrics.render()).toMatch(/sqlveil_audit_spool_bytes \d{4,}/);
    await trail.close();
  }, 20_000);

  it('block: a full spool makes the sink not writable (the gateway refuses statements)', async () => {
    const { trail, transport, metrics } = await trailTo(4096, 'block');
    for (let i = 0; i < 200; i++) trail.emit(event(i));
    await vi.waitFor(() => expect(trail.writable()).toBe(false), { timeout: 10_000, interval: 50 });
    expect(transport.health()).toMatchObject({ state: 'failed', writable: false, dropped: 0 });
    expect(transport.health().lastError).toBeDefined();
    expect(metrics.render()).toContain('sqlveil_audit_writable 0');
    expect(AUDIT_UNAVAILABLE_MESSAGE).toBe('sqlveil: audit trail unavailable: statement refused until audit recovers');
    await trail.close();
  }, 20_000);

  it('drop-and-alert: a full spool drops events, counts them and stays writable', async () => {
    const { trail, transport, metrics } = await trailTo(4096, 'drop-and-alert');
    for (let i = 0; i < 200; i++) trail.emit(event(i));
    await vi.waitFor(() => expect(transport.health().dropped).toBeGreaterThan(0), { timeout: 10_000, interval: 50 });
    expect(trail.writable()).toBe(true);
    expect(metrics.render()).toMatch(/sqlveil_audit_events_total\{outcome="dropped"\} [1-9]/);
    await trail.close();
  }, 20_000);
});
