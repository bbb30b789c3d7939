// Attack class: session state that carries values or names past the masking (issue 13, 2-MySQL,
// 3-MySQL, 6a). A failed USE / COM_INIT_DB must not move the gateway's idea of the current
// database; user variables, system variables and HANDLER must not carry a protected value to a
// later statement; the gateway's own refusals are audited and counted. Every attempt: no raw
// identifier of the fixture in any encoding, nothing written, and the session stays usable.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { ROOT } from './harness.js';
import { leaks, needlesFromRows, type Needle } from './leak-check.js';
import { loadMysqlClinic, myDirect, startMysqlGateway, type MysqlTestGateway } from './mysql-harness.js';

/** Encodings the content detectors do not know. */
const ENCODED = 'HEX(ssn), REVERSE(full_name), TO_BASE64(email), REVERSE(mrn)';

let gw: MysqlTestGateway;
let needles: Needle[];
let agent: string;
let before: string;

const checksum = () => myDirect('CHECKSUM TABLE clinic.patients, clinic.encounters, clinic.clinics');

function connect(options: Partial<mysql.ConnectionOptions> = {}) {
  return mysql.createConnection({
    host: '127.0.0.1', port: gw.myPort, user: 'agent-1', password: agent, database: 'clinic', multipleStatements: true,
    authPlugins: { mysql_clear_password: () => () => Buffer.from(agent + '\0') }, ...options,
  });
}

async function received(c: mysql.Connection, sql: string, prepared = false): Promise<string> {
  try {
    const [rows] = prepared ? await c.execute(sql) : await c.query(sql);
    return JSON.stringify(rows);
  } catch (e) {
    return `ERR ${(e as Error).message}`;
  }
}

/** Runs each step on one connection; returns everything received. The session must answer a plain query after. */
async function session(steps: string[], prepared = false): Promise<string> {
  const c = await connect();
  try {
    let all = '';
    for (const step of steps) all += `${await received(c, step, prepared)}\n`;
    expect(await received(c, 'SELECT 1 AS ok')).toBe('[{"ok":1}]');
    return all;
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  await loadMysqlClinic();
  const rows = await myDirect("SELECT CONCAT_WS('|', mrn, full_name, ssn, dob, email, phone, address) FROM patients WHERE ssn IS NOT NULL ORDER BY id", 'clinic');
  needles = needlesFromRows(rows.replaceAll('|', '\t'));
  await myDirect('CREATE VIEW v_h1_ids AS SELECT id, ssn, full_name FROM patients', 'clinic');
  gw = await startMysqlGateway({ rules: join(ROOT, 'rules/hipaa.yaml'), gate: undefined });
  agent = await gw.token('agent-1', ['agents']);
  before = await checksum();
});
afterAll(async () => {
  await gw?.stop();
  await myDirect('DROP VIEW IF EXISTS clinic.v_h1_ids');
});

describe('the current database follows the server', () => {
  // pg_catalog is on agent's table allow list but is no MariaDB database: USE fails upstream.
  const after = `SELECT ${ENCODED} FROM patients ORDER BY id LIMIT 5`;
  it.each([
    [['USE pg_catalog', after]],
    [['USE `pg_catalog`', 'SELECT 1', after]],
    [['USE clinic; USE pg_catalog', after]],
    [['USE pg_catalog; SELECT 1', after]],
  ])('a failed USE leaves it: %j', async (steps) => {
    const text = await session(steps);
    expect(text).toMatch(/Unknown database|Access denied for user .* to database/);
    expect(leaks(text, needles), text).toEqual([]);
    expect(await checksum()).toBe(before);
  });

  it('a failed COM_INIT_DB (mariadb client `use`) leaves it', async () => {
    const r = await gw.mariadb(agent, ['--force'], { user: 'agent-1', input: `use pg_catalog\n${after};\nSELECT DATABASE();\n` });
    const text = r.stdout + r.stderr;
    expect(leaks(text, needles), text).toEqual([]);
  });

  it('control: a USE inside a string that succeeds moves it, and names resolve there', async () => {
    const text = await session(['USE information_schema; USE clinic', after]);
    expect(leaks(text, needles), text).toEqual([]);
    expect(text).toContain('***-**-****');
  });
});

describe('variables and HANDLER carry no protected value', () => {
  const refused = /masking\.variables|masking\.handler|masking\.onUnknownLineage|not allowed|cannot parse|dynamic/;
  it.each([
    [['SELECT ssn INTO @s FROM clinic.patients LIMIT 1', 'SELECT @s, HEX(@s), REVERSE(@s)']],
    [['SELECT ssn INTO @s FROM clinic.patients LIMIT 1; SELECT 1; SELECT @s']],
    [['SET @q = (SELECT ssn FROM clinic.patients ORDER BY id LIMIT 1)', 'SELECT @q']],
    [['SET @q := (SELECT REVERSE(full_name) FROM clinic.patients ORDER BY id LIMIT 1)', 'SELECT @q']],
    [['SELECT @z := ssn FROM clinic.patients ORDER BY id LIMIT 1', 'SELECT @z']],
    [['SELECT ssn, full_name FROM clinic.patients ORDER BY id LIMIT 1 INTO @a, @b', 'SELECT @a, @b']],
    [['SELECT id FROM (SELECT ssn AS id FROM clinic.patients LIMIT 1) t INTO @v', 'SELECT @v']],
    [['SET @a = 1, @b = (SELECT mrn FROM clinic.patients LIMIT 1)', 'SELECT CONCAT(@a, @b)']],
    [['SET @q = (SELECT ssn FROM clinic.v_h1_ids ORDER BY id LIMIT 1)', 'SELECT @q']],
    [['SELECT REVERSE(full_name) FROM v_h1_ids ORDER BY id LIMIT 1 INTO @q', 'SELECT @q']],
    [['DO @x := (SELECT HEX(ssn) FROM clinic.patients LIMIT 1)', 'SELECT @x']],
    [['SET SESSION sql_select_limit = (SELECT SUBSTR(ssn, 1, 3) + 0 FROM clinic.patients ORDER BY id LIMIT 1)', 'SELECT @@sql_select_limit']],
    [['SET @@session.rand_seed1 = (SELECT ASCII(ssn) FROM clinic.patients LIMIT 1)']],
    [['HANDLER patients OPEN AS h', 'HANDLER h READ FIRST', 'HANDLER h CLOSE']],
    [['HANDLER clinic.patients OPEN', 'HANDLER patients READ `PRIMARY` FIRST']],
    [['HANDLER patients OPEN AS h; HANDLER h READ NEXT']],
  ])('refused or masked: %j', async (steps) => {
    const text = await session(steps);
    expect(leaks(text, needles), text).toEqual([]);
    expect(text).toMatch(refused);
    expect(await checksum()).toBe(before);
  });

  it.each([
    [['SELECT @z := ssn FROM clinic.patients ORDER BY id LIMIT 1', 'SELECT @z']],
    [['SELECT ssn INTO @s FROM clinic.patients LIMIT 1', 'SELECT @s']],
  ])('prepared (binary protocol): %j', async (steps) => {
    const text = await session(steps, true);
    expect(leaks(text, needles), text).toEqual([]);
    expect(text).toMatch(refused);
  });

  it('says why and what to do instead', async () => {
    const text = await session(['SELECT ssn INTO @s FROM clinic.patients LIMIT 1', 'HANDLER patients OPEN']);
    expect(text).toMatch(/masking\.variables/);
    expect(text).toMatch(/select the values as result columns/);
    expect(text).toMatch(/masking\.handler/);
    expect(text).toMatch(/SELECT \.\.\. LIMIT n/);
  });

  it('control: variables assigned from unprotected tables still work', async () => {
    const text = await session(['SET @n = (SELECT COUNT(*) FROM clinic.clinics)', 'SELECT name FROM clinic.clinics WHERE id = 1 INTO @c']);
    expect(text).not.toMatch(/^ERR/m);
  });
});

describe('the gateway\'s own refusals are audited and counted', () => {
  const audit = () =>
    readFileSync(join(gw.dir, 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e.type === 'statement' && e.decision === 'deny');
  const denials = () => {
    const m = /sqlveil_statements_total\{protocol="mysql",decision="deny",kind="([^"]+)"\} (\d+)/g;
    let n = 0;
    for (const hit of gw.gateway.metrics.render().matchAll(m)) n += Number(hit[2]);
    return n;
  };

  it('LOAD DATA LOCAL INFILE', async () => {
    const count = denials();
    const c = await connect({ infileStreamFactory: () => { throw new Error('no file may be read'); } } as Partial<mysql.ConnectionOptions>);
    try {
      const text = await received(c, "LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE clinic.clinics");
      expect(text).toMatch(/LOAD DATA LOCAL INFILE is not allowed/);
    } finally {
      await c.end();
    }
    await vi.waitFor(() => expect(audit().some((e) => e.rule === 'load-data-local' && e.sqlState === '42000')).toBe(true), { timeout: 5000 });
    expect(denials()).toBe(count + 1);
  });

  it('KILL forms the gateway cannot route, and ids it does not know', async () => {
    const dba = await gw.token('dba-1', ['dba']);
    const c = await mysql.createConnection({ host: '127.0.0.1', port: gw.myPort, user: 'dba-1', password: dba, authPlugins: { mysql_clear_password: () => () => Buffer.from(dba + '\0') } });
    const count = denials();
    try {
      expect(await received(c, 'KILL USER root')).toMatch(/KILL must be sent alone/);
      expect(await received(c, 'KILL 999999')).toMatch(/Unknown thread id/);
      expect(await received(c, 'SELECT 1 AS ok')).toBe('[{"ok":1}]');
    } finally {
      await c.end();
    }
    await vi.waitFor(() => expect(audit().filter((e) => e.rule === 'kill').length).toBeGreaterThanOrEqual(2), { timeout: 5000 });
    expect(denials()).toBe(count + 2);
  });
});
