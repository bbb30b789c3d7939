// Builds the gateway's audit sink from the `audit` section of the rules file: Kafka with a spool
// when brokers are configured, else the JSON-lines file; chained and checkpointed either way.
import type { AuditCells } from '../admin/metrics.js';
import type { Logger } from '../log.js';
import type { AuditConfig } from '../policy/config/types.js';
import { AuditChain } from './chain.js';
import { JsonLinesTransport } from './file-transport.js';
import { KafkaTransport } from './kafka-transport.js';
import { loadSigningKey } from './signing-key.js';
import { AuditSpool } from './spool.js';
import { AuditTrail, type AuditTransport } from './trail.js';

export interface AuditSinkParts {
  log?: Logger;
  cells?: AuditCells;
  /** Instance id (default: host name, start time and a random suffix). */
  instance?: string;
}

/** Throws when the signing key cannot be read: a gateway configured to sign must not run unsigned. */
export function createAuditSink(config: AuditConfig, parts: AuditSinkParts = {}): AuditTrail {
  const signingKey = config.signingKey ? loadSigningKey(config.signingKey) : undefined;
  if (!signingKey) parts.log?.warn('audit: no audit.signingKey: checkpoints are unsigned, so a rewritten trail cannot be told from the real one');
  const transport: AuditTransport = config.kafka
    ? new KafkaTransport({
        kafka: config.kafka,
        spool: new AuditSpool(config.spool.dir, config.spool.maxBytes),
        onFailure: config.onFailure,
        log: parts.log,
        cells: parts.cells,
      })
    : new JsonLinesTransport(config.file, { onFailure: config.onFailure });
  const trail = new AuditTrail(transport, {
    chain: new AuditChain(parts.instance),
    signingKey,
    checkpointIntervalMs: config.checkpointIntervalMs,
    onError: (err) => parts.log?.error({ err: err instanceof Error ? err.message : String(err) }, 'audit: checkpoint failed'),
  });
  parts.log?.info({ instance: trail.instance, to: config.kafka ? config.kafka.topics : config.file, signed: !!signingKey }, 'audit trail ready');
  return trail;
}
