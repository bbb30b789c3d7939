// Cost of analysing a PostgreSQL statement on the gateway's hot path: on a cache miss (parse +
// walk), on a hit (fingerprint + rebuild from the cached template), and the hit rate over a
// pgbench-like stream. Run after `npm run build`:  node bench/sql-analysis.mjs
import { loadModule, parseSync } from 'libpg-query';
import { fingerprintPg } from '../dist/src/sql/fingerprint.js';
import { createPgAnalyzer } from '../dist/src/sql/pg-analyzer.js';

const context = { searchPath: ['public'] };

const pgbenchSelect = (aid) => `SELECT abalance FROM pgbench_accounts WHERE aid = ${aid};`;
const joinWithCte = (id) => `WITH recent AS (
    SELECT patient_id, max(admitted_at) AS last_admitted FROM admissions WHERE admitted_at > now() - interval '30 days' GROUP BY patient_id
  )
  SELECT p.id, p.name, w.name AS ward, d.name AS doctor, r.last_admitted, count(v.id) AS visits
  FROM patients p
  JOIN recent r ON r.patient_id = p.id
  JOIN wards w ON w.id = p.ward_id
  LEFT JOIN doctors d ON d.id = p.doctor_id
  LEFT JOIN visits v ON v.patient_id = p.id AND v.at > now() - interval '1 year'
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

const pad = (text, width) => text.padEnd(width);
const report = (label, micros) => console.log(`${pad(label, 48)} ${micros.toFixed(2).padStart(8)} µs/op`);

await loadModule();
const uncached = await createPgAnalyzer({ cacheEntries: 0 });
const cached = await createPgAnalyzer();

for (const [name, make] of [
  ['pgbench SELECT', pgbenchSelect],
  ['5-table join with a CTE', joinWithCte],
]) {
  console.log(`\n${name}`);
  report('  libpg-query parseSync alone', measure(20_000, (i) => parseSync(make(i))));
  report('  fingerprint alone', measure(200_000, (i) => fingerprintPg(make(i))));
  report('  analyze, cache miss (parse + walk)', measure(20_000, (i) => uncached.analyze(make(i), context)));
  cached.analyze(make(0), context);
  report('  analyze, cache hit (other literal each time)', measure(200_000, (i) => cached.analyze(make(i), context)));
  const analysis = cached.analyze(make(7), context);
  if (!analysis.ok || analysis.statements[0].tablesRead.length === 0) throw new Error(`unexpected analysis of ${name}`);
}

// A pgbench TPC-B-like stream: random literals, the same few shapes.
const stream = await createPgAnalyzer();
const random = (n) => Math.floor(Math.random() * n) + 1;
const transaction = () => {
  const [aid, tid, bid, delta] = [random(100_000), random(10), random(1), random(10_000) - 5000];
  return [
    'BEGIN;',
    `UPDATE pgbench_accounts SET abalance = abalance + ${delta} WHERE aid = ${aid};`,
    `SELECT abalance FROM pgbench_accounts WHERE aid = ${aid};`,
    `UPDATE pgbench_tellers SET tbalance = tbalance + ${delta} WHERE tid = ${tid};`,
    `UPDATE pgbench_branches SET bbalance = bbalance + ${delta} WHERE bid = ${bid};`,
    `INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (${tid}, ${bid}, ${aid}, ${delta}, CURRENT_TIMESTAMP);`,
    'END;',
  ];
};
let statements = 0;
const start = process.hrtime.bigint();
for (let i = 0; i < 20_000; i++) {
  for (const sql of transaction()) {
    stream.analyze(sql, context);
    statements++;
  }
}
const micros = Number(process.hrtime.bigint() - start) / 1000 / statements;
const stats = stream.stats();
console.log(`\npgbench-like stream: ${statements} statements`);
report('  mean analysis cost', micros);
console.log(`  hit rate ${((100 * stats.hits) / (stats.hits + stats.misses)).toFixed(3)}% (${stats.hits} hits, ${stats.misses} misses, ${stats.entries} shapes)`);
