// What a rules file holds once it matches the schema (schema.ts): camelCase keys, values as
// written (after interpolation), defaults not yet applied.
import type { CleartextPolicy, UpstreamTlsMode, WireProtocol } from './types.js';

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
}

export interface RawAudit {
  file?: string;
  kafka?: { brokers: string | string[]; topicPrefix?: string; clientId?: string };
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
  policy?: Record<string, unknown>;
  masking?: Record<string, unknown>;
  approvals?: Record<string, unknown>;
}
