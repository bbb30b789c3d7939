// Small chains of audit events for tests: made in memory, turned into file-like records.
import type { SessionPipeline } from '../../../src/session/pipeline.js';
import type { RunOutcome, StatementDecision, StatementRequest } from '../../../src/session/types.js';
import { AuditChain } from '../../../src/audit/chain.js';
import { makeCheckpoint } from '../../../src/audit/checkpoint.js';
import type { CheckpointEvent, ChainedEvent, StoredEvent } from '../../../src/audit/event.js';
import type { AuditHealth } from '../../../src/audit/sink.js';
import type { AuditRecord, AuditTransport } from '../../../src/audit/trail.js';
import { ChainVerifier, type StoredRecord, type VerifyReport } from '../../../src/audit/verify.js';
import type { KeyObject } from 'node:crypto';

export function makeEvents(n: number, instance = 'gw-test'): { chain: AuditChain; events: ChainedEvent[] } {
  const chain = new AuditChain(instance);
  const events: ChainedEvent[] = [];
  for (let i = 0; i < n; i++) {
    events.push(
      chain.link({ type: 'statement', session: `ses_${i % 3}`, at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), via: 'simple', sql: `select ? as c${i}`, redacted: true, decision: 'allow' }),
    );
  }
  return { chain, events };
}

export async function finalCheckpoint(chain: AuditChain, key?: KeyObject): Promise<CheckpointEvent> {
  return makeCheckpoint(chain.position(), '2026-01-01T01:00:00.000Z', true, key);
}

/** One record per line, as `audit.jsonl:LINE`. */
export function asLines(items: (StoredEvent | string)[]): StoredRecord[] {
  return items.map((item, i) => ({ position: `audit.jsonl:${i + 1}`, stream: 'audit.jsonl', index: i + 1, raw: typeof item === 'string' ? item : JSON.stringify(item) }));
}

export async function verifyLines(items: (StoredEvent | string)[], key?: KeyObject): Promise<VerifyReport> {
  const v = new ChainVerifier();
  for (const r of asLines(items)) v.add(r);
  return v.finish(key);
}

export function errorsOf(report: VerifyReport): { kind: string; position?: string; message: string }[] {
  return report.findings.filter((f) => f.severity === 'error').map((f) => ({ kind: f.kind, position: f.position, message: f.message }));
}

/** Keeps what the trail writes, in order. */
export class MemoryTransport implements AuditTransport {
  readonly written: StoredEvent[] = [];
  write(record: AuditRecord): void {
    this.written.push(JSON.parse(record.json) as StoredEvent);
  }
  writable(): boolean {
    return true;
  }
  health(): AuditHealth {
    return { transport: 'memory', state: 'ok', writable: true, queueDepth: 0, spoolBytes: 0, lagMs: 0, sent: this.written.length, failed: 0, dropped: 0 };
  }
  async close(): Promise<void> {}
}

/** What protocol code does with a statement: decide, and for an allowed one report the end of its run. */
export async function runStatement(pipeline: SessionPipeline, req: StatementRequest): Promise<StatementDecision> {
  const decision = await pipeline.statement(req);
  const run: RunOutcome = { rows: 1, startedAt: performance.now() - 0.4, sqlState: undefined, execute: false, interrupted: false };
  if (decision.action === 'allow') pipeline.statementEnd(pipeline.context(req, decision), run);
  return decision;
}
