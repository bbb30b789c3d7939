// The gateway with rules/hipaa.yaml and SQLVEIL_KAFKA_BROKERS set: a real client's statements
// become chained events on the default audit topics, with who ran them, literals redacted, the
// denial recorded, and a final signed checkpoint when the gateway stops.
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { readKafkaRecords } from '../../src/audit/record-source.js';
import { ChainVerifier, type StoredRecord } from '../../src/audit/verify.js';
import { loadVerifyKey } from '../../src/audit/signing-key.js';
import { runAuditKeygen } from '../../src/cli/audit-keygen.js';
import { loadClinicFixture, PG, ROOT, startGateway, type TestGateway } from './harness.js';
import { ensureKafka, KAFKA_HOOK_TIMEOUT_MS, type TestKafka } from './kafka-broker.js';

let broker: TestKafka;
let gw: TestGateway | undefined;
let keyDir: string | undefined;

beforeAll(async () => {
  broker = await ensureKafka();
  await loadClinicFixture();
}, KAFKA_HOOK_TIMEOUT_MS);

afterAll(async () => {
  await gw?.stop();
  if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  await broker?.stop();
}, 60_000);

describe('gateway audit on Kafka', () => {
  it('records statements and the denial on the topics; the chain of this instance verifies with the signing key', async () => {
    const nonce = `n${randomUUID().slice(0, 8)}`;
    keyDir = join(tmpdir(), `sqlveil-audit-key-${nonce}`);
    const quiet = process.stdout.write.bind(process.stdout);
    process.stdout.write = () => true;
    try {
      expect(await runAuditKeygen(['--out', keyDir])).toBe(0);
    } finally {
      process.stdout.write = quiet;
    }
    // rules/hipaa.yaml with a topic prefix of this run's own, so reading the topics stays small.
    const prefix = `t-gw-${nonce}`;
    const rules = join(keyDir, 'hipaa.yaml');
    writeFileSync(rules, readFileSync(join(ROOT, 'rules/hipaa.yaml'), 'utf8').replace(/topicPrefix: sqlveil\b/, `topicPrefix: ${prefix}`));
    gw = await startGateway({ rules, env: { SQLVEIL_KAFKA_BROKERS: broker.brokers.join(','), SQLVEIL_AUDIT_SIGNING_KEY: join(keyDir, 'audit-signing.key.pem') } });
    const token = await gw.token('agent-1', ['agents'], '10m', { actor: 'planner-bot' });
    const client = new pg.Client({ host: '127.0.0.1', port: gw.port, user: 'agent-1', password: token, database: PG.database });
    await client.connect();
    await client.query(`select 1 as ${nonce}_a`);
    await client.query(`select id as ${nonce}_b from clinic.patients where diagnosis_code <> '900-11-0001' and 1 = 1 /* Ada */ limit 1`);
    for (const v of [1, 2]) await client.query({ name: `p_${nonce}`, text: `select g as ${nonce}_p from generate_series(1, $1::int) g`, values: [v] });
    await expect(client.query(`select 1/0 as ${nonce}_e`)).rejects.toThrow(/division by zero/);
    await expect(client.query(`drop table clinic.clinics, ${nonce}_c`)).rejects.toThrow(/sqlveil/);
    await client.end();
    const metrics = await (await fetch(`http://127.0.0.1:${gw.adminPort}/metrics`)).text();
    expect(metrics).toMatch(/sqlveil_audit_writable 1/);
    // Statements by decision and kind (a prepared statement counts once, at its Parse); one duration per run.
    expect(metrics).toMatch(/sqlveil_statements_total\{protocol="postgres",decision="allow",kind="select"\} 4\n/);
    expect(metrics).toMatch(/sqlveil_statements_total\{protocol="postgres",decision="deny",kind="ddl"\} 1\n/);
    expect(metrics).toMatch(/sqlveil_statement_duration_seconds_count\{protocol="postgres"\} 5\n/);
    expect(metrics).toMatch(/sqlveil_statement_duration_seconds_bucket\{protocol="postgres",le="\+Inf"\} 5\n/);
    const ready = await fetch(`http://127.0.0.1:${gw.adminPort}/readyz`);
    expect([ready.status, await ready.text()]).toEqual([200, 'ready\n']);
    await gw.stop();
    gw = undefined;

    const records: StoredRecord[] = [];
    await readKafkaRecords({ brokers: broker.brokers, topicPrefix: prefix }, (r) => records.push(r));
    const mine = records.filter((r) => r.raw.includes(nonce)).map((r) => ({ r, e: JSON.parse(r.raw) as Record<string, unknown> }));
    // Allowed statements are recorded when each run ends (a prepared statement per execution), with rows, duration and SQLSTATE.
    expect(mine.map(({ e }) => [e.type, e.decision, e.subject, e.actor, e.via, e.rows, e.sqlState])).toEqual([
      ['statement', 'allow', 'agent-1', 'planner-bot', 'simple', 1, undefined],
      ['statement', 'allow', 'agent-1', 'planner-bot', 'simple', 1, undefined],
      ['statement', 'allow', 'agent-1', 'planner-bot', 'execute', 1, undefined],
      ['statement', 'allow', 'agent-1', 'planner-bot', 'execute', 2, undefined],
      ['statement', 'allow', 'agent-1', 'planner-bot', 'simple', 0, '22012'],
      ['statement', 'deny', 'agent-1', 'planner-bot', 'simple', undefined, '42501'],
    ]);
    expect(mine.slice(0, 5).every(({ e }) => typeof e.durationMs === 'number' && e.durationMs >= 0)).toBe(true);
    expect(mine[2]!.e.name).toBe(`p_${nonce}`);
    // A refusal says what was refused, as an allowed statement does.
    expect(mine[5]!.e.kind).toEqual(['ddl']);
    expect(mine.every(({ r }) => r.stream.startsWith(`${prefix}.audit.statements/`))).toBe(true);
    expect(mine[1]!.e.sql).toBe(`select id as ${nonce}_b from clinic.patients where diagnosis_code <> ? and ? = ? /* ? */ limit ?`);
    expect(mine[1]!.e.tables).toEqual(['clinic.patients']);
    expect(mine[5]!.e).toMatchObject({ rule: expect.any(String) as string, sqlState: expect.any(String) as string });
    expect(records.some((r) => r.raw.includes('900-11-0001'))).toBe(false);

    // This instance's chain: session.start, 6 statements, session.end, and a final signed checkpoint.
    const instance = mine[0]!.e.instance as string;
    const verifier = new ChainVerifier();
    for (const r of records) verifier.add(r);
    const report = await verifier.finish(loadVerifyKey(join(keyDir, 'audit-signing.pub.pem')));
    expect(report.findings).toEqual([]);
    expect(report.events).toBe(8);
    expect(report.signedCheckpoints).toBeGreaterThanOrEqual(1);
    const session = records.map((r) => JSON.parse(r.raw) as Record<string, unknown>).find((e) => e.instance === instance && e.type === 'session.start')!;
    expect(session).toMatchObject({ identity: { subject: 'agent-1', groups: ['agents'], role: 'agent', actor: { subject: 'planner-bot' } }, client: { protocol: 'postgres', database: PG.database } });
  }, 120_000);
});
