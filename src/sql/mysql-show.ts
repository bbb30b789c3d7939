// What a MySQL / MariaDB SHOW statement reads, as the information_schema relation the server
// documents as its equivalent (SHOW PROCESSLIST is information_schema.PROCESSLIST, SHOW TABLES is
// TABLES, ...), so the role's table allow list decides SHOW as it decides SELECT. A SHOW form
// with no such relation (ENGINE ... STATUS, BINLOG / RELAYLOG EVENTS, MASTER / SLAVE STATUS,
// PROFILE, OPEN TABLES, EXPLAIN FOR, plugin reports) shows server internals or other sessions'
// work: it is `admin`, so only roles allowed maintenance statements run it.

import type { StatementKind } from './analysis.js';
import type { NamedTable } from './pg-catalog.js';

const info = (name: string): NamedTable => ({ schema: 'information_schema', name });

/** SHOW <what> → the relation it reads; `null`: the session's own diagnostics, nothing read. */
const SHOW_RELATIONS = new Map<string, string | null>([
  ['tables', 'tables'],
  ['table', 'tables'], // SHOW TABLE STATUS
  ['databases', 'schemata'],
  ['schemas', 'schemata'],
  ['columns', 'columns'],
  ['fields', 'columns'],
  ['index', 'statistics'],
  ['indexes', 'statistics'],
  ['keys', 'statistics'],
  ['variables', 'session_variables'],
  ['status', 'session_status'],
  ['collation', 'collations'],
  ['character', 'character_sets'],
  ['charset', 'character_sets'],
  ['engines', 'engines'],
  ['plugins', 'plugins'],
  ['triggers', 'triggers'],
  ['events', 'events'],
  ['procedure', 'routines'], // SHOW PROCEDURE STATUS (PROCEDURE CODE is refused below)
  ['function', 'routines'],
  ['processlist', 'processlist'],
  ['grants', 'user_privileges'],
  ['warnings', null],
  ['errors', null],
  ['count', null], // SHOW COUNT(*) WARNINGS
  ['privileges', null], // the list of privilege names
]);

/** SHOW CREATE <object>: the relation describing it (a table or view reads that table). */
const CREATE_RELATIONS = new Map<string, string>([
  ['database', 'schemata'],
  ['schema', 'schemata'],
  ['procedure', 'routines'],
  ['function', 'routines'],
  ['trigger', 'triggers'],
  ['event', 'events'],
]);

export interface ShowReads {
  kind: StatementKind;
  tables: NamedTable[];
}

/**
 * `what` is the first word after SHOW and its modifiers, `next` the word after it, `modifiers`
 * the modifier words seen (FULL, GLOBAL, MASTER, BINARY, ...).
 */
export function showReads(what: string, next: string | undefined, modifiers: readonly string[]): ShowReads {
  if (modifiers.some((m) => m === 'master' || m === 'binary' || m === 'slave' || m === 'replica')) return { kind: 'admin', tables: [] };
  if (what === 'create') {
    const relation = CREATE_RELATIONS.get(next ?? '');
    if (next === 'table' || next === 'view') return { kind: 'session', tables: [info(next === 'table' ? 'tables' : 'views')] };
    return relation === undefined ? { kind: 'admin', tables: [] } : { kind: 'session', tables: [info(relation)] };
  }
  if ((what === 'procedure' || what === 'function') && next !== 'status') return { kind: 'admin', tables: [] };
  const relation = SHOW_RELATIONS.get(what);
  if (relation === undefined) return { kind: 'admin', tables: [] };
  if (relation === null) return { kind: 'session', tables: [] };
  const global = modifiers.includes('global') && (relation === 'session_variables' || relation === 'session_status');
  return { kind: 'session', tables: [info(global ? relation.replace('session_', 'global_') : relation)] };
}
