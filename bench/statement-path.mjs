// The per-statement cost of the gateway's session pipeline, without sockets: analysis, policy,
// masking admission and result planning, and the audit event written at the end of the run, for
// a pgbench -S statement with a fresh literal each time (the shape cache hits, as on a real
// connection). Run after `npm run build`:  node bench/statement-path.mjs [iterations]
import { loadConfigFile } from '../dist/src/policy/config/load.js';
import { PolicyStore } from '../dist/src/policy/policy-store.js';
import { PolicyGate } from '../dist/src/session/policy-gate.js';
import { SessionPipeline } from '../dist/src/session/pipeline.js';
import { ResultMasking } from '../dist/src/session/result-masking.js';
import { GatewayMetrics } from '../dist/src/admin/metrics.js';
import { AuditTrail } from '../dist/src/audit/trail.js';
import { JsonLinesTransport } from '../dist/src/audit/file-transport.js';
import { createPgAnalyzer } from '../dist/src/sql/pg-analyzer.js';
import { createMysqlAnalyzer } from '../dist/src/sql/mysql-analyzer.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const N = Number(process.argv[2] ?? 200_000);
const dir = mkdtempSync(join(tmpdir(), 'sqlveil-bench-'));
writeFileSync(join(dir, 'jwks.json'), JSON.stringify({ keys: [] }));
const env = { ...process.env, SQLVEIL_JWKS: join(dir, 'jwks.json'), SQLVEIL_ISSUER: 'https://bench/' };
const loaded = await loadConfigFile('rules/hipaa.yaml', env);
if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
const config = loaded.config;
const silent = { info() {}, warn() {}, error() {}, debug() {}, child() { return silent; } };
const policy = new PolicyStore(config, silent, { env });
const audit = new AuditTrail(new JsonLinesTransport(join(dir, 'audit.jsonl')));
const gate = new PolicyGate({ analyzers: { postgres: await createPgAnalyzer(), mysql: await createMysqlAnalyzer() }, policy: () => policy.current() });
const results = new ResultMasking({ masking: () => policy.masking(), catalog: () => undefined });
const parts = { gate, results, audit, metrics: new GatewayMetrics() };
const columns = [{ name: 'abalance', origin: { protocol: 'postgres', tableOid: 16400, columnAttr: 3 }, typeId: 23, format: 'text' }];

function session(role) {
  return {
    id: `s-${role}`,
    identity: { subject: 'bench', groups: [role], role, issuer: 'https://bench/', expiresAt: 2e9 },
    client: { protocol: 'postgres', listener: 'pg', address: '127.0.0.1', port: 1, tls: false, startupUser: 'bench', database: 'test', traceIds: {} },
    upstream: 'pg',
    startedAt: new Date(),
  };
}

function run(role, n) {
  const pipeline = new SessionPipeline(session(role), parts);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const sql = `SELECT abalance FROM pgbench_accounts WHERE aid = ${(i * 7919) % 1000000};`;
    const req = { sql, via: 'simple', name: '' };
    const d = pipeline.statement(req);
    if (d.action !== 'allow') throw new Error(`${role}: ${d.message}`);
    const context = pipeline.context(req, d);
    pipeline.resultColumns(columns, d.statements?.[0]);
    pipeline.resultEnd(1);
    pipeline.statementEnd(context, { rows: 1, startedAt: performance.now(), sqlState: undefined, execute: false, interrupted: false });
  }
  return Number(process.hrtime.bigint() - t0) / 1000 / n;
}

for (const role of ['dba', 'dba']) run(role, N / 4); // warm up
for (const role of ['dba']) console.log(`${role}: ${run(role, N).toFixed(2)} µs per statement`);
await audit.close();
rmSync(dir, { recursive: true, force: true });
