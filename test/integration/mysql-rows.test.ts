// The row hook on the MySQL path: each result set's columns reach the pipeline with their origin
// (schema, org_table, org_name), and its RowTransform rewrites text and binary rows on the
// stream; a refused result becomes an error in place of its rows. (Masking plugs in here.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import type { PipelineParts, ResultTransformer } from '../../src/session/pipeline.js';
import type { ResultColumn } from '../../src/session/types.js';
import { loadMysqlClinic, startMysqlGateway, type MysqlTestGateway } from './mysql-harness.js';

const seenColumns: ResultColumn[][] = [];
const MASK = Buffer.from('***-**-****');
/** Masks clinic.patients.ssn wherever it comes from; refuses any result with a column from encounters.summary. */
const results: ResultTransformer = {
  transformFor: (_session, columns) => {
    if (!columns) return undefined;
    seenColumns.push([...columns]);
    const origin = (c: ResultColumn) => (c.origin?.protocol === 'mysql' ? `${c.origin.schema}.${c.origin.table}.${c.origin.column}` : '');
    if (columns.some((c) => origin(c) === 'clinic.encounters.summary')) {
      return { action: 'deny', sqlState: '42501', rule: 'masking', message: 'sqlveil: encounters.summary may not leave', hint: 'select other columns' };
    }
    const ssn = columns.flatMap((c, i) => (origin(c) === 'clinic.patients.ssn' ? [i] : []));
    return ssn.length === 0 ? undefined : { columns: ssn, apply: (_c, v) => (v === null ? null : MASK) };
  },
};

let gw: MysqlTestGateway;
let c: mysql.Connection;

beforeAll(async () => {
  await loadMysqlClinic();
  gw = await startMysqlGateway();
  // Until masking is configured from the rules file, plug the transformer in directly.
  const g = gw.gateway as unknown as { parts: PipelineParts };
  g.parts = { ...g.parts, results };
  const token = await gw.token('dba-1', ['dba']);
  c = await mysql.createConnection({ host: '127.0.0.1', port: gw.myPort, user: 'dba-1', password: token, database: 'clinic', multipleStatements: true, authPlugins: { mysql_clear_password: () => () => Buffer.from(token + '\0') } });
});
afterAll(async () => {
  await c?.end();
  await gw?.stop();
});

describe('row transforms on the MySQL stream', () => {
  it('hands the pipeline each column with its origin, through aliases', async () => {
    seenColumns.length = 0;
    await c.query('select p.ssn as who, 1 + 1 as two from patients p where id = 1');
    expect(seenColumns[0]).toEqual([
      { name: 'who', origin: { protocol: 'mysql', schema: 'clinic', table: 'patients', column: 'ssn' }, typeId: 0xfe, charset: 224, format: 'text' },
      { name: 'two', origin: undefined, typeId: 0x03, charset: 63, format: 'text' },
    ]);
  });

  it('rewrites text rows (query), keeping NULLs and other columns', async () => {
    const [rows] = await c.query<mysql.RowDataPacket[]>('select id, ssn, full_name from patients where id in (1, 5) order by id');
    expect(rows).toEqual([
      { id: 1, ssn: '***-**-****', full_name: 'Ada Quintero' },
      { id: 5, ssn: null, full_name: 'Emeka Ndu' },
    ]);
  });

  it('rewrites binary rows (execute)', async () => {
    const [rows] = await c.execute<mysql.RowDataPacket[]>('select id, balance_cents, ssn, dob from patients where id <= ? order by id', [2]);
    expect(rows).toEqual([
      { id: 1, balance_cents: 1250, ssn: '***-**-****', dob: new Date(1961, 2, 14) },
      { id: 2, balance_cents: 0, ssn: '***-**-****', dob: new Date(1978, 10, 2) },
    ]);
    expect(seenColumns.at(-1)!.map((x) => x.format)).toEqual(['binary', 'binary', 'binary', 'binary']);
  });

  it('applies to every result set of a multi-statement string', async () => {
    const [sets] = await c.query('select ssn from patients where id = 2; select name from clinics where id = 1; select ssn s from patients where id = 3');
    expect(sets).toEqual([[{ ssn: '***-**-****' }], [{ name: 'Northside Family Care' }], [{ s: '***-**-****' }]]);
  });

  it('refuses a result it may not send, with an error in place of its rows, and the session goes on', async () => {
    await expect(c.query('select id, summary from encounters')).rejects.toMatchObject({ errno: 1142, sqlState: '42501', message: expect.stringMatching(/encounters.summary may not leave/) });
    await expect(c.execute('select summary from encounters where id = ?', [1])).rejects.toMatchObject({ errno: 1142 });
    const [after] = await c.query<mysql.RowDataPacket[]>('select count(*) n from encounters');
    expect(after[0]!.n).toBe(3);
  });
});
