// What masking needs to know of a MySQL/MariaDB upstream: which relations exist and which are
// views, and the base columns each view reads. MySQL names a result column's origin by table,
// but a (MERGE) view's column is named after the view, not the table it shows: without this, a
// view over a protected table would pass unmasked. View definitions are read from
// information_schema.VIEWS and traced with the gateway's own MySQL analysis. The connection is
// the gateway's (mysql2 driver, the upstream URL's login), never a client's.
import type { EventEmitter } from 'node:events';
import type mysql from 'mysql2/promise';
import type { UpstreamConfig } from '../policy/config/types.js';
import type { StatementAnalyzer, TableRef } from '../sql/analysis.js';
import type { ColumnRef } from '../masking/index.js';
import type { OriginCatalog } from '../session/result-masking.js';
import type { Logger } from '../log.js';

const RELATIONS = `SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES`;
/** The server's own schemas hold no application data (and their views use syntax the analysis does not read). */
const VIEWS = `SELECT TABLE_SCHEMA, TABLE_NAME, VIEW_DEFINITION FROM information_schema.VIEWS
WHERE TABLE_SCHEMA NOT IN ('mysql', 'sys', 'information_schema', 'performance_schema')`;

type Row = (string | null)[];

export class MysqlCatalog implements OriginCatalog {
  private relations = new Set<string>();
  /** View -> what it reads, before views of views are expanded. */
  private viewReads = new Map<string, ColumnRef[]>();
  private connection: mysql.Connection | undefined;
  private loading: Promise<void> | undefined;
  private stale = true;
  private loaded = false;
  private connecting: Promise<mysql.Connection> | undefined;
  private stopped = false;

  constructor(
    private readonly upstream: UpstreamConfig,
    private readonly ca: Buffer | undefined,
    private readonly analyzer: () => StatementAnalyzer | undefined,
    private readonly log: Logger,
  ) {}

  columnAt(): ColumnRef | undefined {
    return undefined; // MySQL column definitions name their origin themselves
  }

  viewSources(table: TableRef): ColumnRef[] | undefined {
    if (table.schema === undefined) return undefined;
    const key = nameKey(table.schema, table.name);
    if (!this.viewReads.has(key)) return undefined;
    return this.expand(key, new Set());
  }

  knows(table: TableRef): boolean {
    return table.schema !== undefined && this.relations.has(nameKey(table.schema, table.name));
  }

  /** The view list may miss a change: read it again in the background (one read at a time). */
  markStale(): void {
    this.stale = true;
    if (this.stopped) return;
    this.refresh().catch((err: unknown) => this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'catalog read failed; it is retried when next marked stale'));
  }

  refresh(): Promise<void> {
    if (this.loading) return this.loading; // a read under way is newer than what is loaded
    if (!this.stale && this.loaded) return Promise.resolve();
    this.stale = false;
    this.loading = this.read().finally(() => (this.loading = undefined));
    return this.loading;
  }

  /** Rows of one of the catalog's own queries, as text. */
  private async query(sql: string): Promise<Row[]> {
    const conn = await this.connect();
    const [rows] = await conn.query({ sql, rowsAsArray: true });
    return (rows as unknown[][]).map((r) => r.map((v) => (v === null || v === undefined ? null : String(v))));
  }

  /** A query of the gateway's own (a masking dictionary refresh), row by row as text; nothing is kept. */
  async forEachRow(sql: string, onRow: (fields: (string | null)[]) => void): Promise<void> {
    const conn = await this.connect();
    // The callback API's row events (the promise API gathers the whole result first); its
    // connection is there at run time, not in the promise API's typings.
    const core = (conn as unknown as { connection: { query(opts: { sql: string; rowsAsArray: boolean }): EventEmitter } }).connection;
    await new Promise<void>((resolve, reject) => {
      core
        .query({ sql, rowsAsArray: true })
        .on('result', (row: unknown) => {
          if (Array.isArray(row)) onRow(row.map((v: unknown) => (v === null || v === undefined ? null : String(v))));
        })
        .on('error', reject)
        .on('end', () => resolve());
    });
  }

  stop(): void {
    this.stopped = true;
    this.drop();
  }

  private async read(): Promise<void> {
    try {
      const relations = await this.query(RELATIONS);
      const views = await this.query(VIEWS);
      const analyzer = this.analyzer();
      this.relations = new Set(relations.map(([schema, name]) => nameKey(schema!, name!)));
      const reads = new Map<string, ColumnRef[]>();
      const untraced: string[] = [];
      for (const [schema, name, definition] of views) {
        const sources = this.traceView(schema!, definition ?? null, analyzer);
        if (sources === undefined) untraced.push(`${schema}.${name}`);
        reads.set(nameKey(schema!, name!), sources ?? []);
      }
      if (untraced.length > 0) {
        this.log.warn({ views: untraced.slice(0, 20), count: untraced.length }, 'view definitions could not be traced; their columns are not masked by the tables behind them');
      }
      this.viewReads = reads;
      this.loaded = true;
    } catch (err) {
      this.stale = true;
      this.drop();
      throw err;
    }
  }

  /**
   * The columns a view definition reads: every output column's lineage sources, and for an
   * output the analysis cannot trace, every column of the tables it reads.
   */
  private traceView(schema: string, definition: string | null, analyzer: StatementAnalyzer | undefined): ColumnRef[] | undefined {
    const analysis = definition && analyzer ? analyzer.analyze(definition, { searchPath: [], database: schema }) : undefined;
    if (!analysis?.ok) return undefined;
    const out: ColumnRef[] = [];
    for (const s of analysis.statements) {
      const untraced = (s.columns ?? []).some((c) => c.opaque) || s.columns === undefined;
      for (const c of s.columns ?? []) for (const src of c.sources) out.push(ref(src.table, src.column));
      if (untraced) for (const t of s.tablesRead) out.push(ref(t, '*'));
    }
    return out;
  }

  private expand(key: string, seen: Set<string>): ColumnRef[] {
    if (seen.has(key)) return [];
    seen.add(key);
    const out: ColumnRef[] = [];
    for (const src of this.viewReads.get(key) ?? []) {
      const inner = src.schema === undefined ? undefined : nameKey(src.schema, src.table);
      if (inner !== undefined && this.viewReads.has(inner)) out.push(...this.expand(inner, seen).map((s) => ({ ...s, column: '*' === src.column ? '*' : s.column })));
      else out.push(src);
    }
    return out;
  }

  /** One connection, shared by concurrent callers. */
  private connect(): Promise<mysql.Connection> {
    if (this.connection) return Promise.resolve(this.connection);
    this.connecting ??= this.open()
      .then((conn) => {
        if (this.stopped) {
          conn.destroy();
          throw new Error('the catalog is stopped');
        }
        this.connection = conn;
        conn.on('error', () => this.drop());
        return conn;
      })
      .finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private drop(): void {
    const conn = this.connection;
    this.connection = undefined;
    conn?.destroy();
  }

  private async open(): Promise<mysql.Connection> {
    const up = this.upstream;
    const tls = up.tls.mode;
    // The driver (about 17 MB with its character sets) loads when a MySQL result first needs the catalog.
    const { default: driver } = await import('mysql2/promise');
    return driver.createConnection({
      host: up.host,
      port: up.port,
      user: up.user,
      ...(up.password !== undefined ? { password: up.password } : {}),
      connectTimeout: up.connectTimeoutMs,
      ...(tls === 'disable' || tls === 'prefer' ? {} : { ssl: { ca: this.ca, rejectUnauthorized: tls === 'verify-ca' || tls === 'verify-full' } }),
    });
  }
}

function ref(table: TableRef, column: string): ColumnRef {
  return table.schema === undefined ? { table: table.name, column } : { schema: table.schema, table: table.name, column };
}

function nameKey(schema: string, name: string): string {
  return `${schema}\0${name}`.toLowerCase();
}
