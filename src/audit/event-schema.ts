// JSON Schema (draft-07) of audit events, version 1: what consumers of the topics and the file can
// rely on. rules/audit-event.schema.json is this object written out; a unit test keeps the two equal
// and validates the events the gateway emits against it. New optional fields may appear in v1;
// removing or changing a field needs v2.

const str = { type: 'string' } as const;
const nonEmpty = { type: 'string', minLength: 1 } as const;
const count = { type: 'integer', minimum: 0 } as const;
const hash = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
const strings = { type: 'array', items: str } as const;

/** What masking did in a run's result sets, per masked column; never values. */
const maskedColumns = {
  type: 'array',
  description: 'Columns masked in the result sets of the run, in order, with rule, strategy and number of cells; never values.',
  items: {
    type: 'object',
    required: ['strategy', 'cells'],
    properties: {
      index: count,
      name: { ...str, description: 'Result column name (absent for a content scan of a result of unknown provenance).' },
      strategy: str,
      rule: str,
      via: { enum: ['origin', 'lineage', 'unknown-lineage'] },
      cells: { ...count, description: 'Cells the strategy was applied to (for detect: cells it changed).' },
      detections: { type: 'object', additionalProperties: count, description: 'detect only: identifiers found per detector.' },
    },
  },
} as const;

const privilegedColumns = {
  type: 'array',
  description: 'Columns a privileged role saw unmasked, with the rules that would have masked them.',
  items: { type: 'object', properties: { index: count, name: str, rules: strings } },
} as const;

/** Fields every chained event carries. */
const envelope = {
  type: 'object',
  required: ['v', 'type', 'session', 'at', 'instance', 'seq', 'prevHash', 'hash'],
  properties: {
    v: { enum: [1, 2], description: 'Event schema version: 2 is written now (hash over the stored bytes); 1 hashed canonical JSON.' },
    type: { ...nonEmpty, description: 'Event type; the matching definition lists its fields.' },
    session: { ...nonEmpty, description: "Session id (`ses_...`); '-' for events of no session." },
    at: { type: 'string', format: 'date-time', description: 'When it happened (ISO-8601, UTC).' },
    instance: { ...nonEmpty, description: 'The gateway instance whose chain this event belongs to.' },
    seq: { ...count, description: 'Position in the instance chain, from 0, without gaps.' },
    prevHash: { ...hash, description: 'hash of the previous event of the instance (64 zeros for seq 0).' },
    hash: { ...hash, description: 'SHA-256 (hex) of the canonical JSON of this event without `hash`: keys sorted, no whitespace.' },
  },
} as const;

const identity = {
  type: 'object',
  required: ['subject', 'groups', 'role'],
  properties: {
    subject: { ...str, description: 'Token subject.' },
    groups: strings,
    role: { ...str, description: 'Role from the rules file.' },
    issuer: str,
    tokenId: { ...str, description: 'The token `jti`, when it has one.' },
    actor: {
      type: 'object',
      required: ['subject', 'chain'],
      description: 'Who acts for the subject (RFC 8693 `act` claim): an agent acting for a person.',
      properties: { subject: str, chain: { ...strings, description: 'Earlier actors, outermost first.' } },
    },
  },
} as const;

const client = {
  type: 'object',
  required: ['protocol', 'address'],
  properties: {
    protocol: { enum: ['postgres', 'mysql'] },
    listener: str,
    address: str,
    port: { type: 'integer' },
    tls: { type: 'boolean' },
    startupUser: { ...str, description: 'The user name of the startup message (the token decides the identity).' },
    database: str,
    applicationName: str,
    traceIds: { type: 'object', additionalProperties: str, description: 'e.g. traceparent, from startup options or connection attributes.' },
  },
} as const;

const typed = (type: string, description: string, required: string[], properties: Record<string, unknown>) =>
  ({
    description,
    allOf: [{ $ref: '#/definitions/envelope' }, { type: 'object', required: ['type', ...required], properties: { type: { const: type }, ...properties } }],
  }) as const;

const decision = { enum: ['allow', 'deny', 'approve'] } as const;

/** Repeated on every event of a session, so one event says who without a join to session.start. */
const who = {
  subject: { ...str, description: 'Token subject of the session.' },
  role: { ...str, description: 'Role of the session.' },
  actor: { ...str, description: 'Subject of the party acting for it (RFC 8693 `act`), when there is one.' },
} as const;

export const auditEventSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://github.com/sqlveil/sqlveil/rules/audit-event.schema.json',
  title: 'sqlveil audit event, version 1',
  description:
    'One message on the audit topics (or one line of the JSON-lines file). Every event but a checkpoint is chained; see docs/audit.md.',
  oneOf: [
    { $ref: '#/definitions/sessionStart' },
    { $ref: '#/definitions/sessionEnd' },
    { $ref: '#/definitions/statement' },
    { $ref: '#/definitions/statementCut' },
    { $ref: '#/definitions/resultMasked' },
    { $ref: '#/definitions/approvalRequested' },
    { $ref: '#/definitions/approvalDecided' },
    { $ref: '#/definitions/approvalUsed' },
    { $ref: '#/definitions/policyReloaded' },
    { $ref: '#/definitions/policyRejected' },
    { $ref: '#/definitions/authFailed' },
    { $ref: '#/definitions/checkpoint' },
  ],
  definitions: {
    envelope,
    identity,
    client,
    sessionStart: typed('session.start', 'A client authenticated and its upstream session opened.', ['identity', 'client', 'upstream'], {
      identity: { $ref: '#/definitions/identity' },
      client: { $ref: '#/definitions/client' },
      upstream: { ...str, description: 'Name of the upstream from the rules file.' },
    }),
    sessionEnd: typed('session.end', 'The session closed.', ['reason', 'statements', 'rows'], {
      ...who,
      reason: str,
      statements: count,
      rows: { ...count, description: 'Result rows relayed in the whole session.' },
      durationMs: { type: 'number', minimum: 0, description: 'From the request reaching the gateway to the end of its response.' },
    }),
    statement: typed('statement', 'A statement the client sent: a refusal when it was decided; an allowed statement once per run, when the run ended (a prepared statement once per execution).', ['subject', 'role', 'via', 'sql', 'redacted', 'decision'], {
      ...who,
      via: { enum: ['simple', 'prepare', 'execute', 'fetch', 'function-call'], description: 'simple: a statement string; prepare: a refused preparation; execute: one execution of a prepared statement; fetch: rows fetched from its open cursor (MySQL COM_STMT_FETCH), one event per fetch.' },
      sql: { ...str, description: 'SQL text; literals replaced by `?` when `redacted`.' },
      redacted: { type: 'boolean' },
      sqlLength: { ...count, description: 'Length of the text when `sql` was cut (at 32 KiB characters).' },
      fingerprint: { ...str, description: 'Hash of the statement shape: equal for statements that differ only in literals.' },
      n: { type: 'integer', minimum: 1, description: 'Statement number within the session.' },
      name: { ...str, description: 'Prepared statement name.' },
      kind: { ...strings, description: 'Statement kinds (select, insert, ddl, ...).' },
      tables: { ...strings, description: 'Tables read or written, schema-qualified.' },
      decision,
      maxRows: { ...count, description: 'Export limit applied to the result.' },
      observed: {
        type: 'array',
        items: { type: 'object', required: ['rule', 'action', 'message'], properties: { rule: str, action: { enum: ['deny', 'approve'] }, message: str } },
        description: 'Rules in observe mode that would have refused or held the statement (not applied).',
      },
      rule: { ...str, description: 'The rule that decided (denials and approvals).' },
      reason: { ...str, description: 'The message the client was given.' },
      approvalId: { ...str, description: 'The approval request that let it run.' },
      parameters: { type: 'object', properties: { count, redacted: { const: true } }, description: 'Bound parameters: never their values.' },
      rows: { ...count, description: 'Result rows the client received in this run (every result set of the string).' },
      interrupted: { const: true, description: 'The session ended before the run did: its outcome is unknown.' },
      masked: maskedColumns,
      privileged: privilegedColumns,
      durationMs: { type: 'number', minimum: 0, description: 'From the request reaching the gateway to the end of its response.' },
      sqlState: { ...str, description: 'SQLSTATE of an error or a denial.' },
      errorCode: { type: 'integer', description: 'MySQL error number.' },
    }),
    statementCut: typed('statement.cut', 'A result cut at the export limit of the role.', ['limit'], { ...who, limit: count }),
    resultMasked: typed('result.masked', 'Version 1 only: a result set was masked. Since version 2 the statement event of the run says it (`masked`, `privileged`).', ['rows', 'masked'], {
      ...who,
      rows: { ...count, description: 'Rows of the result set.' },
      masked: maskedColumns,
      privileged: privilegedColumns,
    }),
    approvalRequested: typed('approval.requested', 'A statement was held for a just-in-time approval (src/approvals).', ['request', 'rule'], {
      request: { ...str, description: 'Approval request id (`req_...`).' },
      rule: str,
      role: str,
      subject: str,
      actor: str,
      mode: str,
      approvers: strings,
      approvalsNeeded: count,
      fingerprint: str,
      sqlHash: str,
      expiresAt: str,
    }),
    approvalDecided: typed('approval.decided', 'An approver decided a request.', ['request', 'decision'], {
      request: str,
      rule: str,
      decision: str,
      approver: str,
      approverActor: str,
      reason: str,
      approvals: count,
      approvalsNeeded: count,
      status: str,
    }),
    approvalUsed: typed('approval.used', 'An approved statement ran (once).', ['request'], { request: str, rule: str }),
    policyReloaded: typed('policy.reloaded', 'A new rules file version is in force.', ['version'], { version: count, file: str }),
    policyRejected: typed('policy.rejected', 'A changed rules file was invalid; the previous policy stays.', ['version'], {
      version: count,
      file: str,
      errors: count,
    }),
    authFailed: typed('auth.failed', 'A login was refused.', ['reason'], {
      reason: { ...str, description: 'bad_token, expired, forged, no_role, ...' },
      client: { $ref: '#/definitions/client' },
      subject: { ...str, description: 'The token subject when the token could be read.' },
    }),
    checkpoint: {
      description: 'The signed chain head of an instance, written at intervals and at shutdown to every topic; not chained itself.',
      type: 'object',
      required: ['v', 'type', 'session', 'at', 'instance', 'seq', 'head', 'final', 'jws'],
      properties: {
        v: { enum: [1, 2] },
        type: { const: 'audit.checkpoint' },
        session: { const: '-' },
        at: { type: 'string', format: 'date-time' },
        instance: nonEmpty,
        seq: { type: 'integer', minimum: -1, description: 'seq of the head event; -1 when the instance emitted nothing.' },
        head: hash,
        final: { type: 'boolean', description: 'Written at shutdown: nothing of this instance follows.' },
        jws: {
          type: ['string', 'null'],
          description: 'Compact JWS (EdDSA, Ed25519) whose payload is the canonical JSON of {instance, seq, head, time}; null without a signing key.',
        },
      },
    },
  },
} as const;

/** The exact text of rules/audit-event.schema.json. */
export function renderAuditEventSchemaJson(): string {
  return `${JSON.stringify(auditEventSchema, null, 2)}\n`;
}
