// Cost of analysing a MySQL statement on the gateway's hot path: node-sql-parser alone, on a
// cache miss (lex + parse + walk), on a hit (lex + rebuild from the cached template), and the
// hit rate over a sysbench-like stream. Run after `npm run build`:  node bench/mysql-analysis.mjs
// (SQLVEIL_DIST=/other/dist node bench/mysql-analysis.mjs to measure another build).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const dist = process.env.SQLVEIL_DIST ?? fileURLToPath(new globalThis.URL('../dist', import.meta.url));
const { createMysqlAnalyzer } = await import(`${dist}/src/sql/mysql-analyzer.js`);
const { fingerprintMysql } = await import(`${dist}/src/sql/mysql-fingerprint.js`);
const { Parser } = createRequire(import.meta.url)('node-sql-parser/build/mysql');

const context = { searchPath: [], database: 'sbtest' };

const pointSelect = (id) => `SELECT c FROM sbtest1 WHERE id=${id}`;
const joinWithCte = (id) => `WITH recent AS (
    SELECT patient_id, max(admitted_at) AS last_admitted FROM admissions WHERE admitted_at > now() - INTERVAL 30 DAY GROUP BY patient_id
  )
  SELECT p.id, p.name, w.name AS ward, d.name AS doctor, r.last_admitted, count(v.id) AS visits
  FROM patients p
  JOIN recent r ON r.patient_id = p.id
  JOIN wards w ON w.id = p.ward_id
  LEFT JOIN doctors d ON d.id = p.doctor_id
  LEFT JOIN visits v ON v.patient_id = p.id AND v.at > now() - INTERVAL 1 YEAR
  WHERE p.id > ${id} AND w.name <> 'ICU'
  GROUP BY p.id, p.name, w.name, d.name, r.last_admitted
  ORDER BY r.last_admitted DESC
  LIMIT 50`;

/** Microseconds per call of `run(i)` over `iterations` calls, after a warm-up. */
function measure(iterations, run) {
  for (let i = 0; i < Math.min(iterations, 2000); i++) run(i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) run(i);
  return Number(process.hrtime.bigint() - start) / 1000 / iterations;
}

const report = (label, micros) => console.log(`${label.padEnd(48)} ${micros.toFixed(2).padStart(8)} µs/op`);

const parser = new Parser();
const uncached = await createMysqlAnalyzer({ cacheEntries: 0 });
const cached = await createMysqlAnalyzer();

for (const [name, make] of [
  ['sysbench point select', pointSelect],
  ['5-table join with a CTE', joinWithCte],
]) {
  console.log(`\n${name}`);
  report('  node-sql-parser astify alone', measure(5_000, (i) => parser.astify(make(i), { database: 'MySQL' })));
  report('  fingerprint alone', measure(200_000, (i) => fingerprintMysql(make(i))));
  report('  analyze, cache miss (lex + parse + walk)', measure(5_000, (i) => uncached.analyze(make(i), context)));
  cached.analyze(make(0), context);
  report('  analyze, cache hit (other literal each time)', measure(200_000, (i) => cached.analyze(make(i), context)));
  const analysis = cached.analyze(make(7), context);
  if (!analysis.ok || analysis.statements[0].tablesRead.length === 0) throw new Error(`unexpected analysis of ${name}`);
}

// A sysbench oltp_read_write-like stream: random literals, the same few shapes.
const stream = await createMysqlAnalyzer();
const random = (n) => Math.floor(Math.random() * n) + 1;
const transaction = () => {
  const [id, k] = [random(100_000), random(100_000)];
  return [
    'BEGIN',
    `SELECT c FROM sbtest1 WHERE id=${id}`,
    `SELECT c FROM sbtest1 WHERE id BETWEEN ${id} AND ${id + 99}`,
    `SELECT SUM(k) FROM sbtest1 WHERE id BETWEEN ${id} AND ${id + 99}`,
    `SELECT c FROM sbtest1 WHERE id BETWEEN ${id} AND ${id + 99} ORDER BY c`,
    `SELECT DISTINCT c FROM sbtest1 WHERE id BETWEEN ${id} AND ${id + 99} ORDER BY c`,
    `UPDATE sbtest1 SET k=k+1 WHERE id=${id}`,
    `UPDATE sbtest1 SET c='${k}-${id}-xyz' WHERE id=${id}`,
    `DELETE FROM sbtest1 WHERE id=${id}`,
    `INSERT INTO sbtest1 (id, k, c, pad) VALUES (${id}, ${k}, '${k}-c', '${id}-pad')`,
    'COMMIT',
  ];
};
let statements = 0;
const start = process.hrtime.bigint();
for (let i = 0; i < 10_000; i++) {
  for (const sql of transaction()) {
    stream.analyze(sql, context);
    statements++;
  }
}
const micros = Number(process.hrtime.bigint() - start) / 1000 / statements;
const stats = stream.stats();
console.log(`\nsysbench-like stream: ${statements} statements`);
report('  mean analysis cost', micros);
console.log(`  hit rate ${((100 * stats.hits) / (stats.hits + stats.misses)).toFixed(3)}% (${stats.hits} hits, ${stats.misses} misses, ${stats.entries} shapes)`);
