// Typed, validated configuration: what the rules file means once loaded.
// Nothing downstream of src/policy/config reads raw YAML or environment variables.
import type { RiskFlag, StatementKind } from '../../sql/analysis.js';

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
  /** What the gateway checks of this role's upstream login at each session login (always set by the loader). */
  upstreamLogin?: UpstreamLoginCheck;
}

/**
 * A superuser-like upstream login (PostgreSQL superuser, BYPASSRLS or a server-wide role; MySQL
 * SUPER, PROCESS, FILE or their MariaDB/MySQL 8 equivalents): refuse the session, warn, or not
 * checked (`allow`: only for a role that is not restricted and sets nothing).
 */
export interface UpstreamLoginCheck {
  superuser: 'refuse' | 'warn' | 'allow';
  /** A masking rule applies to the role, or its statement policy is not `allow: all`. */
  restricted: boolean;
  /** The rules file set `superuser` itself; otherwise it is the default (refuse when restricted). */
  configured: boolean;
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
  kafka?: AuditKafkaConfig;
  /** What happens when events can reach neither Kafka nor the spool: refuse statements (block) or drop them and alert. */
  onFailure: 'block' | 'drop-and-alert';
  /** Ed25519 private key file (PEM or JWK) that signs checkpoints; absent: checkpoints are unsigned. */
  signingKey?: string;
  /** How often the chain head is checkpointed (also at shutdown). */
  checkpointIntervalMs: number;
  /** Replace literals in audited SQL text with `?` (default true). */
  redactLiterals: boolean;
  /** Local append-only spool for events while Kafka is unreachable. */
  spool: { dir: string; maxBytes: number };
}

export interface AuditKafkaConfig {
  brokers: string[];
  topicPrefix: string;
  clientId: string;
  topics: { sessions: string; statements: string; approvals: string };
  /** Partitions of the topics the gateway creates when they are missing. */
  partitions: number;
  /** Events are gathered this long (or up to batchSize) before one send. */
  lingerMs: number;
  batchSize: number;
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
  /** Statement policy; absent when the file has no `policy` section (then every statement is allowed). */
  policy?: PolicyConfig;
  /** PHI masking; absent when the file has no `masking` section (then nothing is masked). */
  masking?: MaskingConfig;
  audit: AuditConfig;
  admin?: AdminConfig;
  limits: {
    /** Largest message a client may send, in bytes; larger is a protocol error, never an allocation. */
    maxClientMessageBytes: number;
    /** Close a client that has not completed startup within this time. */
    startupTimeoutMs: number;
  };
}

/** enforce: decisions apply. observe: decisions are logged and audited but never applied (rollouts). */
export type PolicyMode = 'enforce' | 'observe';

export interface PolicyConfig {
  /** The file-wide mode; a role's own `mode` overrides it (see RolePolicy.mode). */
  mode: PolicyMode;
  /** What happens to a statement string the parser cannot read. */
  unparsable: 'refuse' | 'allow';
  /** Role name -> its rules. A role with no entry may run nothing. */
  roles: Record<string, RolePolicy>;
}

export interface RolePolicy {
  role: string;
  /** Effective mode: the role's own `mode`, else the file-wide one. */
  mode: PolicyMode;
  /** Statement kinds the role may run (`all` is expanded to every kind). */
  allow: StatementKind[];
  /** Refused even when the kind is allowed. Function patterns are globs, `name` or `schema.name`. */
  block: { flags: RiskFlag[]; functions: string[] };
  /** `schema.table` globs; `allow` absent means any table not denied. */
  tables: { allow?: string[]; deny: string[] };
  /**
   * Only these functions may be called (globs, `name` or `schema.name`); absent: any function
   * not blocked. `describe` words the list for refusal messages ("aggregates, string, ...").
   */
  functions?: { allow: string[]; describe?: string };
  /** Only these settings may be changed (SET, RESET, startup parameters); absent: any. */
  settings?: { allow: string[] };
  /** Export limit: rows one statement may return to this role. */
  maxRows?: number;
  /** A read of a protected table with no LIMIT, or a LIMIT above maxRows. */
  unbounded: 'refuse' | 'approve' | 'allow';
  /** `schema.table` globs of the tables `unbounded` guards. */
  protected: string[];
  approvals: ApprovalRule[];
  /**
   * Rules applied in observe mode only, as rule ids: `allow`, `block.flags.<flag>`,
   * `block.functions`, `functions.allow`, `settings.allow`, `tables`, `unbounded`, `maxRows`,
   * `approvals.<name>`.
   */
  observe: string[];
}

/** When a statement needs an approval; every condition given must hold. */
export interface ApprovalCondition {
  /** The statement has a LIMIT above this (a statement with no LIMIT does not match). */
  limitAbove?: number;
  kinds?: StatementKind[];
  /** `schema.table` globs; any table read or written matching one. */
  tables?: string[];
  /** Any of these risk flags. */
  flags?: RiskFlag[];
  /** A read of a protected table with no LIMIT or a LIMIT above maxRows. */
  unbounded?: true;
}

export interface ApprovalRule {
  name: string;
  /** The role whose rules hold this approval. */
  role: string;
  when: ApprovalCondition;
  /** reject: refuse naming the request id, a retry after approval runs once. wait: hold the statement until approved. */
  mode: 'reject' | 'wait';
  /** Token groups allowed to approve. */
  approvers: string[];
  approvalsNeeded: number;
  /** How long a granted approval stays usable. */
  ttlMs: number;
  /** mode wait: how long the statement is held before it is refused. */
  waitTimeoutMs: number;
}

export type MaskingStrategyName = 'redact' | 'null' | 'partial' | 'email' | 'hash' | 'generalize' | 'format' | 'detect';

/** A strategy with its options, defaults applied (docs/masking.md). */
export type MaskingStrategy =
  | { kind: 'redact'; text: string }
  | { kind: 'null' }
  | { kind: 'partial'; keepFirst: number; keepLast: number; maskChar: string }
  | { kind: 'email'; keepDomain: boolean; maskChar: string }
  | { kind: 'hash'; prefix: string; length: number }
  | { kind: 'generalize'; to: 'year' | 'month' | 'zip3' | 'band'; width: number; max?: number }
  | { kind: 'format' }
  | { kind: 'detect' };

export interface MaskingRule {
  /** Unique rule name, used in plans, refusals and audit. */
  name: string;
  /** `schema.table.column` globs (schema is the MySQL database); matched ignoring case. */
  columns: string[];
  /** Roles the rule applies to; undefined: every role. */
  roles?: string[];
  /** Roles that see raw values although the rule matches (privileged unmasking, audited). */
  except: string[];
  strategy: MaskingStrategy;
  /** Whether the masked roles may use the column outside the select list; absent: deny (blind inference). */
  filter?: 'deny' | 'allow';
}

export type BuiltinDetectorName = 'ssn' | 'email' | 'phone' | 'date' | 'credit-card' | 'ipv4' | 'ipv6' | 'url';

export interface PatternDetectorConfig {
  name: string;
  /** JavaScript regular expression source, checked at load. */
  regex: string;
  ignoreCase: boolean;
  /** Text written in place of a match. */
  replacement: string;
}

export interface DictionaryConfig {
  name: string;
  /** Initial words (each entry is split into words); the runtime may replace them (setDictionary). */
  words: string[];
  /** Words shorter than this are ignored (too many false matches). */
  minLength: number;
  replacement: string;
  /** Where the gateway refreshes the words from, and how often. */
  refresh?: { query: string; everyMs: number; upstream?: string };
}

export interface MaskingConfig {
  /** Output columns whose lineage is opaque and that touch a protected table. */
  onUnknownLineage: 'refuse' | 'mask' | 'allow';
  /** Key of `hash` and `format`; absent when no source is configured. `ephemeral`: random per process. */
  hashKey?: { source: 'value' | 'file'; key: Buffer } | { source: 'ephemeral' };
  detectors: { builtin: BuiltinDetectorName[]; patterns: PatternDetectorConfig[]; dictionaries: DictionaryConfig[] };
  rules: MaskingRule[];
}
