// Builds an audit trail from the `audit` section of the rules file on the calling thread: Kafka
// with a spool when brokers are configured, else the JSON-lines file; chained and checkpointed
// either way. For tools and tests; the gateway runs its trail on a worker thread
// (createThreadedAuditSink in threaded-sink.ts).
import type { AuditConfig } from '../policy/config/types.js';
import { newInstanceId } from './chain.js';
import { KafkaTransport } from './kafka-transport.js';
import type { AuditTrail } from './trail.js';
import { auditSigningKey, fileTransport, kafkaTransportOptions, logAuditReady, trailOver, type AuditSinkParts } from './trail-setup.js';

export type { AuditSinkParts } from './trail-setup.js';

/** Throws when the signing key cannot be read. */
export function createAuditSink(config: AuditConfig, parts: AuditSinkParts = {}): AuditTrail {
  const signingKey = auditSigningKey(config, parts.log);
  const instance = parts.instance ?? newInstanceId();
  const transport = config.kafka ? new KafkaTransport(kafkaTransportOptions({ ...config, kafka: config.kafka }, parts)) : fileTransport(config);
  const trail = trailOver(transport, config, instance, signingKey, parts.log);
  logAuditReady(config, instance, signingKey, parts.log);
  return trail;
}
