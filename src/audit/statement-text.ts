// The SQL text an audit event carries: literals and comment texts replaced by `?` (PHI lives in
// literals: names, dates of birth, record numbers in WHERE clauses), with the dialect's own lexer
// (src/sql/redact.ts); and a fingerprint that groups statements differing only in literals.
import { sha256Hex } from './canonical.js';
import type { WireProtocol } from '../policy/config/types.js';
import { fingerprintPg } from '../sql/fingerprint.js';
import { fingerprintMysql } from '../sql/mysql-fingerprint.js';
import { redactSqlLiterals } from '../sql/redact.js';

export type SqlRedactor = (sql: string, protocol: WireProtocol) => string;

export interface AuditSqlText {
  sql: string;
  redacted: boolean;
  fingerprint: string;
  /** Length of the text before it was cut to MAX_AUDIT_SQL_CHARS. */
  sqlLength?: number;
}

/** Longer SQL text is cut: one event must stay well under Kafka's 1 MB message limit. */
export const MAX_AUDIT_SQL_CHARS = 32 * 1024;

/** Fingerprint hashes by shape: a repeated statement shape (the usual case) costs one lookup. */
const shapeHashes = new Map<string, string>();
const MAX_SHAPE_HASHES = 4096;

function shapeHash(shape: string): string {
  let hash = shapeHashes.get(shape);
  if (hash === undefined) {
    hash = sha256Hex(shape).slice(0, 16);
    if (shapeHashes.size >= MAX_SHAPE_HASHES) shapeHashes.clear();
    shapeHashes.set(shape, hash);
  }
  return hash;
}

/**
 * Redacts with the dialect redactor unless given another one, or `false` (`audit.redactLiterals:
 * false`). `shape` is the analysis' normalised shape when it read the statement (then no second
 * fingerprint pass).
 */
export function auditSqlText(sql: string, protocol: WireProtocol, redact: SqlRedactor | false | undefined, shape?: string): AuditSqlText {
  shape ??= protocol === 'mysql' ? fingerprintMysql(sql).shape : fingerprintPg(sql).shape;
  const fingerprint = shapeHash(shape);
  const text = redact === false ? sql : (redact ?? redactSqlLiterals)(sql, protocol);
  const out: AuditSqlText = { sql: text, redacted: redact !== false, fingerprint };
  if (text.length <= MAX_AUDIT_SQL_CHARS) return out;
  return { ...out, sql: `${text.slice(0, MAX_AUDIT_SQL_CHARS)}…`, sqlLength: text.length };
}
