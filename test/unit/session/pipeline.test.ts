import { describe, expect, it } from 'vitest';
import { MemoryAuditSink } from '../../../src/audit/sink.js';
import { GatewayMetrics } from '../../../src/admin/metrics.js';
import { allowAllGate, passThroughResults, SessionPipeline } from '../../../src/session/pipeline.js';
import type { SessionInfo } from '../../../src/session/types.js';

const session: SessionInfo = {
  id: 'ses_test',
  identity: { subject: 'agent-1', groups: ['agents'], role: 'agent', issuer: 'https://idp.test/', expiresAt: Date.now() / 1000 + 600 } as SessionInfo['identity'],
  client: { protocol: 'postgres', listener: 'pg', address: '127.0.0.1', port: 5000, tls: false, startupUser: 'agent-1', database: 'test', traceIds: {} },
  upstream: 'pg',
  startedAt: new Date(),
};

class BrokenAudit extends MemoryAuditSink {
  down = false;
  override writable(): boolean {
    return !this.down;
  }
}

describe('SessionPipeline', () => {
  it('refuses statements while the audit trail cannot take them, and recovers with it', () => {
    const audit = new BrokenAudit();
    const pipeline = new SessionPipeline(session, { gate: allowAllGate, results: passThroughResults, audit, metrics: new GatewayMetrics() });
    expect(pipeline.statement({ sql: 'select 1', via: 'simple', name: '' })).toMatchObject({ action: 'allow' });
    audit.down = true;
    expect(pipeline.statement({ sql: 'select 1', via: 'simple', name: '' })).toMatchObject({ action: 'deny', sqlState: '58000', rule: 'audit' });
    audit.down = false;
    expect(pipeline.statement({ sql: 'select 1', via: 'simple', name: '' })).toMatchObject({ action: 'allow' });
  });
});
