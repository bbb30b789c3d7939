// The pieces both ways of running the trail share (create-sink.ts on the calling thread,
// audit-worker.ts on its own): the signing key, the transports' options, the trail over them.
// Nothing here loads kafkajs: the worker loads it only when brokers are configured.
import type { KeyObject } from 'node:crypto';
import type { AuditCells } from '../admin/metrics.js';
import type { Logger } from '../log.js';
import type { AuditConfig } from '../policy/config/types.js';
import { AuditChain } from './chain.js';
import { JsonLinesTransport } from './file-transport.js';
import type { KafkaTransportOptions } from './kafka-transport.js';
import { loadSigningKey } from './signing-key.js';
import { AuditSpool } from './spool.js';
import { AuditTrail, type AuditTransport } from './trail.js';

export interface AuditSinkParts {
  log?: Logger;
  cells?: AuditCells;
  /** Instance id (default: host name, start time and a random suffix). */
  instance?: string;
}

/** A gateway configured to sign must not run unsigned: an unreadable key throws. */
export function auditSigningKey(config: AuditConfig, log: Logger | undefined): KeyObject | undefined {
  const signingKey = config.signingKey ? loadSigningKey(config.signingKey) : undefined;
  if (!signingKey) log?.warn('audit: no audit.signingKey: checkpoints are unsigned, so a rewritten trail cannot be told from the real one');
  return signingKey;
}

export function logAuditReady(config: AuditConfig, instance: string, signingKey: KeyObject | undefined, log: Logger | undefined): void {
  log?.info({ instance, to: config.kafka ? config.kafka.topics : config.file, signed: !!signingKey }, 'audit trail ready');
}

/** The Kafka transport's options, for `audit.kafka` (set). */
export function kafkaTransportOptions(config: AuditConfig & { kafka: NonNullable<AuditConfig['kafka']> }, parts: AuditSinkParts): KafkaTransportOptions {
  return {
    kafka: config.kafka,
    spool: new AuditSpool(config.spool.dir, config.spool.maxBytes),
    onFailure: config.onFailure,
    log: parts.log,
    cells: parts.cells,
  };
}

export function fileTransport(config: AuditConfig): AuditTransport {
  return new JsonLinesTransport(config.file, { onFailure: config.onFailure });
}

/** The chained, checkpointed trail over its transport. */
export function trailOver(transport: AuditTransport, config: AuditConfig, instance: string, signingKey: KeyObject | undefined, log: Logger | undefined): AuditTrail {
  return new AuditTrail(transport, {
    chain: new AuditChain(instance),
    signingKey,
    checkpointIntervalMs: config.checkpointIntervalMs,
    onError: (err) => log?.error({ err: err instanceof Error ? err.message : String(err) }, 'audit: checkpoint failed'),
  });
}
