// JSON Schema of the `policy` section (part of schema.ts). Shape and vocabulary only: globs,
// durations, role names and references between rules are checked by build-policy.ts.
import { riskFlags, statementKinds } from '../statement-vocabulary.js';

const nonEmpty = { type: 'string', minLength: 1 } as const;
const mode = { enum: ['enforce', 'observe'] } as const;
const kinds = { type: 'array', uniqueItems: true, items: { enum: statementKinds } } as const;
const flags = { type: 'array', uniqueItems: true, items: { enum: riskFlags } } as const;
const tableGlobs = {
  type: 'array',
  items: nonEmpty,
  description: '`schema.table` globs (`*`, `?`, `[abc]`), e.g. `clinic.*`, `*.patients`.',
} as const;
const duration = {
  type: 'string',
  minLength: 1,
  description: 'A duration: a number and a unit (ms, s, m, h, d), e.g. `60s`, `15m`, `1h30m`.',
} as const;

const approval = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'when', 'approvers'],
  properties: {
    name: {
      type: 'string',
      minLength: 1,
      maxLength: 63,
      pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
      description: 'Unique (per role) approval name, used in messages, audit and `observe`.',
    },
    when: {
      type: 'object',
      additionalProperties: false,
      description: 'Which statements need this approval; every condition given must hold (at least one).',
      properties: {
        limitAbove: { type: 'integer', minimum: 0, description: 'A LIMIT above this (no LIMIT does not match).' },
        kinds: { ...kinds, minItems: 1, description: 'Statement kinds.' },
        tables: { ...tableGlobs, minItems: 1, description: 'Any table read or written matches one of these globs.' },
        flags: { ...flags, minItems: 1, description: 'Any of these risk flags.' },
        unbounded: { const: true, description: 'A read of a protected table with no LIMIT or a LIMIT above maxRows.' },
      },
    },
    mode: {
      enum: ['reject', 'wait'],
      default: 'reject',
      description: 'reject: refuse with the request id, a retry after approval runs once. wait: hold the statement until approved.',
    },
    approvers: { type: 'array', minItems: 1, uniqueItems: true, items: nonEmpty, description: 'Token groups allowed to approve.' },
    approvalsNeeded: { type: 'integer', minimum: 1, maximum: 10, default: 1 },
    ttl: { ...duration, default: '15m', description: 'How long a granted approval stays usable.' },
    waitTimeout: { ...duration, default: '60s', description: 'mode wait: how long a statement is held.' },
  },
} as const;

const rolePolicy = {
  type: 'object',
  additionalProperties: false,
  required: ['allow'],
  properties: {
    mode: { ...mode, description: 'Overrides the file-wide policy mode for this role.' },
    allow: {
      // `all` is checked by build-policy.ts: an anyOf here would word one typo as three errors.
      type: ['string', 'array'],
      uniqueItems: true,
      items: { enum: statementKinds },
      description: 'Statement kinds this role may run, or `all`.',
    },
    block: {
      type: 'object',
      additionalProperties: false,
      description: 'Refused even when the statement kind is allowed.',
      properties: {
        flags: { ...flags, description: 'Risk flags the parser reports.' },
        functions: {
          type: 'array',
          items: nonEmpty,
          description: 'Function globs, `name` (any schema) or `schema.name`, e.g. `pg_sleep`, `dblink*`.',
        },
      },
    },
    functions: {
      type: 'object',
      additionalProperties: false,
      required: ['allow'],
      description: 'Allow list of functions: any other function a statement calls is refused (block.functions still wins).',
      properties: {
        allow: {
          type: 'array',
          items: nonEmpty,
          description: 'Function globs: `name` matches the built-in (unqualified or pg_catalog), `schema.name` that schema only.',
        },
        describe: { ...nonEmpty, description: 'What the list allows, in words, for refusal messages.' },
      },
    },
    settings: {
      type: 'object',
      additionalProperties: false,
      required: ['allow'],
      description: 'Allow list of server settings the role may change (SET, RESET, set_config, startup parameters).',
      properties: {
        allow: {
          type: 'array',
          items: nonEmpty,
          description: 'Setting name globs, case-insensitive, e.g. `statement_timeout`, `application_name`.',
        },
      },
    },
    tables: {
      type: 'object',
      additionalProperties: false,
      properties: {
        allow: { ...tableGlobs, description: 'Only these tables may be used; absent: any table not denied.' },
        deny: { ...tableGlobs, description: 'These tables may never be used.' },
      },
    },
    maxRows: { type: 'integer', minimum: 1, maximum: 1000000000, description: 'Rows one statement may return.' },
    unbounded: {
      enum: ['refuse', 'approve', 'allow'],
      default: 'refuse',
      description: 'A SELECT or COPY reading a protected table with no LIMIT, or a LIMIT above maxRows.',
    },
    protected: { ...tableGlobs, description: 'Tables guarded by `unbounded`.' },
    approvals: { type: 'array', items: approval },
    observe: {
      type: 'array',
      uniqueItems: true,
      items: nonEmpty,
      description: 'Rules applied in observe mode only: allow, a block flag, functions, settings, tables, unbounded, maxRows, an approval name.',
    },
  },
} as const;

export const policySchema = {
  type: 'object',
  additionalProperties: false,
  description: 'Statement policy: which statements each role may run.',
  properties: {
    mode: { ...mode, default: 'enforce', description: 'observe: decisions are logged and audited, never applied.' },
    unparsable: {
      enum: ['refuse', 'allow'],
      default: 'refuse',
      description: 'Statements the gateway cannot parse: refused (fail closed) or let through.',
    },
    roles: {
      type: 'object',
      additionalProperties: rolePolicy,
      description: 'Role name (from `roles`) -> its rules. A role with no entry may run nothing.',
    },
  },
} as const;
