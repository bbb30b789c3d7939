// A top-level statement's kind and command tag from its parse-tree node type, before anything
// nested inside it (a data-modifying CTE, the statement EXPLAIN ANALYZE runs) is looked at.

import type { RiskFlag, StatementKind } from './analysis.js';
import type { NodeBody } from './pg-ast.js';

export interface Classification {
  kind: StatementKind;
  command: string;
  flags: RiskFlag[];
}

const KIND_BY_TAG: Record<string, StatementKind> = {
  SelectStmt: 'select',
  InsertStmt: 'insert',
  UpdateStmt: 'update',
  DeleteStmt: 'delete',
  MergeStmt: 'merge',
  ExplainStmt: 'explain',
  TruncateStmt: 'truncate',
  TransactionStmt: 'transaction',
  ConstraintsSetStmt: 'transaction',
  VariableSetStmt: 'session',
  VariableShowStmt: 'session',
  DiscardStmt: 'session',
  ListenStmt: 'notify',
  NotifyStmt: 'notify',
  UnlistenStmt: 'notify',
  PrepareStmt: 'session',
  ExecuteStmt: 'session',
  DeallocateStmt: 'session',
  DeclareCursorStmt: 'session',
  FetchStmt: 'session',
  ClosePortalStmt: 'session',
  DoStmt: 'procedural',
  CallStmt: 'procedural',
  CreateFunctionStmt: 'procedural',
  GrantStmt: 'dcl',
  GrantRoleStmt: 'dcl',
  CreateRoleStmt: 'dcl',
  AlterRoleStmt: 'dcl',
  AlterRoleSetStmt: 'dcl',
  DropRoleStmt: 'dcl',
  AlterDefaultPrivilegesStmt: 'dcl',
  SecLabelStmt: 'dcl',
  ReassignOwnedStmt: 'dcl',
  DropOwnedStmt: 'dcl',
  CreatePolicyStmt: 'dcl',
  AlterPolicyStmt: 'dcl',
  VacuumStmt: 'admin',
  CheckPointStmt: 'admin',
  LockStmt: 'admin',
  ReindexStmt: 'admin',
  ClusterStmt: 'admin',
  LoadStmt: 'admin',
  AlterSystemStmt: 'admin',
  CreateTableAsStmt: 'ddl',
  RefreshMatViewStmt: 'ddl',
  CommentStmt: 'ddl',
  RenameStmt: 'ddl',
  IndexStmt: 'ddl',
  ViewStmt: 'ddl',
  RuleStmt: 'ddl',
  DefineStmt: 'ddl',
  CompositeTypeStmt: 'ddl',
  CreateStmt: 'ddl',
  DropStmt: 'ddl',
  CreatedbStmt: 'ddl',
  DropdbStmt: 'ddl',
  ImportForeignSchemaStmt: 'ddl',
};

const COMMAND_BY_TAG: Record<string, string> = {
  CreateStmt: 'CREATE TABLE',
  IndexStmt: 'CREATE INDEX',
  ViewStmt: 'CREATE VIEW',
  RuleStmt: 'CREATE RULE',
  DefineStmt: 'CREATE',
  CompositeTypeStmt: 'CREATE TYPE',
  CreatedbStmt: 'CREATE DATABASE',
  DropdbStmt: 'DROP DATABASE',
  CreateTrigStmt: 'CREATE TRIGGER',
  CreateSeqStmt: 'CREATE SEQUENCE',
  AlterSeqStmt: 'ALTER SEQUENCE',
  CreateSchemaStmt: 'CREATE SCHEMA',
  CommentStmt: 'COMMENT',
  RenameStmt: 'ALTER',
  RefreshMatViewStmt: 'REFRESH MATERIALIZED VIEW',
  VariableSetStmt: 'SET',
  VariableShowStmt: 'SHOW',
  ClosePortalStmt: 'CLOSE',
  DeclareCursorStmt: 'DECLARE CURSOR',
  CheckPointStmt: 'CHECKPOINT',
  ConstraintsSetStmt: 'SET CONSTRAINTS',
  SecLabelStmt: 'SECURITY LABEL',
  GrantRoleStmt: 'GRANT',
  AlterDefaultPrivilegesStmt: 'ALTER DEFAULT PRIVILEGES',
  ReassignOwnedStmt: 'REASSIGN OWNED',
  DropOwnedStmt: 'DROP OWNED',
  AlterSystemStmt: 'ALTER SYSTEM',
  CreateFunctionStmt: 'CREATE FUNCTION',
  CreateTableAsStmt: 'CREATE TABLE AS',
  ImportForeignSchemaStmt: 'IMPORT FOREIGN SCHEMA',
  CreateTableSpaceStmt: 'CREATE TABLESPACE',
};

const TRANSACTION_COMMANDS: Record<string, string> = {
  TRANS_STMT_BEGIN: 'BEGIN',
  TRANS_STMT_START: 'START TRANSACTION',
  TRANS_STMT_COMMIT: 'COMMIT',
  TRANS_STMT_ROLLBACK: 'ROLLBACK',
  TRANS_STMT_SAVEPOINT: 'SAVEPOINT',
  TRANS_STMT_RELEASE: 'RELEASE',
  TRANS_STMT_ROLLBACK_TO: 'ROLLBACK TO SAVEPOINT',
  TRANS_STMT_PREPARE: 'PREPARE TRANSACTION',
  TRANS_STMT_COMMIT_PREPARED: 'COMMIT PREPARED',
  TRANS_STMT_ROLLBACK_PREPARED: 'ROLLBACK PREPARED',
};

// Statements that make the server open connections elsewhere.
const NETWORK_TAGS = new Set([
  'CreateForeignServerStmt',
  'AlterForeignServerStmt',
  'CreateUserMappingStmt',
  'AlterUserMappingStmt',
  'ImportForeignSchemaStmt',
  'CreateSubscriptionStmt',
  'AlterSubscriptionStmt',
]);

/** `CreateForeignServerStmt` → `CREATE FOREIGN SERVER`. */
function commandFromTag(tag: string): string {
  return tag
    .replace(/Stmt$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
}

export function classify(tag: string, body: NodeBody): Classification {
  let kind = KIND_BY_TAG[tag] ?? (/^(Create|Alter|Drop|Define)/.test(tag) ? 'ddl' : 'other');
  let command = COMMAND_BY_TAG[tag] ?? commandFromTag(tag);
  const flags: RiskFlag[] = [];
  switch (tag) {
    case 'SelectStmt':
      if (body.intoClause !== undefined) [kind, command] = ['ddl', 'SELECT INTO'];
      break;
    case 'TransactionStmt':
      command = TRANSACTION_COMMANDS[String(body.kind)] ?? 'TRANSACTION';
      break;
    case 'VariableSetStmt':
      if (body.kind === 'VAR_RESET' || body.kind === 'VAR_RESET_ALL') command = 'RESET';
      if (body.name === 'TRANSACTION') [kind, command] = ['transaction', 'SET TRANSACTION'];
      if (body.name === 'role') command = 'SET ROLE';
      if (body.name === 'session_authorization') command = 'SET SESSION AUTHORIZATION';
      break;
    case 'CreateTableAsStmt':
      if (body.objtype === 'OBJECT_MATVIEW') command = 'CREATE MATERIALIZED VIEW';
      if (body.is_select_into === true) command = 'SELECT INTO';
      break;
    case 'CreateFunctionStmt':
      if (body.is_procedure === true) command = 'CREATE PROCEDURE';
      break;
    case 'DropStmt':
      command = `DROP ${String(body.removeType ?? '').replace(/^OBJECT_/, '').replace(/_/g, ' ')}`.trim();
      break;
    case 'ExecuteStmt':
      flags.push('dynamic-sql');
      break;
    case 'VacuumStmt':
      if (body.is_vacuumcmd !== true) command = 'ANALYZE';
      break;
    case 'GrantStmt':
    case 'GrantRoleStmt':
      if (body.is_grant !== true) command = 'REVOKE';
      break;
    case 'FetchStmt':
      if (body.ismove === true) command = 'MOVE';
      break;
    case 'LoadStmt':
    case 'CreateTableSpaceStmt':
      flags.push('server-file-access'); // a shared library, a data directory on the server
      break;
    case 'CopyStmt':
      kind = body.is_from === true ? 'copy-in' : 'copy-out';
      if (body.is_program === true) flags.push('copy-program');
      else if (body.filename !== undefined) flags.push('server-file-access');
      break;
  }
  if (NETWORK_TAGS.has(tag)) flags.push('network-access');
  return { kind, command, flags };
}

// Most consequential first wins when a statement does several things (`WITH d AS (DELETE ...)
// INSERT ...` is a delete). Kinds outside this ranking keep the top-level statement's kind.
const EFFECT_RANK: Partial<Record<StatementKind, number>> = {
  explain: 0,
  select: 0,
  'copy-out': 1,
  insert: 2,
  'copy-in': 2,
  update: 3,
  merge: 4,
  delete: 5,
};

export function mostConsequential(kind: StatementKind, nested: Iterable<StatementKind>): StatementKind {
  let best = kind;
  const rank = EFFECT_RANK[kind];
  if (rank === undefined) return kind;
  let bestRank = rank;
  for (const effect of nested) {
    const effectRank = EFFECT_RANK[effect] ?? -1;
    if (effectRank > bestRank) [best, bestRank] = [effect, effectRank];
  }
  return best;
}
