// The gateway's own queries (masking dictionary refreshes) hand rows over one by one, so a
// dictionary read from a large table never holds the table's rows: against the real PostgreSQL
// and MariaDB.
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { addDictionaryWords } from '../../src/masking/index.js';
import { MysqlCatalog } from '../../src/server/mysql-catalog.js';
import { PgCatalog } from '../../src/server/pg-catalog.js';
import { PG } from './harness.js';
import { MY } from './mysql-harness.js';

const log = createLogger('silent');
const pg = new PgCatalog({ host: PG.host, port: PG.port, database: PG.database, user: PG.user, tls: { mode: 'disable' }, connectTimeoutMs: 5000, params: {} }, log);
const my = new MysqlCatalog(
  { name: 'my', protocol: 'mysql', host: MY.host, port: MY.port, database: '', user: MY.user, tls: { mode: 'disable' }, connectTimeoutMs: 5000 },
  undefined,
  () => undefined,
  log,
);

afterAll(() => {
  pg.stop();
  my.stop();
});

const ROWS = 50_000;

describe('catalog queries row by row', () => {
  it('PostgreSQL: every row arrives, in order, as text; NULL stays null; errors reject and the connection goes on', async () => {
    const seen: (string | null)[][] = [];
    await pg.forEachRow(`SELECT g::text, CASE WHEN g % 2 = 0 THEN NULL ELSE 'Ada Quintero ' || g END FROM generate_series(1, ${ROWS}) g`, (fields) => seen.push(fields));
    expect(seen).toHaveLength(ROWS);
    expect(seen[0]).toEqual(['1', 'Ada Quintero 1']);
    expect(seen[1]).toEqual(['2', null]);
    expect(seen.at(-1)![0]).toBe(String(ROWS));
    await expect(pg.forEachRow('SELECT * FROM no_such_table_here', () => undefined)).rejects.toThrow(/no_such_table_here/);
    const after: string[] = [];
    await pg.forEachRow('SELECT 42', (f) => after.push(f[0]!));
    expect(after).toEqual(['42']);
  });

  it('MariaDB: every row arrives as text through the row callback (rows from its sequence engine)', async () => {
    let n = 0;
    let last: (string | null)[] = [];
    await my.forEachRow(`SELECT seq, IF(seq % 2 = 0, NULL, CONCAT('Bram Okafor ', seq)) FROM mysql.seq_1_to_${ROWS}`, (fields) => {
      n++;
      last = fields;
    });
    expect(n).toBe(ROWS);
    expect(last).toEqual([String(ROWS), null]);
    await expect(my.forEachRow('SELECT * FROM mysql.no_such_table_here', () => undefined)).rejects.toThrow(/no_such_table_here/);
  });

  it('a dictionary gathered from streamed rows holds the distinct words only', () => {
    const words = new Set<string>();
    for (let i = 0; i < 1000; i++) addDictionaryWords(i % 2 ? 'Ada Quintero' : 'Bram OKAFOR-Ndu', words);
    expect([...words].sort()).toEqual(['ada', 'bram', 'ndu', 'okafor', 'quintero']);
  });
});
