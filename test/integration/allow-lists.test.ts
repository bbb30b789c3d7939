// Side channels through functions and catalog views, for role agent under rules/hipaa.yaml:
// NOTIFY payloads, advisory locks, other sessions' statement text (pg_stat_activity, pg_locks,
// PROCESSLIST, performance_schema), optimizer traces, sleep timing. Each is refused by the
// function or relation allow list, on the simple and the extended protocol, inside transactions
// and multi-statement strings; nothing PHI-derived leaves in any encoding, nothing is written
// or left behind on the server, and the session stays usable. dba may use them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { direct, loadClinicFixture, PG, PG_URL, ROOT, startGateway, type TestGateway } from './harness.js';
import { clinicNeedles, leaks, needlesFromRows, type Needle } from './leak-check.js';
import { loadMysqlClinic, myDirect, startMysqlGateway, type MysqlTestGateway } from './mysql-harness.js';

type Outcome = { ok: true; text: string } | { ok: false; code: string | undefined; text: string };

async function attempt(run: () => Promise<unknown>): Promise<Outcome> {
  try {
    const result = await run();
    return { ok: true, text: JSON.stringify(result, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('latin1') : v)) };
  } catch (err) {
    const e = err as { code?: string; message?: string; hint?: string; detail?: string };
    return { ok: false, code: e.code, text: `${e.message ?? ''} ${e.hint ?? ''} ${e.detail ?? ''}` };
  }
}

describe('function and catalog allow lists (PostgreSQL)', () => {
  let gw: TestGateway;
  let needles: Needle[];
  let agent: pg.Client;
  let other: pg.Client;
  let dba: pg.Client;
  let listener: pg.Client;
  const notified: string[] = [];
  let fingerprint: string;

  const patientsFingerprint = () => direct("select md5(string_agg(concat_ws('|', id, mrn, ssn, notes), ',' order by id)) from clinic.patients");

  beforeAll(async () => {
    await loadClinicFixture();
    needles = await clinicNeedles();
    fingerprint = await patientsFingerprint();
    gw = await startGateway();
    const client = async (subject: string, groups: string[]) => {
      const c = new pg.Client({ host: '127.0.0.1', port: gw.port, user: subject, password: await gw.token(subject, groups), database: PG.database });
      await c.connect();
      return c;
    };
    agent = await client('agent-1', ['agents']);
    other = await client('agent-2', ['agents']);
    dba = await client('dba-1', ['dba']);
    // Straight to the database, past the gateway: whatever NOTIFY gets through arrives here.
    listener = new pg.Client({ connectionString: PG_URL });
    await listener.connect();
    listener.on('notification', (n) => notified.push(`${n.channel}:${n.payload ?? ''}`));
    await listener.query('LISTEN c');
  });
  afterAll(async () => {
    for (const c of [agent, other, dba, listener]) await c?.end().catch(() => undefined);
    await gw?.stop();
  });

  const refusedForAgent: [string, string, RegExp][] = [
    ['pg_notify of a PHI column', "SELECT pg_notify('c', ssn) FROM clinic.patients LIMIT 1", /function pg_notify is not allowed/],
    ['pg_notify qualified', "SELECT pg_catalog.pg_notify('c', full_name) FROM clinic.patients WHERE id = 1", /function pg_catalog\.pg_notify/],
    ['pg_notify in FROM', "SELECT * FROM clinic.patients p, LATERAL pg_notify('c', p.ssn) n LIMIT 1", /pg_notify/],
    ['pg_notify in a CTE', "WITH n AS (SELECT pg_notify('c', mrn) FROM clinic.patients) SELECT count(*) FROM n", /pg_notify/],
    ['pg_notify in a subquery of WHERE', "SELECT id FROM clinic.clinics WHERE EXISTS (SELECT pg_notify('c', email) FROM clinic.patients) LIMIT 1", /pg_notify/],
    ['pg_notify in COPY', "COPY (SELECT pg_notify('c', ssn) FROM clinic.patients) TO STDOUT", /COPY .*not allowed|pg_notify/],
    ['NOTIFY statement', "NOTIFY c, 'hello'", /NOTIFY .*not allowed|rule: policy\.roles\.agent\.allow/],
    ['LISTEN statement', 'LISTEN c', /LISTEN .*not allowed|rule: policy\.roles\.agent\.allow/],
    ['advisory lock keyed by an SSN', 'SELECT pg_advisory_lock(hashtext(ssn)) FROM clinic.patients WHERE id = 1', /function (pg_advisory_lock|hashtext) is not allowed/],
    ['shared advisory lock', 'SELECT pg_try_advisory_lock_shared(id) FROM clinic.patients LIMIT 1', /pg_try_advisory_lock_shared/],
    ['xact advisory lock in ORDER BY', 'SELECT id FROM clinic.patients ORDER BY pg_advisory_xact_lock(length(ssn)) LIMIT 1', /pg_advisory_xact_lock/],
    ['pg_locks', "SELECT objid FROM pg_catalog.pg_locks WHERE locktype = 'advisory'", /table pg_catalog\.pg_locks is not allowed/],
    ['pg_locks unqualified', 'SELECT * FROM pg_locks', /pg_locks/],
    ['pg_stat_activity', 'SELECT query FROM pg_catalog.pg_stat_activity', /pg_stat_activity is not allowed/],
    ['pg_stat_activity unqualified', 'SELECT query FROM pg_stat_activity', /pg_stat_activity/],
    ['pg_stat_get_activity', 'SELECT query FROM pg_stat_get_activity(NULL)', /pg_stat_get_activity/],
    ['pg_stat_get_backend_activity', 'SELECT pg_stat_get_backend_activity(s) FROM pg_stat_get_backend_idset() s', /pg_stat_get_backend/],
    ['pg_stat_statements view', 'SELECT query FROM pg_catalog.pg_stat_statements', /pg_stat_statements/],
    ['pg_prepared_statements', 'SELECT statement FROM pg_catalog.pg_prepared_statements', /pg_prepared_statements/],
    ['pg_stat_user_tables', 'SELECT * FROM pg_catalog.pg_stat_user_tables', /pg_stat_user_tables/],
    ['pg_blocking_pids', 'SELECT pg_blocking_pids(pg_backend_pid())', /pg_blocking_pids/],
    ['pg_sleep timing', "SELECT CASE WHEN ssn LIKE '9%' THEN pg_sleep(1) END FROM clinic.patients LIMIT 1", /pg_sleep/],
    ['pg_sleep_for', "SELECT pg_sleep_for('1 second')", /pg_sleep_for/],
    ['set_config', "SELECT set_config('application_name', ssn, false) FROM clinic.patients LIMIT 1", /set_config/],
    ['pg_stat_reset', 'SELECT pg_stat_reset()', /pg_stat_reset/],
    ['pg_reload_conf', 'SELECT pg_reload_conf()', /pg_reload_conf/],
    ['pg_rotate_logfile', 'SELECT pg_rotate_logfile()', /pg_rotate_logfile/],
    ['replication slot', "SELECT pg_create_logical_replication_slot('s', 'test_decoding')", /pg_create_logical_replication_slot/],
    ['replication origin', "SELECT pg_replication_origin_create('o')", /pg_replication_origin_create/],
    ['WAL switch', 'SELECT pg_switch_wal()', /pg_switch_wal/],
    ['large object', "SELECT lo_from_bytea(0, convert_to(ssn, 'UTF8')) FROM clinic.patients LIMIT 1", /lo_from_bytea/],
    ['server file', "SELECT pg_read_file('/etc/hostname')", /files on the database server|pg_read_file/],
    ['sequence write', "SELECT nextval('clinic.patients_id_seq')", /nextval/],
    ['xid assignment', 'SELECT txid_current()', /txid_current/],
    ['query_to_xml', "SELECT query_to_xml('select ssn from clinic.patients', true, true, '')", /SQL the gateway|query_to_xml/],
    ['quoted name of a built-in', 'SELECT "pg_notify"(\'c\', ssn) FROM clinic.patients LIMIT 1', /pg_notify/],
    ['multi-statement with an allowed first part', "SELECT 1; SELECT pg_notify('c', ssn) FROM clinic.patients LIMIT 1", /pg_notify/],
  ];

  it.each(refusedForAgent)('agent: %s is refused (simple protocol)', async (_label, sql, message) => {
    const r = await attempt(() => agent.query(sql));
    expect(r.ok, r.text).toBe(false);
    expect(r.text).toMatch(message);
    expect(leaks(r.text, needles)).toEqual([]);
    // An ordinary error: the session goes on.
    expect((await agent.query('SELECT 42 AS n')).rows[0].n).toBe(42);
  });

  it.each(refusedForAgent.filter(([, sql]) => !sql.includes(';') && !/^(NOTIFY|LISTEN|COPY)/.test(sql)))(
    'agent: %s is refused (extended protocol, named prepared statement)',
    async (label, sql, message) => {
      const r = await attempt(() => agent.query({ name: `p_${label.replace(/\W/g, '_')}`, text: sql }));
      expect(r.ok, r.text).toBe(false);
      expect(r.text).toMatch(message);
      expect((await agent.query({ text: 'SELECT $1::int AS n', values: [42] })).rows[0].n).toBe(42);
    },
  );

  // PostgreSQL calls row_to_json(p) for `p.row_to_json` when p has no such column: a function
  // call that parses as a column reference. The catalog says the column does not exist.
  it.each([
    'SELECT p.row_to_json FROM clinic.patients p LIMIT 1',
    'SELECT p.to_jsonb FROM clinic.patients p WHERE id = 1',
    'SELECT (p).to_json FROM clinic.patients p LIMIT 1',
    'SELECT patients.row_to_json FROM clinic.patients LIMIT 2',
    'SELECT x.j FROM (SELECT p.row_to_json AS j FROM clinic.patients p) x LIMIT 1',
    'WITH t AS (SELECT p.to_json AS j FROM clinic.patients p) SELECT j::text FROM t LIMIT 1',
  ])('agent: a function in attribute notation leaks nothing: %s', async (sql) => {
    for (const query of [() => agent.query(sql), () => agent.query({ text: sql, binary: true } as pg.QueryConfig)]) {
      const r = await attempt(query);
      expect(leaks(r.text, needles), r.text).toEqual([]);
    }
  });

  it('agent: refused inside a transaction, which stays usable after ROLLBACK', async () => {
    await agent.query('BEGIN');
    const r = await attempt(() => agent.query('SELECT pg_advisory_xact_lock(hashtext(ssn)) FROM clinic.patients LIMIT 1'));
    expect(r.ok).toBe(false);
    expect(r.text).toMatch(/function (pg_advisory_xact_lock|hashtext) is not allowed/);
    await agent.query('ROLLBACK');
    expect((await agent.query('SELECT count(*)::int AS n FROM clinic.clinics')).rows[0].n).toBe(2);
  });

  it('names the rule, says why and what is allowed', async () => {
    const r = await attempt(() => agent.query("SELECT pg_notify('c', ssn) FROM clinic.patients LIMIT 1"));
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.code).toBe('42501');
    expect(r.text).toContain('rule: policy.roles.agent.functions.allow');
    expect(r.text).toContain('the allowed functions are aggregates');
    expect(r.text).toContain('ask an administrator to add it to policy.roles.agent.functions.allow');
  });

  it('another agent session cannot read what a session runs (pg_stat_activity, pg_locks)', async () => {
    // A dba session runs a statement whose text holds an SSN, and holds an advisory lock keyed by one.
    await dba.query('BEGIN');
    await dba.query("SELECT pg_advisory_xact_lock(hashtext('900-11-0001'))");
    const running = dba.query("SELECT pg_sleep(1.5), count(*) FROM clinic.patients WHERE ssn = '900-11-0001'");
    await new Promise((r) => setTimeout(r, 300));
    const texts: string[] = [];
    for (const sql of [
      "SELECT query FROM pg_stat_activity WHERE query LIKE '%ssn%'",
      'SELECT a.query FROM pg_catalog.pg_stat_activity a',
      'SELECT * FROM pg_catalog.pg_stat_get_activity(NULL::int)',
      "SELECT l.objid, l.pid FROM pg_catalog.pg_locks l WHERE l.locktype = 'advisory'",
      'SELECT relname FROM pg_catalog.pg_class WHERE relname = ANY (SELECT query FROM pg_stat_activity)',
    ]) {
      const r = await attempt(() => other.query(sql));
      expect(r.ok, `${sql}: ${r.text}`).toBe(false);
      texts.push(r.text);
    }
    await running;
    await dba.query('COMMIT');
    expect(leaks(texts.join('\n'), needles)).toEqual([]);
    expect(texts.join('\n')).not.toContain('900-11-0001');
  });

  it('leaves nothing behind: no notification, no advisory lock, no data change', async () => {
    await new Promise((r) => setTimeout(r, 300));
    expect(notified).toEqual([]);
    expect((await direct("select count(*) from pg_locks where locktype = 'advisory'")).trim()).toBe('0');
    expect(await patientsFingerprint()).toBe(fingerprint);
    expect((await direct("select count(*) from pg_replication_slots where slot_name = 's'")).trim()).toBe('0');
  });

  it('still lets agent call the functions an analyst needs', async () => {
    const r = await agent.query(
      "SELECT count(*)::int AS n, max(length(diagnosis_code)) AS l, percentile_cont(0.5) WITHIN GROUP (ORDER BY balance_cents) AS median, " +
        "string_agg(upper(diagnosis_code), ',' ORDER BY id) AS codes, date_trunc('year', now()) IS NOT NULL AS t, coalesce(nullif(1, 1), greatest(2, 3)) AS c, " +
        "jsonb_build_object('k', count(*))->>'k' AS j, array_length(array_agg(id), 1) AS a FROM clinic.patients LIMIT 1",
    );
    expect(r.rows[0].n).toBe(5);
    const w = await agent.query('SELECT id, row_number() OVER (ORDER BY id) AS r, lag(id) OVER (ORDER BY id) AS p FROM clinic.patients ORDER BY id LIMIT 3');
    expect(w.rows.map((row: { r: string }) => Number(row.r))).toEqual([1, 2, 3]);
    // What SQL syntax parses into function calls: SIMILAR TO, LIKE ... ESCAPE, OVERLAPS, AT TIME ZONE, TRIM, EXTRACT.
    const syntax = await agent.query(
      "SELECT diagnosis_code SIMILAR TO 'E%' AS a, diagnosis_code LIKE 'E!%' ESCAPE '!' AS b, (now(), now()) OVERLAPS (now(), now()) AS c, " +
        "now() AT TIME ZONE 'UTC' IS NOT NULL AS d, trim(both ' ' from diagnosis_code) AS e, extract(year from now()) > 2000 AS f, " +
        "position('.' in diagnosis_code) AS g FROM clinic.patients ORDER BY id LIMIT 1",
    );
    expect(syntax.rows[0].a).toBe(true);
    const s = await agent.query("SELECT current_setting('statement_timeout') AS t, version() AS v, current_database() AS d");
    expect(s.rows[0].d).toBe(PG.database);
  });

  it('dba may notify, lock and read pg_stat_activity', async () => {
    await dba.query("SELECT pg_notify('c', 'from-dba')");
    await dba.query("NOTIFY c, 'again'");
    const a = await dba.query('SELECT count(*)::int AS n FROM pg_stat_activity');
    expect(a.rows[0].n).toBeGreaterThan(0);
    await dba.query('SELECT pg_advisory_unlock_all()');
    await new Promise((r) => setTimeout(r, 300));
    expect(notified).toEqual(['c:from-dba', 'c:again']);
  });
});

describe('function and catalog allow lists (MySQL)', () => {
  let gw: MysqlTestGateway;
  let needles: Needle[];
  let agentToken: string;
  let dbaToken: string;

  const connect = async (user: string, token: string) =>
    mysql.createConnection({
      host: '127.0.0.1', port: gw.myPort, user, password: token, database: 'clinic',
      authPlugins: { mysql_clear_password: () => () => Buffer.from(token + '\0') },
    });
  const patientsFingerprint = () => myDirect("SELECT MD5(GROUP_CONCAT(CONCAT_WS('|', id, mrn, ssn, notes) ORDER BY id)) FROM patients", 'clinic');

  beforeAll(async () => {
    await loadMysqlClinic();
    const rows = await myDirect("SELECT CONCAT_WS('|', mrn, full_name, ssn, dob, email, phone, address) FROM patients WHERE ssn IS NOT NULL ORDER BY id", 'clinic');
    needles = needlesFromRows(rows.replaceAll('|', '\t'));
    gw = await startMysqlGateway({ rules: join(ROOT, 'rules/hipaa.yaml'), gate: undefined });
    agentToken = await gw.token('agent-1', ['agents']);
    dbaToken = await gw.token('dba-1', ['dba']);
  });
  afterAll(async () => gw?.stop());

  const refused: [string, string, RegExp][] = [
    ['PROCESSLIST view', 'SELECT INFO FROM information_schema.PROCESSLIST', /processlist is not allowed/i],
    ['PROCESSLIST view, upper case', 'SELECT * FROM INFORMATION_SCHEMA.PROCESSLIST', /PROCESSLIST is not allowed/],
    ['SHOW PROCESSLIST', 'SHOW PROCESSLIST', /processlist is not allowed/],
    ['SHOW FULL PROCESSLIST', 'SHOW FULL PROCESSLIST', /processlist is not allowed/],
    ['performance_schema statements', 'SELECT SQL_TEXT FROM performance_schema.events_statements_current', /events_statements_current is not allowed/],
    ['performance_schema history', 'SELECT SQL_TEXT FROM performance_schema.events_statements_history_long', /events_statements_history_long/],
    ['sys schema', 'SELECT * FROM sys.session', /sys\.session/],
    ['mysql schema', 'SELECT User, Password FROM mysql.user', /mysql\.user/],
    ['optimizer trace', 'SELECT TRACE FROM information_schema.OPTIMIZER_TRACE', /OPTIMIZER_TRACE is not allowed/],
    ['InnoDB internals', 'SELECT * FROM information_schema.INNODB_TRX', /INNODB_TRX/],
    ['SHOW ENGINE INNODB STATUS', 'SHOW ENGINE INNODB STATUS', /not allowed/],
    ['SHOW BINLOG EVENTS', 'SHOW BINLOG EVENTS', /not allowed/],
    ['SHOW MASTER STATUS', 'SHOW MASTER STATUS', /not allowed/],
    ['SHOW GLOBAL STATUS', 'SHOW GLOBAL STATUS', /global_status is not allowed/],
    ['GET_LOCK keyed by an SSN', 'SELECT GET_LOCK(ssn, 0) FROM patients WHERE id = 1', /function get_lock is not allowed/],
    ['IS_USED_LOCK', "SELECT IS_USED_LOCK('900-11-0001')", /is_used_lock/],
    ['SLEEP timing', "SELECT IF(ssn LIKE '9%', SLEEP(1), 0) FROM patients LIMIT 1", /sleep\(?\)? is (not allowed|blocked)/],
    ['BENCHMARK timing', 'SELECT BENCHMARK(1000000, MD5(ssn)) FROM patients LIMIT 1', /benchmark\(?\)? is (not allowed|blocked)/],
    ['LOAD_FILE', "SELECT LOAD_FILE('/etc/hostname')", /files on the database server|load_file/],
    ['MASTER_POS_WAIT', "SELECT MASTER_POS_WAIT('x', 1, 1)", /master_pos_wait/],
    ['a function in a subquery', 'SELECT id FROM patients WHERE id = (SELECT RELEASE_ALL_LOCKS()) LIMIT 1', /release_all_locks/],
  ];

  it.each(refused)('agent: %s is refused (text and binary protocol)', async (_label, sql, message) => {
    const c = await connect('agent-1', agentToken);
    try {
      const text = await attempt(() => c.query(sql));
      expect(text.ok, text.text).toBe(false);
      expect(text.text).toMatch(message);
      const binary = await attempt(() => c.execute(sql));
      expect(binary.ok, binary.text).toBe(false);
      expect(leaks(text.text + binary.text, needles)).toEqual([]);
      const [rows] = await c.query('SELECT 42 AS n');
      expect((rows as { n: number }[])[0]!.n).toBe(42);
    } finally {
      await c.end();
    }
  });

  it('another session\'s statement text stays hidden from agent', async () => {
    const d = await connect('dba-1', dbaToken);
    const c = await connect('agent-1', agentToken);
    try {
      const running = d.query("SELECT SLEEP(1.5), COUNT(*) FROM patients WHERE ssn = '900-11-0001'");
      await new Promise((r) => setTimeout(r, 300));
      const texts: string[] = [];
      for (const sql of ['SHOW FULL PROCESSLIST', 'SELECT INFO FROM information_schema.PROCESSLIST', 'SELECT SQL_TEXT FROM performance_schema.events_statements_current']) {
        const r = await attempt(() => c.query(sql));
        expect(r.ok, r.text).toBe(false);
        texts.push(r.text);
      }
      await running;
      expect(texts.join('\n')).not.toContain('900-11-0001');
    } finally {
      await c.end();
      await d.end();
    }
  });

  it('leaves nothing behind: no user lock held, no data change', async () => {
    const fingerprint = await patientsFingerprint();
    const c = await connect('agent-1', agentToken);
    try {
      await attempt(() => c.query('SELECT GET_LOCK(ssn, 10) FROM patients WHERE id = 1'));
      await attempt(() => c.query('SELECT GET_LOCK(mrn, 10) FROM patients WHERE id = 2'));
    } finally {
      await c.end();
    }
    const free = await myDirect("SELECT IS_FREE_LOCK('900-11-0001')", 'clinic');
    expect(free.trim()).toBe('1');
    expect(await patientsFingerprint()).toBe(fingerprint);
  });

  it('dba may read PROCESSLIST and take a lock', async () => {
    const d = await connect('dba-1', dbaToken);
    try {
      const [rows] = await d.query('SHOW PROCESSLIST');
      expect((rows as unknown[]).length).toBeGreaterThan(0);
      const [lock] = await d.query("SELECT GET_LOCK('dba-lock', 0) AS l");
      expect((lock as { l: number }[])[0]!.l).toBe(1);
    } finally {
      await d.end();
    }
  });
});
