// JSON Schema (draft-07) of the rules file: the shape only. Meaning (references between sections,
// addresses, URLs, files) is checked afterwards by the semantic stage. rules/schema.json is this
// object written out for editors; a unit test keeps the two equal.
import { maskingSchema } from '../../masking/rules-schema.js';
import { policySchema } from './policy-schema.js';

const name = {
  type: 'string',
  minLength: 1,
  maxLength: 63,
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
  description: 'Letters, digits, `_`, `.`, `-`; starts with a letter or digit.',
} as const;

const hostPort = {
  type: 'string',
  minLength: 1,
  description: 'host:port, e.g. `127.0.0.1:6432`, `[::1]:6432`, `db.internal:5432`.',
} as const;

const nonEmpty = { type: 'string', minLength: 1 } as const;

const listener = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'protocol', 'listen', 'upstream'],
  properties: {
    name: { ...name, description: 'Unique listener name (used in logs, audit and metrics).' },
    protocol: { enum: ['postgres', 'mysql'], description: 'Wire protocol spoken to clients.' },
    listen: { ...hostPort, description: 'Address clients connect to, host:port.', examples: ['127.0.0.1:6432'] },
    upstream: { ...nonEmpty, description: 'Name of the upstream (same protocol) this listener forwards to.' },
    tls: {
      type: 'object',
      additionalProperties: false,
      required: ['cert', 'key'],
      description: 'Client-facing TLS. Both empty (e.g. `${SQLVEIL_TLS_CERT:-}`) means no TLS.',
      properties: {
        cert: { type: 'string', description: 'PEM certificate chain file.' },
        key: { type: 'string', description: 'PEM private key file.' },
      },
    },
    cleartextPassword: {
      enum: ['require-tls', 'tls-or-loopback'],
      default: 'require-tls',
      description: 'When the token may be sent as a cleartext password: only over TLS, or also from loopback clients.',
    },
  },
} as const;

const upstream = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'url'],
  properties: {
    name: { ...name, description: 'Unique upstream name, referenced by listeners and role credentials.' },
    url: {
      ...nonEmpty,
      description: 'postgres://, postgresql://, mysql:// or mariadb:// URL with the default login and database.',
      examples: ['postgres://postgres@127.0.0.1:5432/test', 'mysql://root@127.0.0.1:3306/clinic'],
    },
    tls: {
      type: 'object',
      additionalProperties: false,
      properties: {
        mode: {
          enum: ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'],
          default: 'prefer',
          description: 'TLS to the database. Defaults to the URL `sslmode`, else `prefer`.',
        },
        ca: { type: 'string', description: 'PEM CA bundle file for verify-ca / verify-full.' },
        serverName: { type: 'string', description: 'Host name to verify instead of the URL host.' },
      },
    },
    connectTimeoutMs: { type: 'integer', minimum: 100, maximum: 300000, default: 5000 },
  },
} as const;

const identity = {
  type: 'object',
  additionalProperties: false,
  required: ['issuer', 'audience'],
  description: 'How client JWTs are verified. Give exactly one of `jwks` or `discovery`.',
  properties: {
    issuer: { ...nonEmpty, description: 'Expected `iss` claim.' },
    audience: {
      type: ['string', 'array'],
      minLength: 1,
      minItems: 1,
      items: nonEmpty,
      description: 'Accepted `aud` value(s).',
    },
    jwks: {
      type: 'string',
      description: 'JWKS file path (relative to this file) or https:// URL (http:// only for loopback hosts).',
    },
    discovery: {
      type: 'string',
      description: 'OpenID Connect discovery document URL (…/.well-known/openid-configuration).',
    },
    algorithms: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { type: 'string', examples: ['RS256', 'ES256', 'EdDSA', 'PS256'] },
      default: ['RS256', 'ES256', 'EdDSA', 'PS256'],
      description: 'Accepted signature algorithms; asymmetric only (never `none` or HS*).',
    },
    clockSkewSeconds: { type: 'integer', minimum: 0, maximum: 300, default: 30 },
    subjectClaim: { ...nonEmpty, default: 'sub' },
    groupsClaim: { ...nonEmpty, default: 'groups' },
    userMismatch: {
      enum: ['reject', 'ignore'],
      default: 'reject',
      description: 'What to do when the client startup user differs from the token subject.',
    },
  },
} as const;

const credentials = {
  type: 'object',
  additionalProperties: false,
  required: ['user'],
  description: 'Login for one upstream. An empty `user` means: use the URL login.',
  properties: {
    user: { type: 'string' },
    password: { type: 'string', description: 'Use `${ENV_VAR}`; empty means no password.' },
    passwordFile: { type: 'string', description: 'File holding the password (trailing newline ignored).' },
  },
} as const;

const role = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'groups'],
  properties: {
    name: { ...name, description: 'Unique role name.' },
    groups: {
      type: 'array',
      minItems: 1,
      items: nonEmpty,
      description: 'Token groups mapped to this role; roles are tried in file order, first match wins.',
    },
    credentials: {
      type: 'object',
      additionalProperties: credentials,
      description: 'Upstream name -> login this role uses; upstreams not named use the URL login.',
    },
    upstreamLogin: {
      type: 'object',
      additionalProperties: false,
      description: 'Checks of the upstream login this role uses, made when a session logs in (docs/configuration.md).',
      properties: {
        superuser: {
          enum: ['refuse', 'warn'],
          description:
            'When the login is a superuser or holds a server-wide privilege (PostgreSQL: superuser, BYPASSRLS, pg_monitor, pg_read_all_stats, server file roles; MySQL: SUPER, PROCESS, FILE, ...): refuse the session or log a warning. Default: refuse for a restricted role (a masking rule applies to it, or its policy is not `allow: all`), no check for others.',
        },
      },
    },
  },
} as const;

const audit = {
  type: 'object',
  additionalProperties: false,
  properties: {
    file: { ...nonEmpty, default: 'sqlveil-audit.jsonl', description: 'JSON-lines audit file (relative to this file).' },
    onFailure: {
      enum: ['block', 'drop-and-alert'],
      default: 'block',
      description: 'When events reach neither Kafka nor the spool: refuse statements until audit recovers, or drop events and alert.',
    },
    signingKey: { type: 'string', description: 'Ed25519 private key file (PEM or JWK) signing the checkpoints; empty: unsigned checkpoints.' },
    checkpointIntervalMs: { type: 'integer', minimum: 100, maximum: 3600000, default: 10000, description: 'Interval of signed chain-head checkpoints (also written at shutdown).' },
    redactLiterals: { type: 'boolean', default: true, description: 'Replace literals in audited SQL text with `?`.' },
    spool: {
      type: 'object',
      additionalProperties: false,
      description: 'Local append-only spool used while Kafka is unreachable.',
      properties: {
        dir: { ...nonEmpty, default: 'sqlveil-audit-spool', description: 'Spool directory (relative to this file).' },
        maxBytes: { type: 'integer', minimum: 4096, default: 1073741824, description: 'Spool size bound; when full, onFailure decides.' },
      },
    },
    kafka: {
      type: 'object',
      additionalProperties: false,
      required: ['brokers'],
      properties: {
        brokers: {
          type: ['string', 'array'],
          items: nonEmpty,
          description: 'Comma-separated host:port list or a YAML list; empty means no Kafka.',
        },
        topicPrefix: { ...nonEmpty, default: 'sqlveil' },
        clientId: { ...nonEmpty, default: 'sqlveil' },
        topics: {
          type: 'object',
          additionalProperties: false,
          description: 'Topic names; defaults are <topicPrefix>.audit.sessions, .statements and .approvals.',
          properties: { sessions: nonEmpty, statements: nonEmpty, approvals: nonEmpty },
        },
        partitions: { type: 'integer', minimum: 1, maximum: 1000, default: 3, description: 'Partitions of topics the gateway creates.' },
        lingerMs: { type: 'integer', minimum: 0, maximum: 10000, default: 20, description: 'How long events gather before a send.' },
        batchSize: { type: 'integer', minimum: 1, maximum: 100000, default: 2000, description: 'Most events per send.' },
      },
    },
  },
} as const;

const reserved = (what: string) => ({ type: 'object', description: `Reserved for ${what}.` }) as const;

export const configSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'sqlveil rules file',
  type: 'object',
  additionalProperties: false,
  required: ['version', 'listeners', 'upstreams', 'identity', 'roles'],
  properties: {
    version: { type: 'integer', const: 1, description: 'Rules file format version.' },
    listeners: { type: 'array', minItems: 1, items: listener },
    upstreams: { type: 'array', minItems: 1, items: upstream },
    identity,
    roles: { type: 'array', minItems: 1, items: role },
    audit,
    admin: {
      type: 'object',
      additionalProperties: false,
      required: ['listen'],
      properties: {
        listen: { type: 'string', description: 'host:port of the health/metrics endpoint; empty disables it.' },
      },
    },
    limits: {
      type: 'object',
      additionalProperties: false,
      properties: {
        maxClientMessageBytes: { type: 'integer', minimum: 4096, maximum: 1073741824, default: 67108864 },
        startupTimeoutMs: { type: 'integer', minimum: 100, maximum: 300000, default: 10000 },
      },
    },
    policy: policySchema,
    masking: maskingSchema,
    approvals: reserved('approval workflows'),
  },
} as const;

/** The exact text of rules/schema.json. */
export function renderSchemaJson(): string {
  return `${JSON.stringify(configSchema, null, 2)}\n`;
}
