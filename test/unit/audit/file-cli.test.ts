import { runStatement } from './helpers.js';
// The JSON-lines fallback end to end: the trail writes chained events to the file, and
// `audit verify --file` and `sessions list|show|export --file` read it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAuditSink } from '../../../src/audit/create-sink.js';
import { GatewayMetrics } from '../../../src/admin/metrics.js';
import { SessionPipeline, passThroughResults } from '../../../src/session/pipeline.js';
import type { SessionInfo } from '../../../src/session/types.js';
import { runAuditVerify } from '../../../src/cli/audit-verify.js';
import { runAuditKeygen } from '../../../src/cli/audit-keygen.js';
import { runSessions } from '../../../src/cli/sessions-command.js';

let dir: string;
let file: string;

async function run(fn: (args: string[]) => Promise<number>, args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  try {
    return { code: await fn(args), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

const sessionOf = (id: string, subject: string, role: string): SessionInfo => ({
  id,
  identity: { subject, groups: [role === 'agent' ? 'agents' : 'dba'], role, issuer: 'https://idp.test/', expiresAt: 2e9 },
  client: { protocol: 'postgres', listener: 'pg', address: '127.0.0.1', port: 5555, tls: false, startupUser: subject, database: 'test', applicationName: 'psql', traceIds: {} },
  upstream: 'main',
  startedAt: new Date(),
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sqlveil-audit-file-'));
  file = join(dir, 'audit.jsonl');
  expect((await run(runAuditKeygen, ['--out', join(dir, 'keys')])).code).toBe(0);
  const sink = createAuditSink({
    file,
    onFailure: 'block',
    checkpointIntervalMs: 60_000,
    redactLiterals: true,
    signingKey: join(dir, 'keys', 'audit-signing.key.pem'),
    spool: { dir: join(dir, 'spool'), maxBytes: 1 << 20 },
  });
  const metrics = new GatewayMetrics();
  const gate = { decide: (_s: SessionInfo, r: { sql: string }) => (/drop/i.test(r.sql) ? { action: 'deny' as const, sqlState: '42501', rule: 'block.kinds', message: 'sqlveil: DDL is not allowed' } : { action: 'allow' as const }) };
  const agent = new SessionPipeline(sessionOf('ses_agent', 'agent-1', 'agent'), { gate, results: passThroughResults, audit: sink, metrics });
  await runStatement(agent, { sql: "select * from clinic.patients where full_name = 'Ada Quintero'", via: 'simple', name: '' });
  await runStatement(agent, { sql: 'drop table clinic.clinics', via: 'simple', name: '' });
  agent.end('client closed');
  const dba = new SessionPipeline(sessionOf('ses_dba', 'dba-1', 'dba'), { gate, results: passThroughResults, audit: sink, metrics });
  await runStatement(dba, { sql: 'select 1', via: 'simple', name: '' });
  dba.end('client closed');
  await sink.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('audit on the JSON-lines file', () => {
  it('verify passes with and without the public key; nothing of the literals is stored', async () => {
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('Ada Quintero');
    expect(text.trim().split('\n')).toHaveLength(8); // 7 events and the final checkpoint
    const plain = await run(runAuditVerify, ['--file', file]);
    expect(plain.code).toBe(0);
    expect(plain.out.trim().split('\n').pop()).toBe('verify OK: 7 events, 1 instances, 1 checkpoints (signatures not checked: no --public-key), 0 warnings');
    const keyed = await run(runAuditVerify, ['--file', file, '--public-key', join(dir, 'keys', 'audit-signing.pub.pem')]);
    expect(keyed.out.trim().split('\n').pop()).toBe('verify OK: 7 events, 1 instances, 1/1 checkpoints signature-verified, 0 warnings');
  });

  it('verify reports a deleted line with its neighbours and exits 1', async () => {
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const copy = join(dir, 'tampered.jsonl');
    writeFileSync(copy, `${[...lines.slice(0, 2), ...lines.slice(3)].join('\n')}\n`);
    const r = await run(runAuditVerify, ['--file', copy]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`ERROR missing: event `);
    expect(r.out).toContain(`#2 is missing (between ${copy}:2 and ${copy}:3)`);
    expect(r.out.trim().split('\n').pop()).toMatch(/^verify FAILED: 1 problems; 6 events/);
  });

  it('sessions list filters by identity, table and decision; show replays; export writes CSV', async () => {
    const all = await run(runSessions, ['list', '--file', file]);
    expect(all.out).toMatch(/ses_agent .* agent-1 .* 2 statements, 1 denied .*ended: client closed/);
    expect(all.out.trim().split('\n').pop()).toBe('2 sessions');
    expect((await run(runSessions, ['list', '--file', file, '--subject', 'dba-1'])).out).not.toContain('ses_agent');
    expect((await run(runSessions, ['list', '--file', file, '--decision', 'deny'])).out.trim().split('\n').pop()).toBe('1 sessions');
    expect((await run(runSessions, ['list', '--file', file, '--since', '2999-01-01T00:00:00Z'])).out.trim()).toBe('0 sessions');

    const show = await run(runSessions, ['show', 'ses_agent', '--file', file]);
    expect(show.out).toContain('who      agent-1, role agent');
    expect(show.out).toMatch(/ALLOW select \* from clinic\.patients where full_name = \?/);
    expect(show.out).toMatch(/DENY {2}drop table clinic\.clinics {3}\[rule block\.kinds; SQLSTATE 42501\]/);

    const csv = await run(runSessions, ['export', '--file', file, '--format', 'csv', '--subject', 'agent-1']);
    const rows = csv.out.trim().split('\n');
    expect(rows[0]).toBe('at,session,type,subject,actor,role,decision,rule,kind,tables,sql,rows,sqlState,instance,seq');
    expect(rows).toHaveLength(5);
    expect(csv.err).toMatch(/exported 4 events of 1 sessions/);
    const jsonl = await run(runSessions, ['export', '--file', file]);
    expect(jsonl.out.trim().split('\n').map((l) => (JSON.parse(l) as { type: string }).type)).toContain('statement');
  });
});

describe('sessions on a trail with copies', () => {
  it('counts an event stored twice (two topics, or a duplicate) once', async () => {
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const copy = join(dir, 'doubled.jsonl');
    writeFileSync(copy, `${[...lines, ...lines].join('\n')}\n`);
    const list = await run(runSessions, ['list', '--file', copy, '--subject', 'agent-1']);
    expect(list.out).toMatch(/2 statements, 1 denied/);
    const verify = await run(runAuditVerify, ['--file', copy, '--quiet']);
    expect(verify.code).toBe(1);
    expect(verify.out).toMatch(/ERROR duplicated: event .*#0 is duplicated: first at .*doubled\.jsonl:1/);
  });
});
