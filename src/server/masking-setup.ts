// What masking needs from the upstreams, owned by the running gateway: a catalog per PostgreSQL
// upstream (to name result column origins) and the dictionaries the rules file fills from a
// query (patient names for the free-text detector), refreshed on a timer. Both use a
// gateway-owned connection with the upstream's own login (the URL's), never a client's.
import type { GatewayConfig, MaskingConfig, UpstreamConfig } from '../policy/config/types.js';
import type { Logger } from '../log.js';
import { addDictionaryWords } from '../masking/index.js';
import { ResultMasking } from '../session/result-masking.js';
import type { StatementAnalyzer } from '../sql/analysis.js';
import { PgCatalog } from './pg-catalog.js';
import { MysqlCatalog } from './mysql-catalog.js';

type UpstreamCatalog = PgCatalog | MysqlCatalog;

const CATALOG_REFRESH_MS = 60_000;

export class GatewayMasking {
  readonly results: ResultMasking;
  private readonly catalogs = new Map<string, UpstreamCatalog>();
  /** The MySQL analysis, to trace view definitions (set once the analyzers are loaded). */
  mysqlAnalyzer: StatementAnalyzer | undefined;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly config: GatewayConfig,
    private readonly masking: () => MaskingConfig | undefined,
    private readonly ca: (upstream: UpstreamConfig) => Buffer | undefined,
    private readonly log: Logger,
  ) {
    this.results = new ResultMasking({ masking, catalog: (name) => this.catalog(name) });
  }

  /**
   * Reads the catalogs and dictionaries before the first client, so the first statements are
   * masked precisely rather than refused; failures are logged and retried (masking fails closed
   * meanwhile: an origin it cannot name is not trusted).
   */
  async start(): Promise<void> {
    if (!this.masking()) return;
    const loads: Promise<void>[] = [];
    for (const up of this.config.upstreams) {
      loads.push(this.catalog(up.name)!.refresh().catch((err: unknown) => this.log.error({ upstream: up.name, err: errText(err) }, 'catalog read failed; masking refuses what it cannot name until it succeeds')));
    }
    for (const dict of this.masking()?.detectors.dictionaries ?? []) {
      const refresh = dict.refresh;
      if (!refresh) continue;
      const run = () => this.refreshDictionary(dict.name, refresh.query, refresh.upstream);
      loads.push(run());
      const timer = setInterval(() => void run(), refresh.everyMs);
      timer.unref();
      this.timers.push(timer);
    }
    await Promise.all(loads);
    // Other clients change the catalogs too: re-read them now and then even without DDL seen here.
    const timer = setInterval(() => {
      for (const c of this.catalogs.values()) c.markStale();
    }, CATALOG_REFRESH_MS);
    timer.unref();
    this.timers.push(timer);
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    for (const c of this.catalogs.values()) c.stop();
  }

  /** The catalog of an upstream, opened on first use. */
  private catalog(name: string): UpstreamCatalog | undefined {
    let catalog = this.catalogs.get(name);
    if (catalog) return catalog;
    const up = this.config.upstreams.find((u) => u.name === name);
    if (!up) return undefined;
    if (up.protocol === 'mysql') {
      catalog = new MysqlCatalog(up, this.ca(up), () => this.mysqlAnalyzer, this.log.child({ upstream: name, part: 'catalog' }));
      this.catalogs.set(name, catalog);
      return catalog;
    }
    catalog = new PgCatalog(
      {
        host: up.host,
        port: up.port,
        database: up.database,
        user: up.user,
        password: up.password,
        tls: { mode: up.tls.mode, ca: this.ca(up), serverName: up.tls.serverName },
        connectTimeoutMs: up.connectTimeoutMs,
        params: {},
      },
      this.log.child({ upstream: name, part: 'catalog' }),
    );
    this.catalogs.set(name, catalog);
    return catalog;
  }

  private async refreshDictionary(name: string, query: string, upstream: string | undefined): Promise<void> {
    const target = upstream ?? this.config.upstreams[0]?.name;
    const catalog = target === undefined ? undefined : this.catalog(target);
    if (!catalog) {
      this.log.error({ dictionary: name, upstream: target }, 'dictionary refresh names no upstream; the dictionary stays as it is');
      return;
    }
    try {
      // Split into words as rows arrive: memory follows the distinct words, not the table's rows.
      const words = new Set<string>();
      let entries = 0;
      await catalog.forEachRow(query, (fields) => {
        const v = fields[0];
        if (typeof v !== 'string' || v.length === 0) return;
        entries++;
        addDictionaryWords(v, words);
      });
      this.results.setDictionary(name, [...words]);
      this.log.info({ dictionary: name, entries, words: words.size }, 'masking dictionary refreshed');
    } catch (err) {
      this.log.error({ dictionary: name, err: errText(err) }, 'masking dictionary refresh failed; keeping the previous words');
    }
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
