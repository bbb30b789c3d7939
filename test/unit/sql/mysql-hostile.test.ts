// MySQL / MariaDB ways to get a write, a file or a hidden statement past a read-only check, each
// of which must be seen for what it does; statements of every kind; strings that must be refused.
import { beforeAll, describe, expect, it } from 'vitest';
import type { RiskFlag, StatementKind } from '../../../src/sql/analysis.js';
import { createMysqlAnalyzer, type MysqlStatementAnalyzer } from '../../../src/sql/mysql-analyzer.js';
import { mysqlCharsetIsSafe, mysqlSqlModeIsSafe } from '../../../src/sql/mysql-settings.js';
import { statementsOf } from './helpers.js';

let my: MysqlStatementAnalyzer;
beforeAll(async () => {
  my = await createMysqlAnalyzer();
});

const context = { searchPath: [], database: 'clinic' } as const;

const cases: [string, StatementKind[], RiskFlag[]][] = [
  ['/* harmless */ DROP TABLE patients', ['ddl'], []],
  ['-- just a select\nDELETE FROM patients WHERE id = 1', ['delete'], []],
  ['# hash comment\nTRUNCATE patients', ['truncate'], []],
  ['SELECT 1 /* ; DROP TABLE x; */', ['select'], []],
  ['SELECT 1--1', ['select'], []],
  ['SELECT 1 -- ; DROP TABLE x', ['select'], []],
  ['COMMIT; DROP TABLE patients', ['transaction', 'ddl'], ['multi-statement']],
  ['SELECT 1; DELETE FROM patients', ['select', 'delete'], ['delete-without-where', 'multi-statement']],
  ['SELECT/**/1;DROP/**/TABLE/**/x', ['select', 'ddl'], ['multi-statement']],
  ["SELECT 'a\\'; DELETE FROM patients; -- '", ['select'], []],
  ["SELECT 'a'';DELETE FROM patients;--'", ['select'], []],
  ['SELECT "a\\"; DELETE FROM patients; -- "', ['select'], []],
  ["SELECT '\\\\'; DELETE FROM patients", ['select', 'delete'], ['delete-without-where', 'multi-statement']],
  ["SELECT '\\u0027; DROP TABLE patients; --'", ['select'], []],
  ["SELECT 'ʼ; DROP TABLE patients; --'", ['select'], []],
  ["SELECT * FROM patients WHERE name = '＇; DROP TABLE x; --'", ['select'], []],
  ['SELECT * FROM patients INTO OUTFILE \'/tmp/p.csv\'', ['copy-out'], ['server-file-access']],
  ["SELECT ssn INTO DUMPFILE '/tmp/p' FROM patients LIMIT 1", ['copy-out'], ['server-file-access']],
  ["LOAD DATA INFILE '/etc/passwd' INTO TABLE patients", ['copy-in'], ['server-file-access']],
  ["LOAD DATA LOCAL INFILE 'p.csv' REPLACE INTO TABLE patients FIELDS TERMINATED BY ','", ['copy-in'], ['server-file-access']],
  ["SELECT load_file('/etc/passwd')", ['select'], ['server-file-access']],
  ['HANDLER patients OPEN', ['session'], ['handler']],
  ['HANDLER patients READ FIRST', ['select'], ['handler']],
  ['HANDLER patients CLOSE', ['session'], ['handler']],
  ['DO sleep(1)', ['select'], []],
  ['SELECT benchmark(1000000, md5(1))', ['select'], []],
  ['TABLE patients', ['select'], []],
  ['VALUES ROW(1, 2), ROW(3, 4)', ['select'], []],
  ['INSERT INTO archive SELECT * FROM patients', ['insert'], []],
  ["REPLACE INTO patients (id, name) VALUES (1, 'x')", ['merge'], []],
  ['REPLACE INTO patients SELECT * FROM staging', ['merge'], []],
  ["INSERT INTO patients (id) VALUES (1) ON DUPLICATE KEY UPDATE name = 'y'", ['insert'], []],
  ['UPDATE patients p JOIN visits v ON v.pid = p.id SET p.ssn = NULL', ['update'], ['update-without-where']],
  ['UPDATE patients, visits SET patients.ssn = visits.code WHERE patients.id = visits.pid', ['update'], []],
  ['UPDATE patients SET ssn = NULL WHERE 1 = 1', ['update'], ['update-without-where']],
  ['UPDATE patients SET ssn = NULL WHERE id = 5 OR 1 = 1', ['update'], ['update-without-where']],
  ['DELETE FROM patients WHERE id = 5 || 1', ['delete'], ['delete-without-where']],
  ['DELETE FROM patients WHERE id = 5 XOR 1', ['delete'], ['delete-without-where']],
  ['DELETE FROM patients WHERE ward = 2 AND (id = 5 OR TRUE)', ['delete'], ['delete-without-where']],
  ['DELETE FROM patients WHERE EXISTS (SELECT 1 FROM visits WHERE visits.code = 1)', ['delete'], ['delete-without-where']],
  ['DELETE FROM patients WHERE id IN (SELECT pid FROM visits) OR ward = 3', ['delete'], []],
  ['DELETE p FROM patients p JOIN visits v ON v.pid = p.id', ['delete'], ['delete-without-where']],
  ['DELETE patients, visits FROM patients, visits WHERE patients.id = visits.pid', ['delete'], []],
  ['DELETE FROM patients WHERE id = 1 LIMIT 1', ['delete'], []],
  ['CALL purge_patients()', ['procedural'], []],
  ["PREPARE s FROM 'DELETE FROM patients'; EXECUTE s", ['session', 'session'], ['delete-without-where', 'dynamic-sql', 'multi-statement']],
  ['PREPARE s FROM @sql', ['session'], ['dynamic-sql']],
  ["EXECUTE IMMEDIATE 'DELETE FROM patients'", ['delete'], ['delete-without-where', 'dynamic-sql']],
  ['EXECUTE IMMEDIATE @sql', ['other'], ['dynamic-sql']],
  ['EXECUTE s USING @a, @b', ['session'], ['dynamic-sql']],
  ['DEALLOCATE PREPARE s', ['session'], []],
  ['SELECT * FROM patients FOR UPDATE', ['select'], ['locking-read']],
  ['SELECT * FROM patients WHERE id = 1 LOCK IN SHARE MODE', ['select'], ['locking-read']],
  ['SELECT * FROM patients WHERE id = 1 FOR SHARE', ['select'], ['locking-read']],
  ['SELECT * FROM patients p FORCE INDEX (ix_ssn) JOIN visits v USE INDEX FOR JOIN (a, b) ON v.pid = p.id', ['select'], []],
  ["UPDATE mysql.user SET authentication_string = '' WHERE user = 'root'", ['update'], ['system-catalog-write']],
  ['DELETE FROM performance_schema.setup_actors WHERE 1 = 1', ['delete'], ['delete-without-where', 'system-catalog-write']],
  ['EXPLAIN SELECT * FROM patients', ['explain'], []],
  ['EXPLAIN DELETE FROM patients', ['explain'], ['delete-without-where']],
  ['EXPLAIN ANALYZE SELECT * FROM patients', ['select'], ['explain-analyze']],
  ['ANALYZE SELECT * FROM patients', ['select'], ['explain-analyze']],
  ['ANALYZE FORMAT=JSON DELETE FROM patients WHERE id = 1', ['delete'], ['explain-analyze']],
  ['DROP TRIGGER t', ['ddl'], []],
  ['CREATE PROCEDURE p() BEGIN DELETE FROM patients; END', ['procedural'], ['multi-statement']],
  ["CREATE FUNCTION evil RETURNS STRING SONAME 'evil.so'", ['procedural'], ['server-file-access']],
  ['CREATE EVENT e ON SCHEDULE EVERY 1 HOUR DO DELETE FROM patients', ['procedural'], []],
  ['CREATE TRIGGER t BEFORE INSERT ON patients FOR EACH ROW SET NEW.ssn = NULL', ['procedural'], []],
  ["INSTALL PLUGIN x SONAME 'x.so'", ['admin'], ['server-file-access']],
  ["CREATE TABLE remote (a INT) ENGINE=FEDERATED CONNECTION='mysql://u@evil/db/t'", ['ddl'], ['network-access']],
  ["CHANGE MASTER TO MASTER_HOST = 'evil.example'", ['admin'], ['network-access']],
  ["SELECT ssn FROM patients UNION SELECT tax_id FROM staff INTO OUTFILE '/tmp/x'", ['copy-out'], ['server-file-access']],
];

describe('read-only bypasses', () => {
  it.each(cases)('%s', (sql, kinds, flags) => {
    const statements = statementsOf(my.analyze(sql, context));
    expect(statements.map((statement) => statement.kind)).toEqual(kinds);
    expect([...new Set(statements.flatMap((statement) => statement.flags))].sort()).toEqual([...flags].sort());
  });

  it('reads the table a non-recursive CTE names with its own name', () => {
    const [statement] = statementsOf(my.analyze('WITH patients AS (SELECT * FROM patients WHERE id = 1) SELECT ssn FROM patients', context));
    expect(statement!.tablesRead).toEqual([{ schema: 'clinic', name: 'patients' }]);
    expect(statement!.columns![0]).toMatchObject({ name: 'ssn', sources: [{ table: { schema: 'clinic', name: 'patients' }, column: '*' }], opaque: true });
  });

  it('drops index hints but keeps their table', () => {
    const [statement] = statementsOf(my.analyze('SELECT p.ssn FROM patients p IGNORE INDEX (ix) WHERE p.id = 1', context));
    expect(statement!.tablesRead).toEqual([{ schema: 'clinic', name: 'patients' }]);
    expect(statement!.columns![0]!.sources).toEqual([{ table: { schema: 'clinic', name: 'patients' }, column: 'ssn' }]);
  });

  it('reads and writes the right tables of multi-table UPDATE and DELETE', () => {
    const [update] = statementsOf(my.analyze('UPDATE patients p JOIN visits v ON v.pid = p.id SET p.ssn = v.code WHERE v.id = 1', context));
    expect(update!.tablesWritten).toEqual([{ schema: 'clinic', name: 'patients' }]);
    expect(update!.tablesRead).toEqual([{ schema: 'clinic', name: 'patients' }, { schema: 'clinic', name: 'visits' }]);
    const [del] = statementsOf(my.analyze('DELETE v FROM patients p JOIN archive.visits v ON v.pid = p.id WHERE p.id = 1', context));
    expect(del!.tablesWritten).toEqual([{ schema: 'archive', name: 'visits' }]);
  });

  it('sees the statement a PREPARE holds when it is prepared', () => {
    const [prepare] = statementsOf(my.analyze("PREPARE s FROM 'UPDATE patients SET ssn = NULL WHERE id = ?'", context));
    expect(prepare!.tablesWritten).toEqual([{ schema: 'clinic', name: 'patients' }]);
    expect(prepare!.flags).toContain('dynamic-sql');
    expect(my.analyze("PREPARE s FROM 'SELEC 1'", context).ok).toBe(false);
  });

  it('keeps backtick-quoted names exactly, odd case and spaces included', () => {
    const [statement] = statementsOf(my.analyze('SELECT `SSN` FROM `Clinic DB`.`Patients``X` WHERE `Id` = 1', context));
    expect(statement!.tablesRead).toEqual([{ schema: 'Clinic DB', name: 'Patients`X' }]);
    expect(statement!.columns).toEqual([{ name: 'SSN', sources: [{ table: { schema: 'Clinic DB', name: 'Patients`X' }, column: 'SSN' }], opaque: false }]);
  });

  it('resolves tables after USE in the same string, and reports the database set', () => {
    const statements = statementsOf(my.analyze('USE billing; SELECT * FROM invoices; SELECT * FROM clinic.patients', context));
    expect(statements[0]!.setsDatabase).toBe('billing');
    expect(statements[1]!.tablesRead).toEqual([{ schema: 'billing', name: 'invoices' }]);
    expect(statements[2]!.tablesRead).toEqual([{ schema: 'clinic', name: 'patients' }]);
  });

  it('records functions lower-case, stored functions with their database', () => {
    const [statement] = statementsOf(my.analyze('SELECT SLEEP(1), Benchmark(1, 2), clinic.Decrypt(ssn) FROM patients', context));
    expect(statement!.functions).toEqual(['sleep', 'benchmark', 'clinic.decrypt']);
  });
});

describe('kinds and commands', () => {
  const kinds: [string, StatementKind, string][] = [
    ['CREATE TABLE t (id INT)', 'ddl', 'CREATE TABLE'],
    ['CREATE TABLE copy AS SELECT * FROM patients', 'ddl', 'CREATE TABLE'],
    ['ALTER TABLE patients ADD COLUMN x INT', 'ddl', 'ALTER TABLE'],
    ['RENAME TABLE patients TO old_patients', 'ddl', 'RENAME TABLE'],
    ['DROP DATABASE clinic', 'ddl', 'DROP DATABASE'],
    ['CREATE INDEX i ON patients (ssn)', 'ddl', 'CREATE INDEX'],
    ['CREATE VIEW v AS SELECT ssn FROM patients', 'ddl', 'CREATE VIEW'],
    ['CREATE TABLE c LIKE patients', 'ddl', 'CREATE TABLE'],
    ['TRUNCATE TABLE patients', 'truncate', 'TRUNCATE'],
    ["GRANT SELECT ON clinic.* TO 'agent'@'%'", 'dcl', 'GRANT'],
    ["REVOKE SELECT ON clinic.* FROM 'agent'@'%'", 'dcl', 'REVOKE'],
    ["CREATE USER 'x'@'%' IDENTIFIED BY 'pw'", 'dcl', 'CREATE USER'],
    ["DROP USER 'x'@'%'", 'dcl', 'DROP USER'],
    ["ALTER USER 'x'@'%' IDENTIFIED BY 'pw'", 'dcl', 'ALTER USER'],
    ['BEGIN', 'transaction', 'BEGIN'],
    ['START TRANSACTION', 'transaction', 'START TRANSACTION'],
    ['ROLLBACK', 'transaction', 'ROLLBACK'],
    ['SAVEPOINT a', 'transaction', 'SAVEPOINT'],
    ['RELEASE SAVEPOINT a', 'transaction', 'RELEASE SAVEPOINT'],
    ['ROLLBACK TO SAVEPOINT a', 'transaction', 'ROLLBACK TO SAVEPOINT'],
    ['SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED', 'transaction', 'SET TRANSACTION'],
    ['SET autocommit = 0', 'session', 'SET'],
    ['SET @x = (SELECT ssn FROM patients LIMIT 1)', 'session', 'SET'],
    ['SHOW TABLES', 'session', 'SHOW TABLES'],
    ['USE clinic', 'session', 'USE'],
    ['DESCRIBE patients', 'session', 'DESCRIBE'],
    ['DESC billing.invoices', 'session', 'DESCRIBE'],
    ['SHOW CREATE TABLE billing.invoices', 'session', 'SHOW CREATE'],
    ['SHOW COLUMNS FROM patients', 'session', 'SHOW COLUMNS'],
    ["SHOW VARIABLES LIKE 'lower_case%'", 'session', 'SHOW VARIABLES'],
    ['SHOW WARNINGS', 'session', 'SHOW WARNINGS'],
    ["SHOW FULL TABLES FROM clinic LIKE 'p%'", 'session', 'SHOW TABLES'],
    ["SHOW SESSION STATUS LIKE 'Ssl_cipher'", 'session', 'SHOW STATUS'],
    ['SHOW GRANTS', 'session', 'SHOW GRANTS'],
    ['KILL 42', 'admin', 'KILL'],
    ['KILL QUERY 42', 'admin', 'KILL'],
    ['FLUSH PRIVILEGES', 'admin', 'FLUSH PRIVILEGES'],
    ['OPTIMIZE TABLE patients', 'admin', 'OPTIMIZE TABLE'],
    ['ANALYZE TABLE patients, visits', 'admin', 'ANALYZE TABLE'],
    ['CHECK TABLE patients', 'admin', 'CHECK TABLE'],
    ['LOCK TABLES patients WRITE', 'admin', 'LOCK TABLES'],
    ['UNLOCK TABLES', 'admin', 'UNLOCK TABLES'],
  ];
  it.each(kinds)('%s', (sql, kind, command) => {
    const [statement] = statementsOf(my.analyze(sql, context));
    expect(statement!.kind).toBe(kind);
    expect(statement!.command).toBe(command);
  });

  it('reads the source of CREATE TABLE ... AS / LIKE and CREATE VIEW', () => {
    for (const sql of ['CREATE TABLE c AS SELECT * FROM patients', 'CREATE TABLE c LIKE patients', 'CREATE VIEW c AS SELECT ssn FROM patients']) {
      const [statement] = statementsOf(my.analyze(sql, context));
      expect(statement!.tablesRead, sql).toEqual([{ schema: 'clinic', name: 'patients' }]);
      expect(statement!.tablesWritten, sql).toEqual([{ schema: 'clinic', name: 'c' }]);
    }
  });

  it('counts the table of DESCRIBE and SHOW as read', () => {
    for (const [sql, table] of [
      ['DESC billing.invoices', { schema: 'billing', name: 'invoices' }],
      ['DESCRIBE patients ssn', { schema: 'clinic', name: 'patients' }],
      ['SHOW CREATE TABLE billing.invoices', { schema: 'billing', name: 'invoices' }],
      ['SHOW COLUMNS FROM patients', { schema: 'clinic', name: 'patients' }],
      ['SHOW FULL COLUMNS FROM invoices FROM billing', { schema: 'billing', name: 'invoices' }],
      ['SHOW INDEX IN patients', { schema: 'clinic', name: 'patients' }],
    ] as const) {
      // SHOW also reads the information_schema relation it is the equivalent of (src/sql/mysql-show.ts).
      const read = statementsOf(my.analyze(sql, context))[0]!.tablesRead.filter((t) => t.schema !== 'information_schema');
      expect(read, sql).toEqual([table]);
    }
  });

  it('counts a subquery in SHOW ... WHERE as a read', () => {
    const analysis = my.analyze("SHOW DATABASES WHERE (SELECT ssn FROM patients LIMIT 1) = '1'", context);
    if (analysis.ok) expect(analysis.statements[0]!.tablesRead).toContainEqual({ schema: 'clinic', name: 'patients' });
    else expect(analysis.error).toMatch(/cannot parse/);
  });

  it('counts a subquery in SET as a read', () => {
    const [statement] = statementsOf(my.analyze('SET @x = (SELECT ssn FROM patients LIMIT 1)', context));
    expect(statement!.tablesRead).toEqual([{ schema: 'clinic', name: 'patients' }]);
  });

  it('reads LIMIT n, LIMIT o, n and LIMIT n OFFSET o', () => {
    const limit = (sql: string): number | undefined => statementsOf(my.analyze(sql, context))[0]!.limit;
    expect(limit('SELECT * FROM patients LIMIT 10')).toBe(10);
    expect(limit('SELECT * FROM patients LIMIT 5, 20')).toBe(20);
    expect(limit('SELECT * FROM patients LIMIT 20 OFFSET 5')).toBe(20);
    expect(limit('SELECT a FROM t UNION SELECT b FROM u LIMIT 7')).toBe(7);
    expect(limit('SELECT * FROM patients LIMIT ?')).toBeUndefined();
    expect(limit('SELECT * FROM patients')).toBeUndefined();
    expect(limit('TABLE patients LIMIT 3')).toBe(3);
  });
});

describe('settings that change how statements are read', () => {
  const refused = [
    "SET @@session.sql_mode = 'ANSI_QUOTES'",
    "SET sql_mode = 'STRICT_TRANS_TABLES,NO_BACKSLASH_ESCAPES'",
    "SET SESSION sql_mode = 'ansi'",
    "SET GLOBAL sql_mode = 'NO_BACKSLASH_ESCAPES'",
    "SET @@sql_mode = CONCAT(@@sql_mode, ',ANSI_QUOTES')",
    'SET sql_mode = @saved',
    'SET sql_mode = 4',
    'SET NAMES gbk',
    "SET NAMES 'sjis'",
    'SET CHARACTER SET big5',
    'SET character_set_client = cp932',
    "SET @@character_set_client = 'gbk'",
    "SELECT 1; SET sql_mode = 'NO_BACKSLASH_ESCAPES'; SELECT 'a\\'; DROP TABLE patients; -- '",
  ];
  it.each(refused)('refuses %s', (sql) => {
    const analysis = my.analyze(sql, context);
    expect(analysis.ok).toBe(false);
    expect(!analysis.ok && analysis.error).toMatch(/sqlveil/);
  });

  const allowed = [
    "SET sql_mode = 'STRICT_TRANS_TABLES,ONLY_FULL_GROUP_BY'",
    "SET SESSION sql_mode = ''",
    'SET sql_mode = DEFAULT',
    'SET NAMES utf8mb4',
    "SET NAMES 'utf8mb4' COLLATE 'utf8mb4_unicode_ci'",
    'SET NAMES DEFAULT',
    'SET character_set_client = utf8mb4',
    "SET @mode = 'ANSI_QUOTES'",
  ];
  it.each(allowed)('allows %s', (sql) => {
    expect(statementsOf(my.analyze(sql, context))[0]!.kind).toBe('session');
  });

  it('checks each value afresh (a safe value cached never lets an unsafe one through)', () => {
    expect(my.analyze("SET sql_mode = 'TRADITIONAL'", context).ok).toBe(true);
    expect(my.analyze("SET sql_mode = 'NO_BACKSLASH_ESCAPES'", context).ok).toBe(false);
  });

  it('exports the checks the gateway runs on the session at login', () => {
    expect(mysqlSqlModeIsSafe('STRICT_TRANS_TABLES,NO_ZERO_DATE')).toBe(true);
    expect(mysqlSqlModeIsSafe('REAL_AS_FLOAT,PIPES_AS_CONCAT,ANSI_QUOTES,IGNORE_SPACE,ANSI')).toBe(false);
    expect(mysqlSqlModeIsSafe('NO_BACKSLASH_ESCAPES')).toBe(false);
    expect(mysqlCharsetIsSafe('utf8mb4')).toBe(true);
    expect(mysqlCharsetIsSafe('gbk')).toBe(false);
  });
});

describe('refused strings', () => {
  const refused: [string, RegExp][] = [
    ['/*!50000 DROP TABLE patients */', /executable comment/],
    ['SELECT 1 /*!50000 ; DROP TABLE patients */', /executable comment/],
    ['SELECT 1 /*M!100000 , sleep(10) */', /executable comment/],
    ['SELEC name FROM patients', /cannot parse/],
    ["SELECT 'abc", /unterminated string/],
    ['SELECT `abc', /unterminated quoted identifier/],
    ['SELECT 1 /* no end', /unterminated comment/],
    ['SELECT 1\0; DROP TABLE patients', /NUL/],
    ['SHUTDOWNX', /cannot parse/],
    ['SELECT 1 GO DROP TABLE patients', /exactly one statement/],
    ['HANDLER patients READ FIRST WHERE id = (SELECT 1 FROM visits)', /cannot parse/],
    ["SET STATEMENT sql_mode = 'NO_BACKSLASH_ESCAPES' FOR SELECT 1", /cannot parse/],
    ['SELECT \\N', /cannot parse/],
    ['', /empty/],
    ['   ;  ; ', /empty/],
  ];
  it.each(refused)('%s', (sql, error) => {
    const analysis = my.analyze(sql, context);
    expect(analysis).toMatchObject({ ok: false, dialect: 'mysql' });
    expect(!analysis.ok && analysis.error).toMatch(error);
  });

  it('analyses very long statements (not cached) and every statement in them', () => {
    const sql = `SELECT ${Array.from({ length: 8000 }, (_, i) => `c${i}`).join(', ')} FROM patients; DELETE FROM patients`;
    const statements = statementsOf(my.analyze(sql, context));
    expect(statements.map((statement) => statement.kind)).toEqual(['select', 'delete']);
    expect(statements[0]!.columns).toHaveLength(8000);
    expect(my.stats().uncacheable).toBeGreaterThan(0);
  });

  it('analyses a long string literal', () => {
    const sql = `SELECT * FROM patients WHERE note = '${'x\\\''.repeat(30_000)}'`;
    expect(statementsOf(my.analyze(sql, context))[0]!.kind).toBe('select');
  });
});
