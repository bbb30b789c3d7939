// The gateway's approvals from its configuration: shared through Kafka when audit.kafka.brokers
// is set, else kept in this instance's memory (and the log says so).
import type { AuditSink } from '../audit/sink.js';
import type { TokenVerifier } from '../identity/types.js';
import type { Logger } from '../log.js';
import type { GatewayConfig, PolicyConfig } from '../policy/config/types.js';
import { approverVerifier } from './approver-verifier.js';
import { ApprovalService } from './service.js';
import { MemoryApprovalStore, type ApprovalStore } from './store.js';

export interface GatewayApprovals {
  service: ApprovalService;
  /** Verifies approvers' tokens for the admin API. */
  approvers: TokenVerifier;
  close(): Promise<void>;
}

export interface ApprovalsSetup {
  audit: AuditSink;
  log: Logger;
  policy: () => PolicyConfig | undefined;
  /** Overrides audit.kafka.topics.approvals (default `<topicPrefix>.audit.approvals`). */
  topic?: string;
}

export async function startApprovals(config: GatewayConfig, setup: ApprovalsSetup): Promise<GatewayApprovals> {
  const log = setup.log.child({ component: 'approvals' });
  const kafka = config.audit.kafka;
  let store: ApprovalStore;
  if (kafka && kafka.brokers.length > 0) {
    // kafkajs is loaded only when brokers are configured (it costs the process about 14 MB).
    const { KafkaApprovalStore } = await import('./kafka-store.js');
    store = new KafkaApprovalStore({ brokers: kafka.brokers, topic: setup.topic ?? kafka.topics.approvals, clientId: kafka.clientId, log });
  } else {
    store = new MemoryApprovalStore();
  }
  await store.start();
  if (store instanceof MemoryApprovalStore) {
    log.warn('approvals: no Kafka brokers configured (audit.kafka.brokers): approval requests are kept in memory by this gateway instance only; other instances do not see them and a restart forgets them');
  } else {
    log.info({ store: store.description }, 'approvals: shared through Kafka');
  }
  const service = new ApprovalService({ store, audit: setup.audit, log, showLiterals: config.audit.redactLiterals === false });
  return {
    service,
    approvers: approverVerifier(config.identity, config.roles, setup.policy),
    close: () => {
      service.close();
      return store.close();
    },
  };
}
