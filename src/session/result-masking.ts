// PHI masking of result sets for the session pipeline. Each result column's origin is named (a
// catalog for PostgreSQL's table OID + attribute number, the column definition for MySQL), paired
// with the lineage the statement analysis traced, and the masking engine (src/masking) plans
// keep / mask with which strategy / refuse. The plan becomes the result's RowTransform. Plans
// follow the rules file on reload; a role no rule mentions pays one lookup per table.
import type { MaskingConfig } from '../policy/config/types.js';
import type { ColumnLineage, StatementInfo, TableRef } from '../sql/analysis.js';
import { MaskingEngine, maskingRowTransform, pgValueType, mysqlValueType, type ColumnRef, type MaskedColumnCount, type PlanColumn } from '../masking/index.js';
import type { Denial, ResultColumn, RowTransform, SessionInfo } from './types.js';
import { withheldServerText } from './server-text.js';

/** Results that list the server's diagnostics area (MySQL docs, "SHOW WARNINGS"), and their text column. */
const DIAGNOSTICS = new Set(['SHOW WARNINGS', 'SHOW ERRORS']);
const DIAGNOSTICS_TEXT = 'message';

/** Statements whose reads the analysis cannot see (dynamic SQL, stored code): they may read anything. */
const hidesReads = (s: StatementInfo): boolean => s.kind === 'procedural' || s.flags.includes('dynamic-sql');

/** What a catalog knows of an upstream (src/server/pg-catalog.ts, src/server/mysql-catalog.ts). */
export interface OriginCatalog {
  /** PostgreSQL: the table (or view) column a RowDescription origin names; undefined when unknown. */
  columnAt(tableOid: number, attnum: number): ColumnRef | undefined;
  /** The base-table columns a view reads; undefined for a table or an unknown name. */
  viewSources(table: TableRef): ColumnRef[] | undefined;
  /** Whether a relation of that name exists (false: the snapshot may be stale). */
  knows(table: TableRef): boolean;
  /**
   * Whether a known relation has a column of that name; undefined when the relation is unknown.
   * PostgreSQL reads `p.row_to_json` as `row_to_json(p)` when p has no such column.
   */
  hasColumn?(table: TableRef, column: string): boolean | undefined;
  /** The snapshot may miss recent DDL: read it again before the next decision that needs it. */
  markStale(): void;
  /** Re-reads the catalog when it is stale. */
  refresh(): Promise<void>;
}

export interface ResultMaskingParts {
  /** The masking rules in force (undefined: nothing is masked); follows reloads. */
  masking: () => MaskingConfig | undefined;
  /** The catalog of an upstream, by upstream name. */
  catalog: (upstream: string) => OriginCatalog | undefined;
}

/** A RowTransform that can say afterwards what it masked (counts, never values). */
export interface MaskingTransform extends RowTransform {
  maskedCounts(): (MaskedColumnCount | { strategy: 'detect'; rule: string; cells: number })[];
  /** Columns this role saw unmasked although a rule matched them (privileged unmasking). */
  readonly privileged: readonly { name: string; rules: string[] }[];
}

const UNKNOWN_REFRESH_MS = 2000;

export class ResultMasking {
  private engine: MaskingEngine | undefined;
  private engineConfig: MaskingConfig | undefined;
  /** Dictionary words survive an engine rebuilt on reload. */
  private readonly dictionaries = new Map<string, string[]>();
  /** Per engine: role -> `schema.table` -> whether any rule (enforced or excepted) covers it. */
  private covered = new Map<string, Map<string, boolean>>();
  /**
   * Results known to pass untouched, by row description and statement (both reused as they are
   * for every execution of a prepared statement): the hot path of a repeated query is one lookup.
   */
  private passing = new WeakMap<readonly ResultColumn[], WeakMap<StatementInfo, Set<string>>>();

  /** Upstream -> when a statement naming an unknown relation last made its catalog be read again. */
  private readonly unknownRefreshAt = new Map<string, number>();

  constructor(private readonly parts: ResultMaskingParts) {}

  /** The engine of the rules in force; rebuilt when a reload changed them. */
  current(): MaskingEngine | undefined {
    const config = this.parts.masking();
    if (config !== this.engineConfig) {
      this.engineConfig = config;
      this.engine = config ? new MaskingEngine(config) : undefined;
      this.covered = new Map();
      this.passing = new WeakMap();
      if (this.engine) for (const [name, words] of this.dictionaries) this.engine.setDictionary(name, words);
    }
    return this.engine;
  }

  setDictionary(name: string, words: string[]): void {
    this.dictionaries.set(name, words);
    this.current()?.setDictionary(name, words);
  }

  /** True when some rule masks (or privileged-unmasks) columns of this table for the role. */
  private covers(role: string, table: TableRef, engine: MaskingEngine): boolean {
    let byTable = this.covered.get(role);
    if (!byTable) this.covered.set(role, (byTable = new Map()));
    const key = `${table.schema ?? ''}.${table.name}`;
    let hit = byTable.get(key);
    if (hit === undefined) {
      hit = engine.rules.mentionsTable(role, table); // enforced and excepted rules alike
      byTable.set(key, hit);
    }
    return hit;
  }

  /** True when the role has rules it is subject to (its messages are scanned too). */
  masksRole(role: string): boolean {
    const engine = this.current();
    return engine !== undefined && engine.rules.appliesTo(role);
  }

  /**
   * At statement time: statements whose results masking cannot rewrite are refused, so are
   * statements using a masked column where its values would be confirmed (WHERE, JOIN, ORDER BY,
   * ...: blind inference), and a relation the catalog does not know yet makes it re-read first
   * (a view created a moment ago must be traced, not taken for an unknown table).
   */
  admit(session: SessionInfo, statements: readonly StatementInfo[] | undefined): Denial | Promise<Denial | undefined> | undefined {
    const engine = this.current();
    if (!engine || !statements) return undefined;
    const role = session.identity.role;
    const catalog = this.parts.catalog(session.upstream);
    let unknown = false;
    const restricted = engine.rules.appliesTo(role);
    for (const s of statements) {
      // DDL may create what the next statement names: let that one re-read the catalog at once.
      if (s.kind === 'ddl') this.unknownRefreshAt.delete(session.upstream);
      if (restricted) {
        const refusal = sessionChannelRefusal(s, role, (t) => this.protects(role, t, engine, catalog));
        if (refusal) return refusal;
      }
      for (const table of s.tablesRead) {
        const known = !catalog || (table.schema !== undefined && catalog.knows(table));
        if (!known && table.schema !== undefined) unknown = true;
        // COPY data is never masked: a protected table, a view over one, or a relation the
        // catalog cannot vouch for is refused for a masked role.
        if (s.kind === 'copy-out' && restricted && (!known || this.protects(role, table, engine, catalog))) {
          return {
            action: 'deny',
            sqlState: '0A000',
            rule: 'masking',
            message: `sqlveil: COPY of ${table.schema ? `${table.schema}.` : ''}${table.name} is not possible for role ${role}: its columns are masked (or cannot be traced), and COPY data is not masked`,
            hint: 'use SELECT: its rows are masked as they stream',
          };
        }
      }
    }
    const filtered = this.filterDenial(role, statements, engine, catalog);
    if (filtered !== undefined || !unknown || !catalog) return filtered;
    const misresolved = () => (restricted ? misresolvedTable(session, statements, catalog) : undefined);
    // A client naming tables that do not exist must not make the gateway re-read the catalog on
    // every statement: at most one such read per upstream every few seconds (what is still
    // unknown then is refused over protected tables, never let through).
    const now = Date.now();
    if (now - (this.unknownRefreshAt.get(session.upstream) ?? 0) < UNKNOWN_REFRESH_MS) return misresolved();
    this.unknownRefreshAt.set(session.upstream, now);
    catalog.markStale();
    // Checked again once the catalog is read: a new view may read masked columns.
    return catalog.refresh().then(
      () => this.filterDenial(role, statements, engine, catalog) ?? misresolved(),
      () => misresolved(), // masking then fails closed on what it cannot name
    );
  }

  /** True when the role's enforced rules protect the table, directly or through a view the catalog knows. */
  private protects(role: string, table: TableRef, engine: MaskingEngine, catalog: OriginCatalog | undefined): boolean {
    if (engine.rules.protectsTable(role, table)) return true;
    const base = catalog?.viewSources(table);
    return base?.some((b) => engine.rules.protectsTable(role, b.schema === undefined ? { name: b.table } : { schema: b.schema, name: b.table })) ?? false;
  }

  /**
   * Whether statements may read values the role's rules protect: a protected table read (or a
   * view over one), SQL the analysis cannot see into, or statements not known at all.
   */
  readsProtected(session: SessionInfo, statements: readonly StatementInfo[] | undefined): boolean {
    const engine = this.current();
    const role = session.identity.role;
    if (!engine || !engine.rules.appliesTo(role)) return false;
    if (statements === undefined) return true;
    const catalog = this.parts.catalog(session.upstream);
    return statements.some((s) => hidesReads(s) || s.tablesRead.some((t) => this.protects(role, t, engine, catalog)));
  }

  /** SHOW WARNINGS / SHOW ERRORS after protected reads: the Message column becomes the fixed text (its code kept). */
  withheldDiagnostics(columns: readonly ResultColumn[], statement: StatementInfo | undefined): MaskingTransform | undefined {
    if (!statement || statement.kind !== 'session' || !DIAGNOSTICS.has(statement.command)) return undefined;
    const text = columns.findIndex((c) => c.name.toLowerCase() === DIAGNOSTICS_TEXT);
    if (text < 0) return undefined;
    return withheldMessageTransform(text);
  }

  /** The refusal of the first statement that uses a masked column outside its output. */
  private filterDenial(role: string, statements: readonly StatementInfo[], engine: MaskingEngine, catalog: OriginCatalog | undefined): Denial | undefined {
    const relationSources = catalog ? (t: TableRef) => catalog.viewSources(t) : undefined;
    for (const s of statements) {
      if (s.filterColumns === undefined || s.filterColumns.length === 0) continue;
      const refusal = engine.rules.filterRefusal(role, s.filterColumns, relationSources ? { relationSources } : {});
      if (refusal) return { action: 'deny', sqlState: '42501', rule: `masking.rules.${refusal.rule}.filter`, message: `sqlveil: ${refusal.message}`, hint: refusal.hint };
    }
    return undefined;
  }

  /** The transform of one result set: undefined (pass through), a masking transform, or a refusal. */
  transformFor(session: SessionInfo, columns: readonly ResultColumn[] | undefined, statement: StatementInfo | undefined): MaskingTransform | Denial | undefined {
    const engine = this.current();
    if (!engine) return undefined;
    const role = session.identity.role;
    // Rows whose columns, or whose statement, the gateway cannot name never reach a masked role.
    if (!columns || !statement || statement.columns?.some(isRowsOfUnknownShape)) {
      return engine.rules.appliesTo(role) ? unknownResult(role, columns === undefined) : undefined;
    }
    if (columns.length === 0) return undefined;
    if (this.passing.get(columns)?.get(statement)?.has(role)) return undefined;
    const catalog = this.parts.catalog(session.upstream);
    const lineage = wholeRowWhereNoColumn(alignedLineage(statement, columns.length), catalog);
    const origins = columns.map((c, i) => this.originOf(c, catalog, statement, lineage?.[i]));
    const viewSources = catalog ? (t: TableRef) => catalog.viewSources(t) : undefined;
    // SHOW / DESCRIBE return the server's description of a table, not its rows (the table counts
    // as read for the table allow list only): their text is scanned like a message.
    if (describesOnly(statement)) return engine.rules.appliesTo(role) ? this.scanned(columns, engine) : undefined;
    // A user variable, a prepared or stored statement may hold what an earlier statement read:
    // what this one reads says nothing of it, so its untraced columns are of unknown provenance.
    const unknownReads = statement.flags.includes('variable-read') || hidesReads(statement);
    if (!unknownReads && !this.mayTouch(role, engine, origins, statement, viewSources)) {
      // A row-returning statement the analysis could not describe and that reads no protected
      // table (SHOW WARNINGS, SHOW of a setting, EXPLAIN): it can still carry a value the server
      // echoes back, so its text is scanned like an error message.
      if (lineage === undefined && engine.rules.appliesTo(role)) return this.scanned(columns, engine);
      if (origins.every((o, i) => o !== undefined || !columns[i]!.origin)) this.remember(columns, statement, role);
      return undefined;
    }

    const planColumns: PlanColumn[] = columns.map((c, i) => ({
      name: c.name,
      ...(origins[i] ? { origin: origins[i] } : {}),
      ...(lineage?.[i] ? { lineage: lineage[i] } : {}),
      type: session.client.protocol === 'mysql' ? mysqlValueType(c.typeId, c.charset ?? 0) : pgValueType(c.typeId),
    }));
    const plan = engine.planResult(role, planColumns, {
      ...(unknownReads ? {} : { tablesRead: statement.tablesRead }),
      ...(viewSources ? { relationSources: viewSources } : {}),
    });
    if (!plan.ok) return { action: 'deny', sqlState: '42501', rule: plan.rule, message: plan.message, hint: plan.hint };
    if (plan.masked.length === 0 && plan.privileged.length === 0) return undefined;
    const masker = engine.rowMasker(plan);
    const transform = maskingRowTransform(masker, columns, session.client.protocol, (c) => mysqlValueType(c.typeId, c.charset ?? 0) === 'text');
    return {
      columns: transform.columns,
      apply: transform.apply,
      maskedCounts: () => masker.counts(),
      privileged: plan.privileged.map((p) => ({ name: p.name, rules: p.rules })),
    };
  }

  private remember(columns: readonly ResultColumn[], statement: StatementInfo, role: string): void {
    let byStatement = this.passing.get(columns);
    if (!byStatement) this.passing.set(columns, (byStatement = new WeakMap()));
    let roles = byStatement.get(statement);
    if (!roles) byStatement.set(statement, (roles = new Set()));
    roles.add(role);
  }

  /** Every text cell passes through the content detectors (values in text format only; others pass). */
  private scanned(columns: readonly ResultColumn[], engine: MaskingEngine): MaskingTransform | undefined {
    const indexes = columns.flatMap((c, i) => (c.format === 'text' ? [i] : []));
    if (indexes.length === 0) return undefined;
    let cells = 0;
    return {
      columns: indexes,
      apply: (_column, buf, start, end) => {
        const text = buf.toString('utf8', start, end);
        const masked = engine.maskMessageText(text);
        if (masked === text) return buf.subarray(start, end);
        cells++;
        return Buffer.from(masked, 'utf8');
      },
      maskedCounts: () => (cells > 0 ? [{ strategy: 'detect', rule: 'unknown-provenance', cells }] : []),
      privileged: [],
    };
  }

  /** Error and notice text for a role subject to masking: identifiers the detectors find are masked. */
  maskMessage(text: string): string {
    return this.current()?.maskMessageText(text) ?? text;
  }

  private originOf(column: ResultColumn, catalog: OriginCatalog | undefined, statement: StatementInfo | undefined, lineage: ColumnLineage | undefined): ColumnRef | undefined {
    const o = column.origin;
    if (!o) return undefined;
    if (o.protocol === 'mysql') {
      // MySQL names derived tables, CTEs and temporary-table views as origins too (with the
      // alias as org_table, or no database): trust an origin only when it is a relation the
      // statement reads, and prefer the analysis' own trace when it has one, unless the server
      // names a column of a table read that the trace does not list (the server is right).
      if (o.schema === '' || !statement) return undefined;
      const same = (t: TableRef) => t.name.toLowerCase() === o.table.toLowerCase() && (t.schema ?? '').toLowerCase() === o.schema.toLowerCase();
      if (!statement.tablesRead.some(same)) return undefined;
      if (lineage && !lineage.opaque) {
        const column = o.column.toLowerCase();
        if (lineage.sources.some((s) => same(s.table) && (s.column === '*' || s.column.toLowerCase() === column))) return undefined;
      }
      return { schema: o.schema, table: o.table, column: o.column };
    }
    const named = catalog?.columnAt(o.tableOid, o.columnAttr);
    // An OID the snapshot does not know: re-read it for next time; this result fails closed.
    if (!named) catalog?.markStale();
    return named;
  }

  /** Cheap check before planning: could any rule apply to what this result reads? */
  private mayTouch(
    role: string,
    engine: MaskingEngine,
    origins: readonly (ColumnRef | undefined)[],
    statement: StatementInfo,
    viewSources: ((t: TableRef) => ColumnRef[] | undefined) | undefined,
  ): boolean {
    const tables: TableRef[] = [...statement.tablesRead];
    for (const o of origins) if (o) tables.push(o.schema === undefined ? { name: o.table } : { schema: o.schema, name: o.table });
    for (const t of tables) {
      if (this.covers(role, t, engine)) return true;
      const base = viewSources?.(t);
      if (base?.some((b) => this.covers(role, b.schema === undefined ? { name: b.table } : { schema: b.schema, name: b.table }, engine))) return true;
    }
    // Origins outside every rule and no protected table read: only opaque columns could hide
    // protected values, and those come from tables the statement reads.
    return false;
  }
}

/**
 * The analysis' output columns, when they line up one to one with the result's columns. An
 * unexpanded `*` does not: then no column gets lineage, and origins (or a refusal) decide.
 */
/**
 * A source column its table does not have is a function called in attribute notation
 * (PostgreSQL: `p.row_to_json` is `row_to_json(p)`, the whole row): the source becomes the
 * whole row, opaque, so masking treats it as what it is rather than as a harmless column.
 */
function wholeRowWhereNoColumn(columns: StatementInfo['columns'], catalog: OriginCatalog | undefined): StatementInfo['columns'] {
  if (columns === undefined || catalog?.hasColumn === undefined) return columns;
  const has = catalog.hasColumn.bind(catalog);
  const missing = (s: ColumnLineage['sources'][number]) => s.column !== '*' && has(s.table, s.column) === false;
  if (!columns.some((c) => c.sources.some(missing))) return columns;
  return columns.map((c) =>
    c.sources.some(missing) ? { ...c, opaque: true, sources: c.sources.map((s) => (missing(s) ? { table: s.table, column: '*' } : s)) } : c,
  );
}

/** A metadata statement (SHOW, DESCRIBE): kind session, so never EXECUTE or FETCH of table rows. */
function describesOnly(statement: StatementInfo): boolean {
  return statement.kind === 'session' && (statement.command === 'DESCRIBE' || statement.command.startsWith('SHOW '));
}

function alignedLineage(statement: StatementInfo | undefined, count: number): StatementInfo['columns'] {
  const cols = statement?.columns;
  if (!cols || cols.length !== count) return undefined;
  if (cols.some((c) => c.name === '*')) return undefined;
  return cols;
}

/**
 * The analysis resolves an unqualified name to the first schema of the search path; the server
 * takes the first schema that has the relation. When the first has none and a later one does,
 * the gateway would decide on a table the server does not read: refused for a masked role.
 */
function misresolvedTable(session: SessionInfo, statements: readonly StatementInfo[], catalog: OriginCatalog): Denial | undefined {
  const path = (session.client.searchPath ?? []).filter((s) => s !== '$user' && s !== '"$user"' && s !== '');
  if (session.client.protocol !== 'postgres' || path.length < 2) return undefined;
  for (const s of statements) {
    for (const table of s.tablesRead) {
      if (table.schema !== path[0] || catalog.knows(table)) continue;
      const found = path.slice(1).find((schema) => catalog.knows({ schema, name: table.name }));
      if (found === undefined) continue;
      return {
        action: 'deny',
        sqlState: '42P01',
        rule: 'masking',
        message: `sqlveil: table ${table.name} is found through the search path (${path.join(', ')}) in ${found}, not ${path[0]}: the gateway decides on qualified names only here`,
        hint: `write ${found}.${table.name}`,
      };
    }
  }
  return undefined;
}

/**
 * Rows whose shape the analysis could not see at all (EXECUTE of a SQL-prepared statement, CALL,
 * a function in FROM without a column list): nothing says which tables their values come from.
 */
function isRowsOfUnknownShape(c: ColumnLineage): boolean {
  return c.name === '*' && c.opaque && c.sources.length === 0;
}

function unknownResult(role: string, noColumns: boolean): Denial {
  const what = noColumns ? 'its columns were never described' : 'the statement that produced it is unknown to the gateway';
  return {
    action: 'deny',
    sqlState: '42501',
    rule: 'masking',
    message: `sqlveil: result withheld from role ${role}: ${what}, so it cannot be masked`,
    hint: 'run the statement by a Parse (or a simple query) through sqlveil; cursors must be declared and fetched through sqlveil',
  };
}

/**
 * Channels that carry values past the result masking, refused to a role subject to masking: a
 * variable assigned in a statement that reads a protected table (read back later, it has no
 * lineage), and HANDLER (reads table rows outside SELECT). Pure: `protects` says what is protected.
 */
export function sessionChannelRefusal(s: StatementInfo, role: string, protects: (t: TableRef) => boolean): Denial | undefined {
  if (s.flags.includes('handler')) {
    return {
      action: 'deny',
      sqlState: '42501',
      rule: 'masking.handler',
      message: `sqlveil: ${s.command} is not allowed for role ${role}: HANDLER reads table rows outside SELECT, where masking cannot follow them`,
      hint: 'read the rows with SELECT ... LIMIT n: protected columns come back masked',
    };
  }
  if (!s.flags.includes('variable-assignment')) return undefined;
  const table = s.tablesRead.find(protects);
  if (!table) return undefined;
  const name = `${table.schema ? `${table.schema}.` : ''}${table.name}`;
  return {
    action: 'deny',
    sqlState: '42501',
    rule: 'masking.variables',
    message: `sqlveil: assigning user variables in a statement that reads ${name} is not allowed for role ${role}: a value kept in a variable leaves masking behind`,
    hint: 'select the values as result columns instead (they come back masked), or assign variables only from tables no masking rule covers',
  };
}

/** Replaces one text column of every row by the fixed withheld text (the Code column stays). */
function withheldMessageTransform(column: number): MaskingTransform {
  let cells = 0;
  const text = Buffer.from(withheldServerText('error number in the Code column'), 'utf8');
  return {
    columns: [column],
    apply: () => {
      cells++;
      return text;
    },
    maskedCounts: () => (cells > 0 ? [{ strategy: 'detect', rule: 'withheld-server-text', cells }] : []),
    privileged: [],
  };
}
