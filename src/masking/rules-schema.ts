// JSON Schema of the rules file's `masking` section (part of src/policy/config/schema.ts). Shape and
// vocabulary only: globs, regular expressions, roles, keys and which options fit which strategy
// are checked by src/policy/config/build-masking.ts.
import { builtinDetectorNames } from './detectors.js';

const nonEmpty = { type: 'string', minLength: 1 } as const;
const ruleName = {
  type: 'string',
  minLength: 1,
  maxLength: 63,
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]*$',
  description: 'Letters, digits, `_`, `.`, `-`; starts with a letter or digit.',
} as const;
const roleList = { type: 'array', uniqueItems: true, items: nonEmpty } as const;
const replacement = {
  type: 'string',
  minLength: 1,
  maxLength: 64,
  description: 'Text written in place of a match (no `"` or `\\`, so JSON values stay valid).',
} as const;

export const maskingStrategies = ['redact', 'null', 'partial', 'email', 'hash', 'generalize', 'format', 'detect'] as const;

const rule = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'columns', 'strategy'],
  properties: {
    name: { ...ruleName, description: 'Unique rule name, used in plans, refusals and audit.' },
    columns: {
      type: 'array',
      minItems: 1,
      items: nonEmpty,
      description: '`schema.table.column` globs (`*`, `?`, `[abc]`; schema is the MySQL database), matched ignoring case.',
      examples: [['clinic.patients.ssn', 'clinic.*.email']],
    },
    roles: { ...roleList, minItems: 1, description: 'Roles the rule applies to; absent: every role.' },
    except: { ...roleList, description: 'Roles that see raw values although the rule matches (audited as privileged unmasking).' },
    strategy: { enum: maskingStrategies, description: 'How values are masked (docs/masking.md).' },
    filter: {
      enum: ['deny', 'allow'],
      default: 'deny',
      description:
        'Whether a role the rule masks may use the column outside the select list (WHERE, JOIN, GROUP BY, HAVING, ORDER BY, windows, aggregate arguments, DISTINCT, set operations, LIMIT, in subqueries too): each such use can confirm a masked value. deny refuses the statement.',
    },
    text: { type: 'string', maxLength: 256, default: '***', description: 'redact: the text written instead of the value.' },
    keepFirst: { type: 'integer', minimum: 0, maximum: 64, default: 0, description: 'partial: characters kept at the start.' },
    keepLast: { type: 'integer', minimum: 0, maximum: 64, default: 4, description: 'partial: characters kept at the end.' },
    maskChar: { type: 'string', minLength: 1, maxLength: 1, default: '*', description: 'partial, email: the masking character.' },
    keepDomain: { type: 'boolean', default: true, description: 'email: keep the part after `@`.' },
    prefix: { type: 'string', maxLength: 16, default: 'h_', description: 'hash: token prefix.' },
    length: { type: 'integer', minimum: 8, maximum: 64, default: 16, description: 'hash: hex digits of HMAC-SHA256 kept.' },
    to: { enum: ['year', 'month', 'zip3', 'band'], description: 'generalize: date to year or month, ZIP to 3 digits, numbers to bands.' },
    width: { type: 'integer', minimum: 1, default: 10, description: 'generalize band: band width.' },
    max: { type: 'number', description: 'generalize band: values at or above this form one top band (e.g. 90 for ages).' },
  },
} as const;

const pattern = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'regex'],
  properties: {
    name: { ...ruleName, description: 'Detector name, used in counters; also the default replacement `[NAME]`.' },
    regex: { ...nonEmpty, description: 'JavaScript regular expression (compiled with the `u` flag).', examples: ['MRN-\\d{6}'] },
    ignoreCase: { type: 'boolean', default: false },
    replacement,
  },
} as const;

const dictionary = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { ...ruleName, description: 'Dictionary name; the gateway refreshes it by this name.' },
    words: { type: 'array', items: { type: 'string' }, default: [], description: 'Initial entries, each split into words.' },
    minLength: { type: 'integer', minimum: 1, maximum: 64, default: 3, description: 'Shorter words are ignored.' },
    replacement: { ...replacement, default: '[NAME]' },
    refresh: {
      type: 'object',
      additionalProperties: false,
      required: ['query'],
      description: 'Refresh the words from the database (first column of every row) on a gateway-owned connection.',
      properties: {
        query: { ...nonEmpty, examples: ['SELECT full_name FROM clinic.patients'] },
        upstream: { ...nonEmpty, description: 'Upstream to run it on; default: the first.' },
        every: { ...nonEmpty, default: '10m', description: 'A duration: `30s`, `10m`, `1h`.' },
      },
    },
  },
} as const;

export const maskingSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'PHI masking of result rows and messages (docs/masking.md).',
  properties: {
    onUnknownLineage: {
      enum: ['refuse', 'mask', 'allow'],
      default: 'refuse',
      description: 'An output column whose sources cannot be traced, in a statement reading a protected table: refuse the statement, mask it (null/redact), or let it through.',
    },
    hashKey: {
      type: 'object',
      additionalProperties: false,
      description: 'Key of `hash` and `format`. Give `value` (from `${VAR}`, never a literal) or `file`.',
      properties: {
        value: { type: 'string', description: 'The key, at least 16 bytes, from the environment: `${SQLVEIL_MASKING_KEY}`.' },
        file: { type: 'string', description: 'File holding the key (trailing newline ignored).' },
        whenUnset: {
          enum: ['error', 'ephemeral'],
          default: 'error',
          description: 'Neither value nor file set: refuse the file, or use a random key per process (tokens change on restart).',
        },
      },
    },
    detectors: {
      type: 'object',
      additionalProperties: false,
      properties: {
        builtin: {
          type: 'array',
          uniqueItems: true,
          items: { enum: builtinDetectorNames },
          default: builtinDetectorNames,
          description: 'Built-in content detectors used by `detect` and message masking.',
        },
        patterns: { type: 'array', items: pattern, description: 'Identifier patterns of your own (MRN, member ids, ...).' },
        dictionaries: { type: 'array', items: dictionary, description: 'Word lists matched whole-word, ignoring case (names).' },
      },
    },
    rules: { type: 'array', items: rule, description: 'Which columns are masked, for whom, how.' },
  },
} as const;
