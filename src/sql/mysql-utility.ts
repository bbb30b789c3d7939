// Statements node-sql-parser does not read, recognised on the lexer's tokens by their complete
// grammar (or, for statements that cannot contain another statement or a table, their leading
// words): KILL, FLUSH, OPTIMIZE / ANALYZE / CHECK / REPAIR TABLE, HANDLER, PREPARE / EXECUTE /
// DEALLOCATE, SAVEPOINT, XA, SET NAMES / CHARACTER SET / TRANSACTION, SHOW, DESCRIBE, DO, TABLE,
// VALUES ROW, EXPLAIN of DML, CREATE PROCEDURE / FUNCTION / EVENT / TRIGGER, account statements.
// Anything else goes to the parser, and what it cannot read is refused.

import type { StatementKind } from './analysis.js';
import { mysqlLiteralValue, renderStatement, type RenderedStatement } from './mysql-fingerprint.js';
import type { MysqlLexResult } from './mysql-lexer.js';
import { MysqlRefusedStatement, checkSetting } from './mysql-settings.js';
import { showReads } from './mysql-show.js';
import type { MysqlStatementTemplate } from './mysql-template.js';
import type { NamedTable } from './pg-catalog.js';

export interface UtilityInput {
  sql: string;
  lex: MysqlLexResult;
  from: number;
  to: number;
  /** Parses rendered text as one statement with node-sql-parser and builds its template. */
  parse(rendered: RenderedStatement): { template: MysqlStatementTemplate; cacheable: boolean };
  /** Analyses a statement string held in a literal (PREPARE ... FROM '...'); throws when refused. */
  analyzeString(sql: string): MysqlStatementTemplate[];
}

export interface UtilityResult {
  template: MysqlStatementTemplate;
  cacheable: boolean;
  /** The statement runs to the end of the string (a stored program body holds `;`). */
  toEnd?: boolean;
}

const ADMIN_LEADING = new Set(['kill', 'flush', 'shutdown', 'restart', 'reset', 'purge', 'change', 'binlog', 'cache', 'uninstall']);
/** Leading word → second words making an account statement (none listed: any). */
const DCL_LEADING = new Map<string, string[]>([
  ['revoke', []],
  ['drop', ['user', 'role']],
  ['alter', ['user']],
  ['rename', ['user']],
  ['create', ['role']],
]);
const TABLE_MAINTENANCE = new Map<string, 'read' | 'write'>([
  ['optimize', 'write'],
  ['analyze', 'write'],
  ['repair', 'write'],
  ['check', 'read'],
  ['checksum', 'read'],
]);

function template(kind: StatementKind, command: string, extra: Partial<MysqlStatementTemplate> = {}): MysqlStatementTemplate {
  return { kind, command, tablesRead: [], tablesWritten: [], functions: [], flags: [], ...extra };
}

export function recognizeUtility(input: UtilityInput): UtilityResult | undefined {
  const { sql, lex, from, to } = input;
  const tokens = lex.tokens;
  const word = (i: number): string | undefined => {
    const token = tokens[i];
    return token !== undefined && i < to && token.type === 'word' ? sql.slice(token.start, token.end).toLowerCase() : undefined;
  };
  const isSymbol = (i: number, symbol: string): boolean => i < to && tokens[i]?.type === 'symbol' && sql.slice(tokens[i]!.start, tokens[i]!.end) === symbol;
  const name = (i: number): string | undefined => {
    const token = tokens[i];
    if (token === undefined || i >= to) return undefined;
    if (token.type === 'word') return sql.slice(token.start, token.end);
    if (token.type === 'quoted') return sql.slice(token.start + 1, token.end - 1).replace(/``/g, '`');
    return undefined;
  };
  /** `db.table` or `table` at i: the table and the index after it. */
  const tableAt = (i: number): [NamedTable, number] | undefined => {
    const first = name(i);
    if (first === undefined) return undefined;
    if (isSymbol(i + 1, '.')) {
      const second = name(i + 2);
      return second === undefined ? undefined : [{ schema: first, name: second }, i + 3];
    }
    return [{ name: first }, i + 1];
  };
  const shifted = (prefix: string, start: number): RenderedStatement => {
    const rendered = renderStatement(sql, lex, start, to);
    const literalAt = new Map([...rendered.literalAt].map(([k, at]) => [k, { start: at.start + prefix.length, end: at.end + prefix.length }]));
    return { text: prefix + rendered.text, literalAt };
  };
  const first = word(from);
  const second = word(from + 1);
  if (first === undefined) return undefined;

  if (ADMIN_LEADING.has(first) || (first === 'install' && second === 'plugin') || (first === 'start' && (second === 'slave' || second === 'replica')) || (first === 'stop' && (second === 'slave' || second === 'replica'))) {
    const soname = tokens.slice(from, to).some((token) => token.type === 'word' && sql.slice(token.start, token.end).toLowerCase() === 'soname');
    const flags: MysqlStatementTemplate['flags'] = soname || first === 'install' ? ['server-file-access'] : [];
    if (first === 'change') flags.push('network-access'); // CHANGE MASTER / REPLICATION SOURCE TO another host
    return { template: template('admin', `${first} ${first === 'kill' ? '' : (second ?? '')}`.trim().toUpperCase(), { flags }), cacheable: true };
  }
  const maintenance = TABLE_MAINTENANCE.get(first);
  if (maintenance !== undefined && (second === 'table' || second === 'tables' || ((second === 'no_write_to_binlog' || second === 'local') && ['table', 'tables'].includes(word(from + 2) ?? '')))) {
    const tables: NamedTable[] = [];
    let i = second === 'table' || second === 'tables' ? from + 2 : from + 3;
    while (true) {
      const table = tableAt(i);
      if (table === undefined) return undefined;
      tables.push(table[0]);
      i = table[1];
      if (!isSymbol(i, ',')) break;
      i++;
    }
    for (; i < to; i++) if (tokens[i]!.type !== 'word') return undefined; // options: QUICK, EXTENDED, ...
    const mode = maintenance;
    return { template: template('admin', `${first.toUpperCase()} TABLE`, mode === 'read' ? { tablesRead: tables } : { tablesWritten: tables }), cacheable: true };
  }
  if (first === 'handler') {
    const table = tableAt(from + 1);
    if (table === undefined) return undefined;
    const action = word(table[1]);
    if (action === 'open' || action === 'close') return { template: template('session', `HANDLER ${action.toUpperCase()}`, { tablesRead: action === 'open' ? [table[0]] : [], flags: ['handler'] }), cacheable: true };
    if (action !== 'read') return undefined;
    // Its WHERE may hold a subquery: leave such a statement to the parser (which refuses it).
    if (lex.tokens.slice(from, to).some((token) => token.type === 'word' && sql.slice(token.start, token.end).toLowerCase() === 'select')) return undefined;
    // HANDLER ... READ returns rows of the table (or of what an earlier OPEN ... AS named so).
    const columns = [{ name: '*', sources: [{ table: table[0], column: '*' }], opaque: true }];
    return { template: template('select', 'HANDLER READ', { tablesRead: [table[0]], columns, flags: ['handler'] }), cacheable: true };
  }
  if (first === 'prepare' && name(from + 1) !== undefined && word(from + 2) === 'from' && from + 4 === to) {
    const source = tokens[from + 3]!;
    const base = template('session', 'PREPARE', { flags: ['dynamic-sql'] });
    if (source.type === 'literal' && lex.literals[source.literal!]!.kind === 'string') {
      // What is prepared is known: report its tables and flags, so rules refuse preparing what they would refuse running.
      mergeInto(base, input.analyzeString(mysqlLiteralValue(sql, lex.literals[source.literal!]!)));
      return { template: base, cacheable: false };
    }
    return source.type === 'variable' ? { template: base, cacheable: true } : undefined;
  }
  if (first === 'execute' && second === 'immediate' && from + 3 === to) {
    // MariaDB's EXECUTE IMMEDIATE runs the string at once: it is what the string is.
    const source = tokens[from + 2]!;
    const base = template('other', 'EXECUTE IMMEDIATE', { flags: ['dynamic-sql'], columns: [{ name: '*', sources: [], opaque: true }] });
    if (source.type !== 'literal' || lex.literals[source.literal!]!.kind !== 'string') return { template: base, cacheable: true };
    const inner = input.analyzeString(mysqlLiteralValue(sql, lex.literals[source.literal!]!));
    if (inner.length === 1) base.kind = inner[0]!.kind;
    mergeInto(base, inner);
    return { template: base, cacheable: false };
  }
  if (first === 'execute' && name(from + 1) !== undefined) {
    return { template: template('session', 'EXECUTE', { flags: ['dynamic-sql'], columns: [{ name: '*', sources: [], opaque: true }] }), cacheable: true };
  }
  if ((first === 'deallocate' || first === 'drop') && second === 'prepare' && name(from + 2) !== undefined && from + 3 === to) {
    return { template: template('session', 'DEALLOCATE PREPARE'), cacheable: true };
  }
  if (first === 'savepoint' || first === 'xa' || (first === 'release' && second === 'savepoint') || (first === 'rollback' && tokens.slice(from, to).some((t) => t.type === 'word' && sql.slice(t.start, t.end).toLowerCase() === 'to'))) {
    return { template: template('transaction', first === 'release' ? 'RELEASE SAVEPOINT' : first === 'rollback' ? 'ROLLBACK TO SAVEPOINT' : first.toUpperCase()), cacheable: true };
  }
  if (first === 'set') return setStatement(input, word, name);
  if (first === 'show') return showStatement(input, word, tableAt);
  const dcl = DCL_LEADING.get(first);
  if (dcl !== undefined && (dcl.length === 0 || dcl.includes(second ?? ''))) {
    return { template: template('dcl', `${first} ${first === 'revoke' ? '' : second}`.trim().toUpperCase()), cacheable: true };
  }
  if (first === 'do' && from + 1 < to) {
    const parsed = input.parse(shifted('SELECT ', from + 1));
    return { template: { ...parsed.template, kind: 'select', command: 'DO', columns: undefined } as MysqlStatementTemplate, cacheable: parsed.cacheable };
  }
  if (first === 'table' && tableAt(from + 1) !== undefined) {
    const parsed = input.parse(shifted('SELECT * FROM ', from + 1));
    return { template: { ...parsed.template, command: 'TABLE' }, cacheable: parsed.cacheable };
  }
  if (first === 'values') return valuesStatement(input, word);
  const explained = ['select', 'table', 'with', 'update', 'delete', 'insert', 'replace', 'values', 'analyze', 'format', 'extended', 'partitions'];
  if ((first === 'describe' || first === 'desc' || first === 'explain') && !explained.includes(word(from + 1) ?? '')) {
    // DESCRIBE [db.]table [column]: the parser reads only an unqualified table.
    const table = tableAt(from + 1);
    if (table !== undefined && (table[1] === to || (table[1] + 1 === to && name(table[1]) !== undefined))) {
      return { template: template('session', 'DESCRIBE', { tablesRead: [table[0]], columns: [{ name: '*', sources: [], opaque: false }] }), cacheable: true };
    }
  }
  if (first === 'explain' || first === 'describe' || first === 'desc' || first === 'analyze') return explainStatement(input, word, shifted);
  if (first === 'create') return storedProgram(input, word);
  return undefined;
}

const SHOW_MODIFIERS = new Set(['full', 'global', 'session', 'local', 'extended', 'storage', 'master', 'binary']);

/**
 * SHOW (server metadata; node-sql-parser reads few forms): its table (`FROM | IN t [FROM | IN db]`,
 * `SHOW CREATE TABLE t`) is read. A WHERE or a parenthesis may hold a subquery: left to the parser.
 */
function showStatement(
  input: UtilityInput,
  word: (i: number) => string | undefined,
  tableAt: (i: number) => [NamedTable, number] | undefined,
): UtilityResult | undefined {
  const { sql, lex, from, to } = input;
  for (let i = from; i < to; i++) {
    const token = lex.tokens[i]!;
    if (word(i) === 'where' || word(i) === 'select' || (token.type === 'symbol' && '()'.includes(sql[token.start]!))) return undefined;
  }
  let i = from + 1;
  const modifiers: string[] = [];
  while (SHOW_MODIFIERS.has(word(i) ?? '') && word(i + 1) !== undefined) modifiers.push(word(i++)!);
  const what = word(i);
  if (what === undefined) return undefined;
  const reads = showReads(what, word(i + 1), modifiers);
  const tables: NamedTable[] = [...reads.tables];
  let at = -1;
  if (what === 'create' && ['table', 'view'].includes(word(i + 1) ?? '')) at = i + 2;
  else {
    for (let j = i + 1; j < to; j++) if (word(j) === 'from' || word(j) === 'in') {
      at = j + 1;
      break;
    }
  }
  const table = at >= 0 && ['columns', 'fields', 'index', 'indexes', 'keys', 'create'].includes(what) ? tableAt(at) : undefined;
  if (table !== undefined) {
    const [named, after] = table;
    const db = (word(after) === 'from' || word(after) === 'in') && tableAt(after + 1);
    tables.push(db !== undefined && db !== false && db[0].schema === undefined ? { schema: db[0].name, name: named.name } : named);
  }
  const columns = [{ name: '*', sources: [], opaque: false }];
  return { template: template(reads.kind, `SHOW ${what.toUpperCase()}`, { tablesRead: tables, columns }), cacheable: true };
}

/** Adds the tables, functions and flags of the statements a string holds. */
function mergeInto(base: MysqlStatementTemplate, inner: readonly MysqlStatementTemplate[]): void {
  for (const statement of inner) {
    base.tablesRead.push(...statement.tablesRead);
    base.tablesWritten.push(...statement.tablesWritten);
    base.functions.push(...statement.functions);
    for (const flag of statement.flags) if (!base.flags.includes(flag)) base.flags.push(flag);
  }
}

function setStatement(
  input: UtilityInput,
  word: (i: number) => string | undefined,
  name: (i: number) => string | undefined,
): UtilityResult | undefined {
  const { sql, lex, from, to } = input;
  let i = from + 1;
  const scope = ['global', 'session', 'local', 'persist', 'persist_only'].includes(word(i) ?? '') ? word(i) : undefined;
  if (scope !== undefined) i++;
  // `SET [scope] name = DEFAULT` (the parser does not read DEFAULT here): back to the session's
  // starting value, which the gateway checks at login.
  const assign = lex.tokens[i + 1];
  if (i + 3 === to && (lex.tokens[i]!.type === 'word' || lex.tokens[i]!.type === 'variable') && assign !== undefined && ['=', ':='].includes(sql.slice(assign.start, assign.end)) && word(i + 2) === 'default') {
    const setting = defaultedSetting(sql.slice(lex.tokens[i]!.start, lex.tokens[i]!.end), scope);
    return { template: template('session', 'SET', setting === undefined ? {} : { settings: [setting] }), cacheable: true };
  }
  if (word(i) === 'transaction') return { template: template('transaction', 'SET TRANSACTION'), cacheable: true };
  const charset = word(i) === 'names' ? i + 1 : word(i) === 'charset' ? i + 1 : word(i) === 'character' && word(i + 1) === 'set' ? i + 2 : undefined;
  if (charset === undefined || i !== from + 1) {
    if (word(i) === 'password' || word(i) === 'role' || (word(i) === 'default' && word(i + 1) === 'role')) {
      const settings = word(i) === 'role' ? ['role'] : word(i) === 'default' ? ['default_role'] : [];
      // SET PASSWORD and SET DEFAULT ROLE (which may name another account: `... FOR user`) change accounts.
      const kind = word(i) === 'password' || word(i) === 'default' ? 'dcl' : 'session';
      return { template: template(kind, word(i) === 'default' ? 'SET DEFAULT ROLE' : `SET ${word(i)!.toUpperCase()}`, { settings }), cacheable: true };
    }
    return undefined;
  }
  const token = lex.tokens[charset];
  let value: string | null | undefined;
  if (token === undefined || charset >= to) value = undefined;
  else if (token.type === 'literal' && lex.literals[token.literal!]!.kind === 'string') value = mysqlLiteralValue(sql, lex.literals[token.literal!]!);
  else if (word(charset) === 'default') value = null;
  else value = name(charset);
  // After the character set only `COLLATE name` may follow (SET NAMES x COLLATE y).
  const rest = to - (charset + 1);
  if (!(rest === 0 || (rest === 2 && word(charset + 1) === 'collate'))) throw new MysqlRefusedStatement('sqlveil: SET NAMES / CHARACTER SET must be a statement of its own');
  checkSetting('names', value);
  const names = word(from + 1) === 'names';
  return { template: template('session', names ? 'SET NAMES' : 'SET CHARACTER SET', { settings: [names ? 'names' : 'charset'] }), cacheable: false };
}

/** The variable of `SET [scope] name = DEFAULT`, as StatementInfo.settings names it; undefined for a user variable. */
function defaultedSetting(text: string, scope: string | undefined): string | undefined {
  if (text.startsWith('@') && !text.startsWith('@@')) return undefined;
  const bare = text.replace(/^@@/, '').toLowerCase();
  const dot = bare.indexOf('.');
  const qualifier = dot < 0 ? scope : bare.slice(0, dot);
  const name = dot < 0 ? bare : bare.slice(dot + 1);
  const global = qualifier !== undefined && qualifier !== 'session' && qualifier !== 'local';
  return global ? `global.${name.replace(/`/g, '')}` : name.replace(/`/g, '');
}

/** `VALUES ROW(...), ROW(...)` (MySQL 8): read as `SELECT ... UNION ALL SELECT ...`. */
function valuesStatement(input: UtilityInput, word: (i: number) => string | undefined): UtilityResult | undefined {
  const { sql, lex, from, to } = input;
  const rows: [number, number][] = [];
  let i = from + 1;
  while (i < to) {
    if (word(i) !== 'row' || lex.tokens[i + 1]?.type !== 'symbol' || sql[lex.tokens[i + 1]!.start] !== '(') return undefined;
    let depth = 0;
    let j = i + 1;
    for (; j < to; j++) {
      const c = lex.tokens[j]!.type === 'symbol' ? sql[lex.tokens[j]!.start] : '';
      if (c === '(') depth++;
      else if (c === ')' && --depth === 0) break;
    }
    if (j >= to) return undefined;
    rows.push([i + 2, j]);
    i = j + 1;
    if (i < to) {
      if (!(lex.tokens[i]!.type === 'symbol' && sql[lex.tokens[i]!.start] === ',')) return undefined;
      i++;
    }
  }
  if (rows.length === 0) return undefined;
  let text = '';
  const literalAt = new Map<number, { start: number; end: number }>();
  rows.forEach(([start, end], index) => {
    text += index === 0 ? 'SELECT ' : ' UNION ALL SELECT ';
    const rendered = renderStatement(sql, lex, start, end);
    for (const [k, at] of rendered.literalAt) literalAt.set(k, { start: at.start + text.length, end: at.end + text.length });
    text += rendered.text;
  });
  const parsed = input.parse({ text, literalAt });
  const columns = parsed.template.columns?.map((column, index) => ({ ...column, name: `column_${index}` }));
  return { template: { ...parsed.template, command: 'VALUES', ...(columns === undefined ? {} : { columns }) }, cacheable: parsed.cacheable };
}

/** EXPLAIN / DESCRIBE of DML, EXPLAIN ANALYZE, and MariaDB's ANALYZE statement (which runs it). */
function explainStatement(
  input: UtilityInput,
  word: (i: number) => string | undefined,
  shifted: (prefix: string, start: number) => RenderedStatement,
): UtilityResult | undefined {
  const { sql, lex, from } = input;
  let i = from + 1;
  let analyze = word(from) === 'analyze';
  if (word(i) === 'analyze') {
    analyze = true;
    i++;
  }
  if (word(i) === 'format' && lex.tokens[i + 1] !== undefined && sql[lex.tokens[i + 1]!.start] === '=' && word(i + 2) !== undefined) i += 3;
  const inner = word(i);
  if (inner === undefined || !['select', 'update', 'delete', 'insert', 'replace', 'with', 'table'].includes(inner)) return undefined;
  if (!analyze && (inner === 'select' || inner === 'with')) return undefined; // the parser reads these itself
  const parsed = inner === 'table' ? input.parse(shifted('SELECT * FROM ', i + 1)) : input.parse(shifted('', i));
  const statement = parsed.template;
  if (analyze) {
    return { template: { ...statement, command: `ANALYZE ${statement.command}`, flags: [...statement.flags, 'explain-analyze'], columns: [{ name: 'EXPLAIN', sources: [], opaque: false }] }, cacheable: parsed.cacheable };
  }
  const explained: MysqlStatementTemplate = {
    ...statement,
    kind: 'explain',
    command: 'EXPLAIN',
    tablesRead: [...statement.tablesRead, ...statement.tablesWritten],
    tablesWritten: [],
    columns: [{ name: 'EXPLAIN', sources: [], opaque: false }],
  };
  delete explained.limit;
  return { template: explained, cacheable: parsed.cacheable };
}

/**
 * CREATE PROCEDURE / FUNCTION / EVENT / TRIGGER: code the gateway does not check. Their bodies
 * may hold `;`, so the statement runs to the end of the string; `multi-statement` is set when
 * it holds one, since the server may read a statement after the body.
 */
function storedProgram(input: UtilityInput, word: (i: number) => string | undefined): UtilityResult | undefined {
  const { sql, lex, from } = input;
  let i = from + 1;
  if (word(i) === 'or' && word(i + 1) === 'replace') i += 2;
  if (word(i) === 'definer') {
    // DEFINER = user: a name, 'user'@'host', user@host or CURRENT_USER[()].
    let guard = 0;
    i += 2;
    const stops = ['procedure', 'function', 'event', 'trigger', 'aggregate', 'view', 'sql', 'algorithm', 'table'];
    while (i < lex.tokens.length && !stops.includes(word(i) ?? '') && guard++ < 6) i++;
  }
  if (word(i) === 'aggregate') i++;
  const what = word(i);
  if (what !== 'procedure' && what !== 'function' && what !== 'event' && what !== 'trigger') return undefined;
  const rest = lex.tokens.slice(i);
  const words = rest.filter((token) => token.type === 'word').map((token) => sql.slice(token.start, token.end).toLowerCase());
  const flags: MysqlStatementTemplate['flags'] = [];
  if (words.includes('soname')) flags.push('server-file-access'); // a UDF loaded from a shared library
  const semicolons = rest.filter((token) => token.type === 'symbol' && sql[token.start] === ';');
  const last = lex.tokens[lex.tokens.length - 1];
  if (semicolons.length > 1 || (semicolons.length === 1 && semicolons[0] !== last)) flags.push('multi-statement');
  return { template: template('procedural', `CREATE ${what.toUpperCase()}`, { flags }), cacheable: true, toEnd: true };
}
