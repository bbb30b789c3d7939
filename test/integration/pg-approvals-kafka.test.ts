// Approvals shared by gateway instances through the real Kafka broker: a request made on one
// gateway is approved on another, the grant runs once whichever instance it is used on, and an
// instance started later reads the history from the beginning of the topic.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadClinicFixture, ROOT, run, startGateway, type RunResult, type TestGateway } from './harness.js';
import { ensureKafka, KAFKA_HOOK_TIMEOUT_MS, type TestKafka } from './kafka-broker.js';

const RULES = join(ROOT, 'test/fixtures/rules/approvals.yaml');
let broker: TestKafka;
let gw1: TestGateway;
let gw2: TestGateway;
let env: Record<string, string>;
let agent: string;
let dba: string;
const started: TestGateway[] = [];

beforeAll(async () => {
  broker = await ensureKafka();
  await loadClinicFixture();
  env = { SQLVEIL_KAFKA_BROKERS: broker.brokers.join(','), SQLVEIL_KAFKA_TOPIC_PREFIX: `sqlveil-test-${randomUUID().slice(0, 8)}` };
  gw1 = await startGateway({ rules: RULES, env });
  started.push(gw1);
  // Same identity provider: the second instance trusts the first one's test key.
  env.SQLVEIL_JWKS = join(gw1.dir, 'jwks.json');
  gw2 = await startGateway({ rules: RULES, env });
  started.push(gw2);
  agent = await gw1.token('agent-1', ['agents']);
  dba = await gw1.token('dba-1', ['dba']);
}, KAFKA_HOOK_TIMEOUT_MS);

afterAll(async () => {
  // Later gateways read the first one's key file: stop them first.
  for (const g of started.reverse()) await g.stop();
  await broker?.stop();
}, 60_000);

function asAgent(gw: TestGateway, ...commands: string[]): Promise<RunResult> {
  return run('psql', ['-X', '-tA', '-U', 'agent-1', ...commands.flatMap((c) => ['-c', c])], { env: gw.libpqEnv(agent) });
}

function requestIdIn(text: string): string {
  const m = /approval (req_[0-9a-f]{16})/.exec(text);
  if (!m) throw new Error(`no approval request id in: ${text}`);
  return m[1]!;
}

async function api(gw: TestGateway, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${gw.adminPort}${path}`, {
    method,
    headers: { authorization: `Bearer ${dba}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Polls an instance until it knows the request (events travel through the broker). */
async function seenBy(gw: TestGateway, id: string, status?: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 100; i++) {
    const r = await api(gw, 'GET', `/approvals/${id}`);
    if (r.status === 200 && (!status || r.body.status === status)) return r.body;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`${id} not seen${status ? ` as ${status}` : ''}`);
}

describe('approvals shared through Kafka', () => {
  const sql = 'select id from clinic.patients order by id limit 555';
  let id: string;

  it('a request made on one instance is approved on another, and runs once on either', async () => {
    const first = await asAgent(gw1, sql);
    id = requestIdIn(first.stderr);
    await seenBy(gw2, id, 'pending');
    expect(await api(gw2, 'POST', `/approvals/${id}/approve`, { reason: 'shared' })).toMatchObject({ status: 200, body: { status: 'approved' } });
    await seenBy(gw1, id, 'approved');

    const ran = await asAgent(gw1, sql);
    expect(ran.stderr).toBe('');
    // the grant is used up everywhere: the other instance asks for a new approval
    const other = await asAgent(gw2, sql);
    expect(other.stderr).toMatch(/approval req_\w+ pending/);
    expect(requestIdIn(other.stderr)).not.toBe(id);
  });

  it('a statement held on one instance runs when approved on the other', async () => {
    const held = asAgent(gw1, 'select id from clinic.encounters order by id limit 777', 'select 42');
    let pending: string | undefined;
    for (let i = 0; i < 100 && !pending; i++) {
      const { body } = await api(gw2, 'GET', '/approvals?status=pending');
      pending = (body.approvals as { id: string; rule: string }[]).find((a) => a.rule === 'encounters-held')?.id;
      if (!pending) await new Promise((r) => setTimeout(r, 100));
    }
    expect(pending).toBeDefined();
    expect((await api(gw2, 'POST', `/approvals/${pending}/approve`)).status).toBe(200);
    const r = await held;
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['1', '2', '3', '42']);
  });

  it('an instance started later reads the history from the beginning of the topic', async () => {
    const gw3 = await startGateway({ rules: RULES, env });
    started.push(gw3);
    expect(await seenBy(gw3, id)).toMatchObject({ id, status: 'used', approvals: [{ approver: 'dba-1', reason: 'shared' }] });
    // and the used grant does not run again there
    expect((await asAgent(gw3, sql)).stderr).toMatch(/approval req_\w+ pending/);
  });
});
