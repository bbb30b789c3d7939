// sysbench oltp_point_select through sqlveil, with server-side prepared statements and without.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from './harness.js';
import { MY, myDirect, startMysqlGateway, type MysqlTestGateway } from './mysql-harness.js';

const SB = [`--mysql-host=${MY.host}`, '--mysql-db=sqlveil_sbtest', '--tables=2', '--table-size=2000'];
let gw: MysqlTestGateway;
let dba: string;

beforeAll(async () => {
  await myDirect('create database if not exists sqlveil_sbtest');
  const prep = await run('sysbench', ['oltp_point_select', ...SB, `--mysql-port=${MY.port}`, `--mysql-user=${MY.user}`, 'prepare']);
  if (prep.code !== 0 && !/already exists/.test(prep.stderr + prep.stdout)) throw new Error(`sysbench prepare failed: ${prep.stderr}`);
  gw = await startMysqlGateway();
  dba = await gw.token('dba-1', ['dba']);
});
afterAll(async () => {
  await gw?.stop();
  await myDirect('drop database if exists sqlveil_sbtest');
});

describe('sysbench through sqlveil', () => {
  it.each(['auto', 'disable'])('runs oltp_point_select with --db-ps-mode=%s and no errors', async (mode) => {
    const r = await run(
      'sysbench',
      ['oltp_point_select', ...SB, `--mysql-port=${gw.myPort}`, '--mysql-user=dba-1', `--mysql-password=${dba}`, '--threads=4', '--time=2', `--db-ps-mode=${mode}`, 'run'],
      // libmariadb loads the clear-password plugin on first use, racily across threads ("could not be
      // loaded: it is already loaded"); LIBMYSQL_PLUGINS loads it once when the library starts.
      { env: { LIBMYSQL_ENABLE_CLEARTEXT_PLUGIN: '1', LIBMYSQL_PLUGINS: 'mysql_clear_password' }, timeoutMs: 30_000 },
    );
    expect(r.stderr + r.stdout, r.stderr + r.stdout.slice(-800)).toMatch(/ignored errors: +0 /);
    const qps = Number(/queries: +\d+ +\(([\d.]+) per sec/.exec(r.stdout)?.[1] ?? 0);
    expect(qps).toBeGreaterThan(500);
  });
});
