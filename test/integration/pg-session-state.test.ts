// Session state follows the server, not the request (issue 13, section 2, PostgreSQL): the
// search path unqualified names resolve in is the one the server reports for the session
// (database and role defaults, startup options), so `patients` cannot be taken for a table no
// rule protects while the server reads clinic.patients.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { PG, ROOT, run, startGateway, type TestGateway } from './harness.js';
import { clinicNeedles, leaks, type Needle } from './leak-check.js';
import { errorsOf, rowsOf, seenText, serialize, WireClient } from './pg-wire.js';

const DB = 'sqlveil_search_path';
const DB2 = 'sqlveil_search_path_later';
let gw: TestGateway;
let needles: Needle[];
let token: string;

async function psql(database: string, sql: string): Promise<void> {
  const r = await run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', PG.host, '-p', String(PG.port), '-U', PG.user, '-d', database, '-c', sql]);
  if (r.code !== 0) throw new Error(r.stderr);
}

/** A database with the clinic fixture whose default search path is `path`. */
async function clinicDatabase(db: string, path: string): Promise<void> {
  await run('psql', ['-X', '-q', '-h', PG.host, '-p', String(PG.port), '-U', PG.user, '-d', 'postgres', '-c', `CREATE DATABASE ${db}`]);
  const load = await run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', PG.host, '-p', String(PG.port), '-U', PG.user, '-d', db, '-f', join(ROOT, 'test/fixtures/clinic.pg.sql')]);
  if (load.code !== 0) throw new Error(load.stderr);
  await psql(db, `ALTER DATABASE ${db} SET search_path = ${path}`);
}

/** A gateway in front of `db`; without a table allow list, only name resolution stands between `patients` and the masking rules. */
function gatewayFor(db: string): Promise<TestGateway> {
  return startGateway({
    // The databases of this file grant the least-privileged login nothing: agent logs in as the URL's user.
    agentLogin: 'superuser',
    env: { SQLVEIL_PG_UPSTREAM: `postgres://${PG.user}@${PG.host}:${PG.port}/${db}` },
    configure: (config) => {
      delete config.policy!.roles.agent!.tables.allow;
    },
  });
}

beforeAll(async () => {
  // The server's state, not the client's: database defaults that find the clinic tables unqualified.
  await clinicDatabase(DB, 'clinic, public');
  await clinicDatabase(DB2, 'public, clinic');
  gw = await gatewayFor(DB);
  needles = await clinicNeedles();
  token = await gw.token('agent-1', ['agents']);
});
afterAll(async () => gw?.stop());

describe('names resolve by the search path the server confirmed', () => {
  it('an unqualified table found by the database default path is masked as the table it is', async () => {
    const c = await WireClient.connect(gw.port, 'agent-1', token, DB);
    c.send(serialize.query("SELECT reverse(ssn) AS r, full_name || '' AS n, ssn FROM patients ORDER BY id LIMIT 5"));
    const got = await c.untilReady();
    expect(errorsOf(got)).toEqual([]);
    expect(rowsOf(got)).toHaveLength(5);
    expect(leaks(seenText(got), needles)).toEqual([]);
    c.close();
  });

  it('a table the server finds in a later schema of the path is refused, not taken for one of the first', async () => {
    const later = await gatewayFor(DB2);
    const c = await WireClient.connect(later.port, 'agent-1', await later.token('agent-1', ['agents']), DB2);
    c.send(serialize.query("SELECT reverse(ssn) AS r, full_name || '' AS n FROM patients ORDER BY id LIMIT 5"));
    const got = await c.untilReady();
    expect(errorsOf(got)[0]?.message).toMatch(/found through the search path .* in clinic/);
    expect(leaks(seenText(got), needles)).toEqual([]);
    c.send(serialize.query("SELECT reverse(ssn) AS r FROM clinic.patients ORDER BY id LIMIT 5"));
    const qualified = await c.untilReady();
    expect(rowsOf(qualified)).toHaveLength(5);
    expect(leaks(seenText(qualified), needles)).toEqual([]);
    c.close();
    await later.stop();
  });
});
