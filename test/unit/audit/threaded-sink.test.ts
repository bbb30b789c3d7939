// The gateway's audit sink runs the trail on a worker thread: events must arrive chained, in emit
// order, none lost, with health, metrics and logs coming back to the gateway's thread.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GatewayMetrics } from '../../../src/admin/metrics.js';
import { createThreadedAuditSink } from '../../../src/audit/threaded-sink.js';
import { runAuditKeygen } from '../../../src/cli/audit-keygen.js';
import { runAuditVerify } from '../../../src/cli/audit-verify.js';
import type { AuditConfig } from '../../../src/policy/config/types.js';

let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sqlveil-threaded-sink-'));
  const quiet = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    expect(await runAuditKeygen(['--out', join(dir, 'keys')])).toBe(0);
  } finally {
    quiet.mockRestore();
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(file: string, onFailure: AuditConfig['onFailure'] = 'block'): AuditConfig {
  return {
    file,
    onFailure,
    checkpointIntervalMs: 60_000,
    redactLiterals: true,
    signingKey: join(dir, 'keys', 'audit-signing.key.pem'),
    spool: { dir: join(dir, 'spool'), maxBytes: 1 << 20 },
  };
}

/** A pino logger whose lines are kept for the test to read. */
function capturingLogger(): { log: pino.Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      out.push(String(chunk));
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines: () => out.join('').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('ThreadedAuditSink', () => {
  it('stores every event in emit order, chained and signed, and reports what it sent', async () => {
    const file = join(dir, 'ordered.jsonl');
    const metrics = new GatewayMetrics();
    const captured = capturingLogger();
    const sink = createThreadedAuditSink(config(file), { log: captured.log, cells: metrics.auditCells() });
    const total = 5000;
    for (let i = 0; i < total; i++) {
      // Object events and member text, interleaved, as the gateway emits them.
      if (i % 2 === 0) sink.emit({ type: 'statement', session: `ses_${i % 3}`, at: '2026-11-24T00:00:00.000Z', n: i, sql: 'select ?', decision: 'allow' });
      else sink.emitMembers('statement', `ses_${i % 3}`, `"type":"statement","session":"ses_${i % 3}","at":"2026-11-24T00:00:00.000Z","n":${i},"sql":"select ?","decision":"allow"`);
    }
    expect(sink.writable()).toBe(true);
    await sink.close();

    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; n?: number; seq: number; instance: string });
    expect(lines).toHaveLength(total + 1); // and the final checkpoint
    expect(lines.slice(0, total).map((e) => e.n)).toEqual([...Array(total).keys()]);
    expect(lines.every((e) => e.instance === sink.instance)).toBe(true);
    expect(lines.at(-1)!.type).toBe('audit.checkpoint');

    let out = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
    try {
      expect(await runAuditVerify(['--file', file, '--public-key', join(dir, 'keys', 'audit-signing.pub.pem')])).toBe(0);
    } finally {
      spy.mockRestore();
    }
    expect(out).toContain(`verify OK: ${total} events, 1 instances, 1/1 checkpoints signature-verified`);

    expect(sink.health()).toMatchObject({ transport: 'file', state: 'closed', sent: total + 1, dropped: 0 });
    // After close, nothing reaches the trail: counted as dropped, never silently lost.
    sink.emit({ type: 'statement', session: 'ses_late', at: '2026-11-24T00:00:00.000Z' });
    expect(sink.health().dropped).toBe(1);
    expect(metrics.auditCells().dropped.value).toBe(1);
    expect(metrics.auditCells().sent.value).toBe(total + 1);
    expect(captured.lines().some((l) => l.msg === 'audit trail ready' && l.instance === sink.instance)).toBe(true);
  });

  it('refuses statements once events cannot be stored (block), and logs why from the worker', async () => {
    const blocked = join(dir, 'not-a-file');
    mkdirSync(blocked); // a directory where the file should be: the worker's write stream fails
    const sink = createThreadedAuditSink({ ...config(blocked), signingKey: undefined }, { cells: new GatewayMetrics().auditCells() });
    sink.emit({ type: 'statement', session: 'ses_1', at: '2026-11-24T00:00:00.000Z' });
    await vi.waitFor(() => expect(sink.writable()).toBe(false), { timeout: 5000, interval: 20 });
    expect(sink.health()).toMatchObject({ transport: 'file', state: 'failed', writable: false });
    await sink.close();
  });

  it('keeps statements running when the rules say drop-and-alert', async () => {
    const blocked = join(dir, 'not-a-file-either');
    mkdirSync(blocked);
    const sink = createThreadedAuditSink({ ...config(blocked, 'drop-and-alert'), signingKey: undefined });
    sink.emit({ type: 'statement', session: 'ses_1', at: '2026-11-24T00:00:00.000Z' });
    await vi.waitFor(() => expect(sink.health().state).toBe('failed'), { timeout: 5000, interval: 20 });
    expect(sink.writable()).toBe(true);
    await sink.close();
  });

  it("relays the worker's log lines to the gateway's logger, and spools while Kafka is unreachable", async () => {
    const captured = capturingLogger();
    const kafka = { brokers: ['127.0.0.1:1'], topicPrefix: 'sqlveil', clientId: 'sqlveil-test', topics: { sessions: 's', statements: 'st', approvals: 'a' }, partitions: 1, lingerMs: 5, batchSize: 100 };
    const sink = createThreadedAuditSink({ ...config(join(dir, 'unused.jsonl')), signingKey: undefined, kafka, spool: { dir: join(dir, 'kafka-spool'), maxBytes: 1 << 20 } }, { log: captured.log });
    sink.emit({ type: 'statement', session: 'ses_1', at: '2026-11-24T00:00:00.000Z' });
    await vi.waitFor(() => expect(captured.lines().some((l) => l.msg === 'audit: Kafka unreachable; events go to the local spool' && l.level === 50)).toBe(true), { timeout: 20_000, interval: 50 });
    await vi.waitFor(() => expect(sink.health()).toMatchObject({ transport: 'kafka', state: 'spooling', writable: true }), { timeout: 5000, interval: 50 });
    await sink.close();
  }, 40_000);

  it('a worker that dies fails the sink closed: not writable under block, later events counted as dropped', async () => {
    const captured = capturingLogger();
    const sink = createThreadedAuditSink({ ...config(join(dir, 'dies.jsonl')), signingKey: undefined }, { log: captured.log });
    sink.emit({ type: 'statement', session: 'ses_1', at: '2026-11-24T00:00:00.000Z' });
    await vi.waitFor(() => expect(sink.health().sent).toBe(1), { timeout: 5000, interval: 20 });
    await (sink as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await vi.waitFor(() => expect(sink.writable()).toBe(false), { timeout: 5000, interval: 20 });
    expect(sink.health()).toMatchObject({ state: 'failed', writable: false });
    expect(captured.lines().some((l) => l.msg === 'audit: the audit trail stopped')).toBe(true);
    sink.emit({ type: 'statement', session: 'ses_1', at: '2026-11-24T00:00:01.000Z' });
    expect(sink.health().dropped).toBe(1);
    await sink.close();
  });

  it('a signing key that cannot be read stops the gateway before any worker starts', () => {
    expect(() => createThreadedAuditSink({ ...config(join(dir, 'x.jsonl')), signingKey: join(dir, 'missing.pem') })).toThrow();
  });
});
