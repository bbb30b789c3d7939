// What a listener's connections need from the running gateway; built once per listener.
import type tls from 'node:tls';
import type { ListenerConfig, RoleConfig, UpstreamConfig } from '../policy/config/types.js';
import type { TokenVerifier } from '../identity/types.js';
import type { PipelineParts } from '../session/pipeline.js';
import type { GatewayMetrics } from '../admin/metrics.js';
import type { Logger } from '../log.js';
import type { CancelRegistry } from './cancel-registry.js';

export interface ListenerContext {
  listener: ListenerConfig;
  upstream: UpstreamConfig;
  /** Upstream CA, read once at start. */
  upstreamCa: Buffer | undefined;
  roles: RoleConfig[];
  verifier: TokenVerifier;
  userMismatch: 'reject' | 'ignore';
  tlsContext: tls.SecureContext | undefined;
  cancels: CancelRegistry;
  metrics: GatewayMetrics;
  /** Current pipeline parts; a function so a reloaded policy applies to new statements. */
  pipelineParts: () => PipelineParts;
  limits: { maxClientMessageBytes: number; startupTimeoutMs: number };
  log: Logger;
}
