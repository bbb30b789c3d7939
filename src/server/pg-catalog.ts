// The upstream catalog as the gateway sees it, read on a gateway-owned connection: loaded at
// start, and read again in the background whenever it is marked stale (an unknown table OID in a
// result, a statement naming an unknown relation, the gateway's periodic timer: other writers
// change it too). Masking uses it to name the origin of result columns; a stale snapshot makes
// masking stricter, never looser.
import { connectUpstream, type UpstreamLogin } from '../../protocols/postgres/upstream-handshake.js';
import { SimpleQueryConnection } from '../../protocols/postgres/simple-query.js';
import type { Logger } from '../log.js';
import type { TableRef } from '../sql/analysis.js';
import type { ColumnRef } from '../masking/index.js';
import type { OriginCatalog } from '../session/result-masking.js';
import { CatalogSnapshot, RELATIONS_QUERY, VIEW_DEPENDENCIES_QUERY } from './pg-catalog-snapshot.js';

export class PgCatalog implements OriginCatalog {
  private snapshot: CatalogSnapshot | undefined;
  private connection: SimpleQueryConnection | undefined;
  private loading: Promise<CatalogSnapshot> | undefined;
  private stale = true;
  private connecting: Promise<SimpleQueryConnection> | undefined;
  private stopped = false;

  constructor(
    private readonly login: UpstreamLogin,
    private readonly log: Logger,
  ) {}

  /** The snapshot may miss a change: read it again in the background (one read at a time). */
  markStale(): void {
    this.stale = true;
    if (this.stopped) return;
    this.fresh().catch((err: unknown) => this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'catalog read failed; it is retried when next marked stale'));
  }

  /** A snapshot no older than the last `markStale()`; concurrent callers share one read. */
  fresh(): Promise<CatalogSnapshot> {
    if (this.loading) return this.loading; // a read under way is newer than the snapshot
    if (!this.stale && this.snapshot) return Promise.resolve(this.snapshot);
    this.stale = false;
    this.loading = this.read().finally(() => (this.loading = undefined));
    return this.loading;
  }

  columnAt(tableOid: number, attnum: number): ColumnRef | undefined {
    const rel = this.snapshot?.relation(tableOid);
    const column = rel?.columns.get(attnum);
    return rel && column !== undefined ? { schema: rel.schema, table: rel.name, column } : undefined;
  }

  viewSources(table: TableRef): ColumnRef[] | undefined {
    if (table.schema === undefined) return undefined;
    return this.snapshot?.sourcesOfView(table.schema, table.name)?.map((s) => ({ schema: s.table.schema, table: s.table.name, column: s.column }));
  }

  hasColumn(table: TableRef, column: string): boolean | undefined {
    const rel = table.schema === undefined ? undefined : this.snapshot?.relationNamed(table.schema, table.name);
    return rel === undefined ? undefined : [...rel.columns.values()].includes(column);
  }

  knows(table: TableRef): boolean {
    return table.schema !== undefined && this.snapshot?.relationNamed(table.schema, table.name) !== undefined;
  }

  /** Runs a query of the gateway's own (a masking dictionary refresh) on the catalog connection, row by row. */
  async forEachRow(sql: string, onRow: (fields: (string | null)[]) => void): Promise<void> {
    const conn = await this.connect();
    await conn.forEachRow(sql, (fields) => onRow(fields));
  }

  async refresh(): Promise<void> {
    await this.fresh();
  }

  stop(): void {
    this.stopped = true;
    this.connection?.close();
    this.connection = undefined;
  }

  private async read(): Promise<CatalogSnapshot> {
    try {
      const conn = await this.connect();
      const relations = await conn.query(RELATIONS_QUERY);
      const dependencies = await conn.query(VIEW_DEPENDENCIES_QUERY);
      this.snapshot = new CatalogSnapshot(relations, dependencies);
      this.log.debug({ relations: this.snapshot.size }, 'catalog snapshot read');
      return this.snapshot;
    } catch (err) {
      this.stale = true;
      this.connection?.close();
      this.connection = undefined;
      throw err;
    }
  }

  /** One connection, shared by concurrent callers (a catalog read and a dictionary refresh at start). */
  private connect(): Promise<SimpleQueryConnection> {
    if (this.connection?.usable) return Promise.resolve(this.connection);
    this.connecting ??= connectUpstream({ ...this.login, params: { ...this.login.params, application_name: 'sqlveil-catalog' } })
      .then((up) => {
        up.socket.on('error', () => undefined);
        if (this.stopped) {
          up.socket.destroy();
          throw new Error('the catalog is stopped');
        }
        this.connection = new SimpleQueryConnection(up.socket);
        return this.connection;
      })
      .finally(() => (this.connecting = undefined));
    return this.connecting;
  }
}
