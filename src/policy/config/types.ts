// Typed, validated configuration: what the rules file means once loaded.
// Nothing downstream of src/policy/config reads raw YAML or environment variables.

export type WireProtocol = 'postgres' | 'mysql';

/** When the gateway may ask for the token as a cleartext password. */
export type CleartextPolicy = 'require-tls' | 'tls-or-loopback';

export interface TlsFiles {
  /** PEM certificate chain file. */
  certFile: string;
  /** PEM private key file. */
  keyFile: string;
}

export interface ListenerConfig {
  name: string;
  protocol: WireProtocol;
  host: string;
  port: number;
  /** Name of an entry of `upstreams`. */
  upstream: string;
  /** Client-facing TLS; absent means the listener answers SSLRequest with `N`. */
  tls?: TlsFiles;
  cleartextPassword: CleartextPolicy;
}

export type UpstreamTlsMode = 'disable' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

export interface UpstreamConfig {
  name: string;
  protocol: WireProtocol;
  host: string;
  port: number;
  database: string;
  /** Default login from the URL, used by a role that names no credentials for this upstream. */
  user: string;
  password?: string;
  tls: { mode: UpstreamTlsMode; caFile?: string; serverName?: string };
  connectTimeoutMs: number;
}

export interface Credentials {
  user: string;
  /** Resolved secret: from `password` (interpolated) or read from `passwordFile` at load time. */
  password?: string;
}

export interface RoleConfig {
  name: string;
  /** Token groups that map to this role. Roles are tried in file order: the first match wins. */
  groups: string[];
  /** Upstream name -> service credentials this role logs in with. */
  credentials: Record<string, Credentials>;
}

export interface IdentityConfig {
  issuer: string;
  audience: string[];
  /** Exactly one source of keys. */
  jwks: { kind: 'file'; path: string } | { kind: 'url'; url: string } | { kind: 'discovery'; url: string };
  algorithms: string[];
  clockSkewSeconds: number;
  subjectClaim: string;
  groupsClaim: string;
  /** What to do when the startup user differs from the token subject. */
  userMismatch: 'reject' | 'ignore';
}

export interface AuditConfig {
  /** JSON-lines file used when no Kafka brokers are configured. */
  file: string;
  kafka?: { brokers: string[]; topicPrefix: string; clientId: string };
}

export interface AdminConfig {
  host: string;
  port: number;
}

export interface GatewayConfig {
  version: 1;
  /** Absolute path of the file this was loaded from (for reloads and messages). */
  source: string;
  listeners: ListenerConfig[];
  upstreams: UpstreamConfig[];
  identity: IdentityConfig;
  roles: RoleConfig[];
  audit: AuditConfig;
  admin?: AdminConfig;
  limits: {
    /** Largest message a client may send, in bytes; larger is a protocol error, never an allocation. */
    maxClientMessageBytes: number;
    /** Close a client that has not completed startup within this time. */
    startupTimeoutMs: number;
  };
}
