// The approvals admin API over HTTP, with approvers' tokens checked by a stand-in verifier.
import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminServer } from '../../../src/admin/http.js';
import { GatewayMetrics } from '../../../src/admin/metrics.js';
import { MemoryAuditSink } from '../../../src/audit/sink.js';
import { ApprovalService } from '../../../src/approvals/service.js';
import { MemoryApprovalStore } from '../../../src/approvals/store.js';
import { IdentityError, type TokenVerifier, type VerifiedIdentity } from '../../../src/identity/types.js';
import { identity, rule, session, silent } from './helpers.js';

const people: Record<string, VerifiedIdentity> = {
  'tok-dba1': identity('dba-1', ['dba']),
  'tok-dba2': identity('dba-2', ['dba']),
  'tok-agent': identity('agent-1', ['agents']),
  'tok-sec': identity('sec-1', ['security']),
};
const verifier: TokenVerifier = {
  verify: async (token) => {
    const who = people[token];
    if (!who) throw new IdentityError('token signature verification failed', 'forged');
    return who;
  },
};

let server: http.Server;
let base: string;
let service: ApprovalService;

beforeAll(async () => {
  service = new ApprovalService({ store: new MemoryApprovalStore(), audit: new MemoryAuditSink(), log: silent });
  server = await startAdminServer('127.0.0.1', 0, { metrics: new GatewayMetrics(), ready: async () => ({ ready: true, reasons: [] }), approvals: { service, approvers: verifier } });
  const addr = server.address() as { port: number };
  base = `http://127.0.0.1:${addr.port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function newRequest(sql = `select * from clinic.patients limit ${Math.floor(Math.random() * 1e6)}`): Promise<string> {
  const d = await service.review({ session: session(people['tok-agent']!), sql, fingerprint: 'fp', rule: rule(), why: 'needs approval' });
  return /approval (req_\w+)/.exec(d.action === 'deny' ? d.message : '')![1]!;
}

async function call(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(base + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('approvals admin API', () => {
  it('401 without a token or with a bad one; the token is never echoed', async () => {
    expect(await call('GET', '/approvals')).toMatchObject({ status: 401, body: { error: 'unauthenticated' } });
    const r = await call('GET', '/approvals', 'tok-forged');
    expect(r.status).toBe(401);
    expect(JSON.stringify(r.body)).not.toContain('tok-forged');
  });

  it('lists and shows requests to approvers and to the requester, 403 to others', async () => {
    const id = await newRequest();
    const list = await call('GET', '/approvals?status=pending', 'tok-dba1');
    expect(list.status).toBe(200);
    expect((list.body.approvals as { id: string }[]).map((a) => a.id)).toContain(id);
    expect(await call('GET', `/approvals/${id}`, 'tok-agent')).toMatchObject({ status: 200, body: { id, status: 'pending', subject: 'agent-1', approvers: ['dba'] } });
    expect(await call('GET', `/approvals/${id}`, 'tok-sec')).toMatchObject({ status: 403, body: { error: 'not-approver' } });
    expect((await call('GET', '/approvals', 'tok-sec')).body.approvals).toEqual([]);
    expect(await call('GET', '/approvals/req_ffffffffffffffff', 'tok-dba1')).toMatchObject({ status: 404 });
  });

  it('approves (200), then answers 409 to a second decision', async () => {
    const id = await newRequest();
    expect(await call('POST', `/approvals/${id}/approve`, 'tok-dba1', { reason: 'fine' })).toMatchObject({ status: 200, body: { status: 'approved', approvals: [{ approver: 'dba-1', reason: 'fine' }] } });
    expect(await call('POST', `/approvals/${id}/deny`, 'tok-dba2', { reason: 'late' })).toMatchObject({ status: 409, body: { error: 'not-pending' } });
  });

  it('403 for self-approval and for the wrong group', async () => {
    const id = await newRequest();
    expect(await call('POST', `/approvals/${id}/approve`, 'tok-agent')).toMatchObject({ status: 403, body: { error: 'self-approval' } });
    expect(await call('POST', `/approvals/${id}/approve`, 'tok-sec')).toMatchObject({ status: 403, body: { error: 'not-approver' } });
  });

  it('deny needs a reason (400); 405 for a wrong method; 404 for unknown ids', async () => {
    const id = await newRequest();
    expect(await call('POST', `/approvals/${id}/deny`, 'tok-dba1', {})).toMatchObject({ status: 400 });
    expect(await call('POST', `/approvals/${id}/deny`, 'tok-dba1', { reason: 'no' })).toMatchObject({ status: 200, body: { status: 'denied' } });
    expect(await call('GET', `/approvals/${id}/approve`, 'tok-dba1')).toMatchObject({ status: 405 });
    expect(await call('POST', '/approvals/req_ffffffffffffffff/approve', 'tok-dba1')).toMatchObject({ status: 404 });
  });

  it('leaves the other endpoints as they were', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/healthz`, { method: 'POST' })).status).toBe(405);
  });
});
