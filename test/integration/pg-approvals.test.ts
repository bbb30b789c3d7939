// Just-in-time approvals through real psql and the real admin API / CLI, with
// test/fixtures/rules/approvals.yaml: reject mode (refused with an id, the identical retry runs
// once after approval), wait mode (held until approved via `sqlveil approvals approve`, denied,
// or timed out), expiry, self-approval, approver groups, several approvers.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadClinicFixture, PG, ROOT, run, startGateway, type RunResult, type TestGateway } from './harness.js';

let gw: TestGateway;
let agent: string;
let dba: string;
let dba2: string;
let security: string;

beforeAll(async () => {
  await Promise.all([loadClinicFixture(), buildCliIfStale()]);
  gw = await startGateway({ rules: join(ROOT, 'test/fixtures/rules/approvals.yaml') });
  agent = await gw.token('agent-1', ['agents']);
  dba = await gw.token('dba-1', ['dba']);
  dba2 = await gw.token('dba-2', ['dba']);
  security = await gw.token('sec-1', ['security']);
}, 180_000);
afterAll(async () => gw?.stop());

/** `node bin/sqlveil.js` runs dist/: compile it when a source it needs is newer. */
async function buildCliIfStale(): Promise<void> {
  const out = join(ROOT, 'dist/src/cli/approvals.js');
  const sources = ['src/cli/approvals.ts', 'src/cli/main.ts', 'src/cli/usage.ts'].map((f) => join(ROOT, f));
  if (existsSync(out) && sources.every((s) => statSync(s).mtimeMs <= statSync(out).mtimeMs)) return;
  // tsc emits even when files other work is in the middle of changing do not type-check.
  await run(join(ROOT, 'node_modules/.bin/tsc'), ['-p', join(ROOT, 'tsconfig.build.json')], { timeoutMs: 170_000 });
  if (!existsSync(out)) throw new Error('building dist/ for bin/sqlveil.js failed');
}

function psqlAs(subject: string, token: string, ...commands: string[]): Promise<RunResult> {
  return run('psql', ['-X', '-tA', '-U', subject, ...commands.flatMap((c) => ['-c', c])], { env: gw.libpqEnv(token) });
}

const asAgent = (...commands: string[]) => psqlAs('agent-1', agent, ...commands);

function requestIdIn(stderr: string): string {
  const m = /approval (req_[0-9a-f]{16})/.exec(stderr);
  if (!m) throw new Error(`no approval request id in: ${stderr}`);
  return m[1]!;
}

async function api(method: 'GET' | 'POST', path: string, token: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${gw.adminPort}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function cli(...args: string[]): Promise<RunResult> {
  return run('node', [join(ROOT, 'bin/sqlveil.js'), 'approvals', ...args, '--admin', `http://127.0.0.1:${gw.adminPort}`], { env: { SQLVEIL_TOKEN: dba }, timeoutMs: 20_000 });
}

/** The pending request of a held statement, once the gateway has recorded it. */
async function pendingFor(rule: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const { body } = await api('GET', '/approvals?status=pending', dba);
    const found = (body.approvals as { id: string; rule: string }[]).find((a) => a.rule === rule);
    if (found) return found.id;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no pending request for ${rule}`);
}

const ROWS = (r: RunResult) => r.stdout.trim().split('\n').filter((l) => l !== '');

describe('approval mode reject', () => {
  const sql = 'select id from clinic.patients order by id limit 600';

  it('refuses with a request id, runs the identical retry once after approval, then needs a new approval', async () => {
    const first = await asAgent(sql, 'select 42');
    expect(first.stderr).toMatch(/ERROR: {2}sqlveil: approval req_[0-9a-f]{16} pending: ask an approver \(dba\) to run `sqlveil approvals approve req_/);
    expect(first.stderr).toMatch(/then retry the identical statement/);
    expect(ROWS(first)).toEqual(['42']); // the session went on
    const id = requestIdIn(first.stderr);

    // the same statement before approval points at the same request
    expect(requestIdIn((await asAgent(sql)).stderr)).toBe(id);
    // a different literal is a different statement
    expect(requestIdIn((await asAgent(sql.replace('600', '601'))).stderr)).not.toBe(id);

    const shown = await api('GET', `/approvals/${id}`, dba);
    expect(shown).toMatchObject({ status: 200, body: { id, status: 'pending', rule: 'patients-export', subject: 'agent-1', sql: 'select id from clinic . patients order by id limit ?' } });
    expect(await api('POST', `/approvals/${id}/approve`, dba, { reason: 'monthly report' })).toMatchObject({ status: 200, body: { status: 'approved' } });

    const retry = await asAgent(sql);
    expect(retry.stderr).toBe('');
    expect(ROWS(retry).length).toBeGreaterThan(0);
    expect((await api('GET', `/approvals/${id}`, dba)).body).toMatchObject({ status: 'used' });

    const again = await asAgent(sql);
    expect(again.stderr).toMatch(/approval req_\w+ pending/);
    expect(requestIdIn(again.stderr)).not.toBe(id);
  });

  it('works on the extended protocol (an unnamed prepared statement)', async () => {
    const q = 'select id from clinic.patients where id > $1 order by id limit 700';
    const connect = async () => {
      const c = new pg.Client({ host: '127.0.0.1', port: gw.port, user: 'agent-1', password: agent, database: PG.database });
      await c.connect();
      return c;
    };
    const c = await connect();
    try {
      const err = await c.query(q, [0]).then(() => undefined, (e: Error) => e);
      expect(err?.message).toMatch(/approval req_\w+ pending/);
      const id = requestIdIn(err!.message);
      expect((await api('POST', `/approvals/${id}/approve`, dba)).status).toBe(200);
      expect((await c.query(q, [0])).rows.length).toBeGreaterThan(0);
      await expect(c.query(q, [0])).rejects.toThrow(/approval req_\w+ pending/);
      // a named prepared statement could run many times on one approval: refused
      await expect(c.query({ name: 'bulk', text: q, values: [0] })).rejects.toThrow(/named prepared statement/);
      expect((await c.query('select 1 as one')).rows[0].one).toBe(1);
    } finally {
      await c.end();
    }
  });

  it('an expired grant is refused again with a new request', async () => {
    const q = 'select id from clinic.clinics order by id limit 950';
    const id = requestIdIn((await asAgent(q)).stderr);
    expect((await api('POST', `/approvals/${id}/approve`, dba)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2_300)); // clinics-short-ttl: ttl 2s
    const r = await asAgent(q);
    expect(r.stderr).toMatch(/approval req_\w+ pending/);
    expect(requestIdIn(r.stderr)).not.toBe(id);
    expect((await api('GET', `/approvals/${id}`, dba)).body).toMatchObject({ status: 'expired' });
    expect(await api('POST', `/approvals/${id}/approve`, dba2)).toMatchObject({ status: 409, body: { error: 'expired' } });
  });

  it('nobody approves their own request, and approvers must be in the rule groups', async () => {
    const both = await gw.token('alice', ['agents', 'dba']); // role agent (first match), also a dba
    const r = await psqlAs('alice', both, 'select id from clinic.patients order by id limit 650');
    const id = requestIdIn(r.stderr);
    expect(await api('POST', `/approvals/${id}/approve`, both)).toMatchObject({ status: 403, body: { error: 'self-approval' } });
    // the agent acting for someone cannot approve that person's request either
    const viaBot = await gw.token('bob', ['agents'], '10m', { actor: 'bot-1' });
    const id2 = requestIdIn((await psqlAs('bob', viaBot, 'select id from clinic.patients order by id limit 660')).stderr);
    const botAsDba = await gw.token('bot-1', ['dba']);
    expect(await api('POST', `/approvals/${id2}/approve`, botAsDba)).toMatchObject({ status: 403, body: { error: 'self-approval' } });
    // security is not an approver of patients-export; an agent token is neither
    expect(await api('POST', `/approvals/${id}/approve`, security)).toMatchObject({ status: 403, body: { error: 'not-approver' } });
    expect(await api('POST', `/approvals/${id}/approve`, agent)).toMatchObject({ status: 403, body: { error: 'not-approver' } });
    expect(await api('POST', `/approvals/${id}/approve`, 'not-a-jwt')).toMatchObject({ status: 401 });
    // a token with neither a role nor an approver group is not accepted at all
    const visitor = await gw.token('vis-1', ['visitors']);
    expect(await api('GET', '/approvals', visitor)).toMatchObject({ status: 401, body: { message: expect.stringMatching(/no role for groups/) } });
    expect((await api('GET', `/approvals/${id}`, dba)).body).toMatchObject({ status: 'pending', approvals: [] });
  });

  it('needs two distinct approvers from the listed groups when the rule says so', async () => {
    const q = 'select id from clinic.patients order by id limit 900';
    const id = requestIdIn((await asAgent(q)).stderr);
    expect(await api('POST', `/approvals/${id}/approve`, dba)).toMatchObject({ status: 200, body: { status: 'pending' } });
    expect(await api('POST', `/approvals/${id}/approve`, dba)).toMatchObject({ status: 409, body: { error: 'already-voted' } });
    expect(requestIdIn((await asAgent(q)).stderr)).toBe(id); // still pending
    // sec-1 maps to no database role: it may still approve through the API
    expect(await api('POST', `/approvals/${id}/approve`, security)).toMatchObject({ status: 200, body: { status: 'approved' } });
    expect((await asAgent(q)).stderr).toBe('');
  });

  it('a denial and its reason reach the client', async () => {
    const q = 'select id from clinic.patients order by id limit 700';
    const id = requestIdIn((await asAgent(q)).stderr);
    expect(await api('POST', `/approvals/${id}/deny`, dba, {})).toMatchObject({ status: 400 });
    expect(await api('POST', `/approvals/${id}/deny`, dba, { reason: 'page with LIMIT 500' })).toMatchObject({ status: 200, body: { status: 'denied' } });
    const r = await asAgent(q, 'select 42');
    expect(r.stderr).toContain(`approval ${id} was denied by dba-1: page with LIMIT 500`);
    expect(ROWS(r)).toEqual(['42']);
  });
});

describe('approval mode wait', () => {
  it('holds the statement until an approver runs `sqlveil approvals approve`, then it runs', async () => {
    const t0 = Date.now();
    const held = asAgent('select id from clinic.encounters order by id limit 600', 'select 42');
    const id = await pendingFor('encounters-held');

    const list = await cli('list');
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(id);
    const approved = await cli('approve', id, '--reason', 'ok');
    expect(approved.stderr).toBe('');
    expect(approved.code).toBe(0);
    // the held statement uses the grant at once, possibly before the API answers
    expect(approved.stdout).toMatch(new RegExp(`approved ${id}: now (approved|used)`));

    const r = await held;
    expect(r.stderr).toBe('');
    expect(ROWS(r)).toEqual(['1', '2', '3', '42']);
    expect(Date.now() - t0).toBeLessThan(20_000);
  });

  it('a denial while held reaches the client with its reason', async () => {
    const held = asAgent('select id from clinic.encounters order by id limit 650', 'select 42');
    const id = await pendingFor('encounters-held');
    const denied = await cli('deny', id, '--reason', 'not today');
    expect(denied.code).toBe(0);
    const r = await held;
    expect(r.stderr).toContain(`approval ${id} was denied by dba-1: not today`);
    expect(ROWS(r)).toEqual(['42']);
  });

  it('times out with the request id; approved later, a retry runs', async () => {
    const q = 'select id from clinic.clinics order by id limit 600';
    const r = await asAgent(q, 'select 42');
    expect(r.stderr).toMatch(/approval req_\w+ still pending after 1 s: the statement did not run/);
    expect(ROWS(r)).toEqual(['42']);
    const id = requestIdIn(r.stderr);
    expect((await cli('approve', id)).code).toBe(0);
    const retry = await asAgent(q);
    expect(retry.stderr).toBe('');
    expect(ROWS(retry)).toEqual(['1', '2']);
  });

  it('the CLI reports API errors and exits non-zero', async () => {
    const r = await cli('approve', 'req_ffffffffffffffff');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/404 no approval request req_ffffffffffffffff/);
    expect(r.stderr).not.toContain(dba);
    const usage = await run('node', [join(ROOT, 'bin/sqlveil.js'), 'approvals', 'deny', 'req_ffffffffffffffff'], { env: { SQLVEIL_TOKEN: dba } });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/deny needs --reason/);
  });
});

describe('audit trail', () => {
  it('records approval.requested, approval.decided and approval.used, without tokens', async () => {
    const file = join(gw.dir, 'audit.jsonl');
    let types: string[] = [];
    let text = '';
    for (let i = 0; i < 50 && !(types.includes('approval.used') && types.includes('approval.decided')); i++) {
      await new Promise((r) => setTimeout(r, 100));
      text = existsSync(file) ? readFileSync(file, 'utf8') : '';
      types = text.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { type: string }).type);
    }
    expect(types).toContain('approval.requested');
    expect(types).toContain('approval.decided');
    expect(types).toContain('approval.used');
    for (const token of [agent, dba, security]) expect(text).not.toContain(token);
  });
});
