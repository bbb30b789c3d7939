// Builds the gateway's audit sink from the `audit` section of the rules file: Kafka with a spool
// when brokers are configured, else the JSON-lines file; chained and checkpointed either way.
// The gateway runs the trail on its own thread (threaded-sink.ts); createAuditSink builds it on
// the calling thread, for tools and tests.
import type { KeyObject } from 'node:crypto';
import type { AuditCells } from '../admin/metrics.js';
import type { Logger } from '../log.js';
import type { AuditConfig } from '../policy/config/types.js';
import { AuditChain, newInstanceId } from './chain.js';
import { JsonLinesTransport } from './file-transport.js';
import { KafkaTransport } from './kafka-transport.js';
import { loadSigningKey } from './signing-key.js';
import { AuditSpool } from './spool.js';
import { ThreadedAuditSink } from './threaded-sink.js';
import { AuditTrail, type AuditTransport } from './trail.js';

export interface AuditSinkParts {
  log?: Logger;
  cells?: AuditCells;
  /** Instance id (default: host name, start time and a random suffix). */
  instance?: string;
}

/** The trail itself, on the calling thread. Throws when the signing key cannot be read. */
export function createAuditSink(config: AuditConfig, parts: AuditSinkParts = {}): AuditTrail {
  const signingKey = readSigningKey(config, parts.log);
  const trail = buildAuditTrail(config, { ...parts, instance: parts.instance ?? newInstanceId() }, signingKey);
  logReady(config, trail.instance, signingKey, parts.log);
  return trail;
}

/**
 * The gateway's sink: the trail runs on a worker thread, so hashing, batching and the Kafka
 * client stay off the thread that relays rows. Throws when the signing key cannot be read.
 */
export function createThreadedAuditSink(config: AuditConfig, parts: AuditSinkParts = {}): ThreadedAuditSink {
  const signingKey = readSigningKey(config, parts.log);
  const instance = parts.instance ?? newInstanceId();
  const sink = new ThreadedAuditSink({ config, instance, signingKey, log: parts.log, cells: parts.cells });
  logReady(config, instance, signingKey, parts.log);
  return sink;
}

/** The chained, checkpointed trail over its transport (on whichever thread calls it). */
export function buildAuditTrail(config: AuditConfig, parts: AuditSinkParts & { instance: string }, signingKey: KeyObject | undefined): AuditTrail {
  const transport: AuditTransport = config.kafka
    ? new KafkaTransport({
        kafka: config.kafka,
        spool: new AuditSpool(config.spool.dir, config.spool.maxBytes),
        onFailure: config.onFailure,
        log: parts.log,
        cells: parts.cells,
      })
    : new JsonLinesTransport(config.file, { onFailure: config.onFailure });
  return new AuditTrail(transport, {
    chain: new AuditChain(parts.instance),
    signingKey,
    checkpointIntervalMs: config.checkpointIntervalMs,
    onError: (err) => parts.log?.error({ err: err instanceof Error ? err.message : String(err) }, 'audit: checkpoint failed'),
  });
}

/** A gateway configured to sign must not run unsigned: an unreadable key throws. */
function readSigningKey(config: AuditConfig, log: Logger | undefined): KeyObject | undefined {
  const signingKey = config.signingKey ? loadSigningKey(config.signingKey) : undefined;
  if (!signingKey) log?.warn('audit: no audit.signingKey: checkpoints are unsigned, so a rewritten trail cannot be told from the real one');
  return signingKey;
}

function logReady(config: AuditConfig, instance: string, signingKey: KeyObject | undefined, log: Logger | undefined): void {
  log?.info({ instance, to: config.kafka ? config.kafka.topics : config.file, signed: !!signingKey }, 'audit trail ready');
}
