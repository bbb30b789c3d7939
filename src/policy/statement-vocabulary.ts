// The contract's statement kinds and risk flags as runtime values (src/sql/analysis.ts declares
// them as types only), with the words policy messages use for them. The `satisfies` checks and
// the exhaustive records make a kind or flag added to the contract a compile error here.
import type { RiskFlag, StatementKind } from '../sql/analysis.js';

/** What each kind is called when telling an agent what it may run. */
const kindLabels: Record<StatementKind, string> = {
  select: 'SELECT',
  explain: 'EXPLAIN',
  transaction: 'transaction control',
  session: 'SET/SHOW',
  notify: 'LISTEN/NOTIFY',
  insert: 'INSERT',
  update: 'UPDATE',
  delete: 'DELETE',
  merge: 'MERGE',
  'copy-out': 'COPY ... TO STDOUT',
  'copy-in': 'COPY ... FROM STDIN',
  ddl: 'DDL (CREATE/ALTER/DROP)',
  truncate: 'TRUNCATE',
  dcl: 'GRANT/REVOKE and role changes',
  procedural: 'DO/CALL and function bodies',
  admin: 'maintenance (VACUUM, ANALYZE, LOCK, ...)',
  other: 'other statements',
};

export const statementKinds = Object.keys(kindLabels) as StatementKind[];

/** What each flag means, worded as the thing that is blocked. */
const flagDescriptions: Record<RiskFlag, { blocked: string; hint?: string }> = {
  'update-without-where': { blocked: 'UPDATE without WHERE', hint: 'add a WHERE clause' },
  'delete-without-where': { blocked: 'DELETE without WHERE', hint: 'add a WHERE clause' },
  'copy-program': {
    blocked: 'COPY ... PROGRAM (runs a command on the database server)',
    hint: 'use COPY ... TO STDOUT or COPY ... FROM STDIN',
  },
  'server-file-access': {
    blocked: 'reading or writing files on the database server',
    hint: 'use COPY ... TO STDOUT or COPY ... FROM STDIN, or SELECT the data',
  },
  'network-access': {
    blocked: 'connections from the database to other servers (dblink, foreign servers)',
    hint: 'query only this database',
  },
  'data-modifying-cte': {
    blocked: 'WITH ... INSERT/UPDATE/DELETE (data-modifying CTE)',
    hint: 'run the change as a statement of its own',
  },
  'explain-analyze': { blocked: 'EXPLAIN ANALYZE (it runs the statement)', hint: 'use EXPLAIN without ANALYZE' },
  'dynamic-sql': {
    blocked: 'EXECUTE of SQL the gateway cannot see',
    hint: 'send the SQL text itself instead of executing a prepared or built string',
  },
  'system-catalog-write': { blocked: 'writing to the system catalogs' },
  'locking-read': { blocked: 'SELECT ... FOR UPDATE/SHARE (row locks)', hint: 'drop the FOR UPDATE/FOR SHARE clause' },
  'multi-statement': { blocked: 'several statements in one string', hint: 'send one statement at a time' },
  'variable-assignment': { blocked: 'assigning user variables', hint: 'select the values as result columns instead' },
  'variable-read': { blocked: 'reading user variables', hint: 'select the values from their tables instead' },
  handler: { blocked: 'HANDLER (table rows read outside SELECT)', hint: 'use SELECT ... LIMIT n' },
};

export const riskFlags = Object.keys(flagDescriptions) as RiskFlag[];

export function kindLabel(kind: StatementKind): string {
  return kindLabels[kind];
}

export function describeFlag(flag: RiskFlag): { blocked: string; hint?: string } {
  return flagDescriptions[flag];
}

export function isStatementKind(value: string): value is StatementKind {
  return Object.hasOwn(kindLabels, value);
}

export function isRiskFlag(value: string): value is RiskFlag {
  return Object.hasOwn(flagDescriptions, value);
}
