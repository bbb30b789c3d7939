// The mariadb command-line client through sqlveil: queries, multiple statements, errors,
// database switches, large results, and what the gateway refuses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMysqlClinic, startMysqlGateway, type MysqlTestGateway } from './mysql-harness.js';

let gw: MysqlTestGateway;
let dba: string;

/** The client warns that --enable-cleartext-plugin is obsolete (it is still needed to send the token). */
const out = (s: string) => s.replace(/^WARNING: option '--enable-cleartext-plugin' is obsolete.\n/, '');

beforeAll(async () => {
  await loadMysqlClinic();
  gw = await startMysqlGateway();
  dba = await gw.token('dba-1', ['dba']);
});
afterAll(async () => gw?.stop());

describe('mariadb client through sqlveil', () => {
  it('runs a query and returns rows', async () => {
    const r = await gw.mariadb(dba, ['-N', '-e', 'select name from clinics order by id']);
    expect(r.stderr).toBe('');
    expect(out(r.stdout)).toBe('Northside Family Care\nLakeview Oncology\n');
  });

  it('runs several statements and reports each result', async () => {
    const r = await gw.mariadb(dba, ['-N', '-e', 'select 1; select 42']);
    expect(out(r.stdout)).toBe('1\n42\n');
  });

  it('keeps the session usable after an error', async () => {
    const r = await gw.mariadb(dba, ['-N', '--force'], { input: 'select * from no_such_table;\nselect 42;\n' });
    expect(r.stderr).toMatch(/ERROR 1146 \(42S02\).*no_such_table/);
    expect(out(r.stdout)).toBe('42\n');
  });

  it('sends one multi-statement string and reads every result set', async () => {
    const r = await gw.mariadb(dba, ['-N', '--delimiter=//'], { input: 'select 1; select 2 union select 3; do 1; select 4//\n' });
    expect(r.stderr).toBe('');
    expect(out(r.stdout)).toBe('1\n2\n3\n4\n');
  });

  it('switches databases (COM_INIT_DB) and starts in the database it asks for, or none', async () => {
    const r = await gw.mariadb(dba, ['-N'], { input: 'select database();\nuse mysql;\nselect database();\n' });
    expect(out(r.stdout)).toBe('clinic\nmysql\n');
    const none = await gw.mariadb(dba, ['-N', '-e', 'select database()'], { database: '' });
    expect(out(none.stdout)).toBe('NULL\n');
  });

  it('streams a large result completely and in order', async () => {
    const r = await gw.mariadb(dba, ['-N', '-e', 'select seq, md5(seq) from seq_1_to_100000']);
    const lines = out(r.stdout).trim().split('\n');
    expect(lines).toHaveLength(100000);
    expect(lines[99999]).toMatch(/^100000\t/);
  });

  it('refuses LOAD DATA LOCAL INFILE with a clear error, and goes on', async () => {
    const r = await gw.mariadb(dba, ['-N', '--force', '--local-infile=1'], { input: "load data local infile '/etc/hostname' into table clinics;\nselect 7;\n" });
    expect(r.stderr).toMatch(/LOAD DATA LOCAL INFILE is not allowed through the gateway/);
    expect(out(r.stdout)).toBe('7\n');
  });

  it('writes inside a transaction and rolls back', async () => {
    const r = await gw.mariadb(dba, ['-N'], { input: 'begin;\ncreate temporary table t (i int);\ninsert into t values (1),(2);\nselect sum(i) from t;\nrollback;\n' });
    expect(r.stderr).toBe('');
    expect(out(r.stdout)).toBe('3\n');
  });
});
