// What a rules file holds once it matches the schema (schema.ts): camelCase keys, values as
// written (after interpolation), defaults not yet applied.
import type { RiskFlag, StatementKind } from '../../sql/analysis.js';
import type { CleartextPolicy, PolicyMode, UpstreamTlsMode, WireProtocol } from './types.js';

export interface RawListener {
  name: string;
  protocol: WireProtocol;
  listen: string;
  upstream: string;
  tls?: { cert: string; key: string };
  cleartextPassword?: CleartextPolicy;
}

export interface RawUpstream {
  name: string;
  url: string;
  tls?: { mode?: UpstreamTlsMode; ca?: string; serverName?: string };
  connectTimeoutMs?: number;
}

export interface RawIdentity {
  issuer: string;
  audience: string | string[];
  jwks?: string;
  discovery?: string;
  algorithms?: string[];
  clockSkewSeconds?: number;
  subjectClaim?: string;
  groupsClaim?: string;
  userMismatch?: 'reject' | 'ignore';
}

export interface RawCredentials {
  user: string;
  password?: string;
  passwordFile?: string;
}

export interface RawRole {
  name: string;
  groups: string[];
  credentials?: Record<string, RawCredentials>;
  upstreamLogin?: { superuser?: 'refuse' | 'warn' };
}

export interface RawAudit {
  file?: string;
  kafka?: {
    brokers: string | string[];
    topicPrefix?: string;
    clientId?: string;
    topics?: { sessions?: string; statements?: string; approvals?: string };
    partitions?: number;
    lingerMs?: number;
    batchSize?: number;
  };
  onFailure?: 'block' | 'drop-and-alert';
  signingKey?: string;
  checkpointIntervalMs?: number;
  redactLiterals?: boolean;
  spool?: { dir?: string; maxBytes?: number };
}

export interface RawConfig {
  version: 1;
  listeners: RawListener[];
  upstreams: RawUpstream[];
  identity: RawIdentity;
  roles: RawRole[];
  audit?: RawAudit;
  admin?: { listen: string };
  limits?: { maxClientMessageBytes?: number; startupTimeoutMs?: number };
  policy?: RawPolicy;
  masking?: Record<string, unknown>;
  approvals?: Record<string, unknown>;
}

export interface RawApproval {
  name: string;
  when: { limitAbove?: number; kinds?: StatementKind[]; tables?: string[]; flags?: RiskFlag[]; unbounded?: true };
  mode?: 'reject' | 'wait';
  approvers: string[];
  approvalsNeeded?: number;
  ttl?: string;
  waitTimeout?: string;
}

export interface RawRolePolicy {
  mode?: PolicyMode;
  /** `all` or a list; any other string is reported by build-policy.ts. */
  allow: string | StatementKind[];
  block?: { flags?: RiskFlag[]; functions?: string[] };
  tables?: { allow?: string[]; deny?: string[] };
  functions?: { allow?: string[]; describe?: string };
  settings?: { allow?: string[] };
  maxRows?: number;
  unbounded?: 'refuse' | 'approve' | 'allow';
  protected?: string[];
  approvals?: RawApproval[];
  observe?: string[];
}

export interface RawPolicy {
  mode?: PolicyMode;
  unparsable?: 'refuse' | 'allow';
  roles?: Record<string, RawRolePolicy>;
}
