// Attacks on which plan masks which result (issue 13, section 1, PostgreSQL): an attacker who has
// read the relay sends extended-protocol sequences no driver sends, to get a result masked by
// the plan of a harmless statement, or by none. Each asserts that no raw identifier of the
// fixture reaches the client, in any encoding, and that nothing was written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { direct, loadClinicFixture, PG, run, startGateway, type TestGateway } from './harness.js';
import { clinicNeedles, leaks, type Needle } from './leak-check.js';
import { errorsOf, rowsOf, seenText, serialize, WireClient, type WireMessage } from './pg-wire.js';

let gw: TestGateway;
let needles: Needle[];
let agentToken: string;

/** Reads values of masked columns through expressions that carry no column origin. */
const EVIL = "SELECT reverse(ssn) AS r, full_name || '' AS n, replace(email, '@', ' at ') AS e FROM clinic.patients ORDER BY id LIMIT 5";
/** Same shape, nothing protected. */
const BENIGN = "SELECT 'x'::text AS r, 'y'::text AS n, 'z'::text AS e";

beforeAll(async () => {
  await loadClinicFixture();
  gw = await startGateway();
  needles = await clinicNeedles();
  agentToken = await gw.token('agent-1', ['agents']);
});
afterAll(async () => gw?.stop());

async function agent(): Promise<WireClient> {
  return WireClient.connect(gw.port, 'agent-1', agentToken, PG.database);
}

function expectNoLeak(messages: readonly WireMessage[]): void {
  expect(leaks(seenText(messages), needles)).toEqual([]);
}

describe('every result is masked by the plan of the statement that produced it', () => {
  it('Parse/Bind/Execute/Sync without any Describe: the gateway learns the columns itself', async () => {
    const c = await agent();
    c.send(serialize.parse({ text: EVIL }), serialize.bind({}), serialize.execute({}), serialize.sync());
    const got = await c.untilReady();
    expect(rowsOf(got)).toHaveLength(5);
    expect(got.some((m) => m.name === 'rowDescription')).toBe(false); // the gateway's own Describe is not forwarded
    expectNoLeak(got);
    c.close();
  });

  it('a named statement executed again without Describe, with binary results', async () => {
    const c = await agent();
    c.send(serialize.parse({ name: 's1', text: EVIL }), serialize.sync());
    await c.untilReady();
    for (let i = 0; i < 3; i++) c.send(serialize.bind({ statement: 's1', binary: i === 2 }), serialize.execute({}), serialize.sync());
    const got = await c.untilReady(3);
    expect(rowsOf(got)).toHaveLength(15);
    expectNoLeak(got);
    c.close();
  });

  it('a portal resumed after PortalSuspended keeps its plan for every batch', async () => {
    const c = await agent();
    c.send(serialize.parse({ text: EVIL }), serialize.bind({}), serialize.describe({ type: 'P' }), serialize.execute({ rows: 2 }), serialize.flush());
    const first = await c.collect(500);
    c.send(serialize.execute({ rows: 2 }), serialize.execute({ rows: 2 }), serialize.sync());
    const rest = await c.untilReady();
    const all = [...first, ...rest];
    expect(all.filter((m) => m.name === 'portalSuspended')).toHaveLength(2);
    expect(rowsOf(all)).toHaveLength(5);
    expectNoLeak(all);
    c.close();
  });

  it('a portal resumed without the client ever describing it (a cursor-style fetch size)', async () => {
    const c = await agent();
    c.send(serialize.parse({ text: EVIL }), serialize.bind({}), serialize.execute({ rows: 1 }), serialize.execute({ rows: 1 }), serialize.execute({ rows: 0 }), serialize.sync());
    const got = await c.untilReady();
    expect(rowsOf(got)).toHaveLength(5);
    expectNoLeak(got);
    c.close();
  });

  it('the unnamed statement parsed again after a Bind: the portal keeps the plan it was bound with', async () => {
    const c = await agent();
    c.send(
      serialize.parse({ text: EVIL }),
      serialize.bind({}),
      serialize.parse({ text: BENIGN }),
      serialize.describe({ type: 'S' }),
      serialize.describe({ type: 'P' }),
      serialize.execute({}),
      serialize.sync(),
    );
    const got = await c.untilReady();
    expect(rowsOf(got)).toHaveLength(5);
    expectNoLeak(got);
    c.close();
  });

  it('a second Parse of a name that the server rejected does not replace the plan', async () => {
    const c = await agent();
    c.send(serialize.parse({ name: 'dup', text: EVIL }), serialize.sync());
    await c.untilReady();
    c.send(serialize.parse({ name: 'dup', text: BENIGN }), serialize.sync());
    const rejected = await c.untilReady();
    expect(errorsOf(rejected)[0]?.code).toBe('42P05'); // prepared statement "dup" already exists
    c.send(serialize.bind({ statement: 'dup' }), serialize.describe({ type: 'P' }), serialize.execute({}), serialize.sync());
    const got = await c.untilReady();
    expect(rowsOf(got)).toHaveLength(5);
    expectNoLeak(got);
    c.close();
  });

  it('a Describe of one portal and an Execute of another', async () => {
    const c = await agent();
    c.send(
      serialize.parse({ name: 'good', text: BENIGN }),
      serialize.parse({ name: 'bad', text: EVIL }),
      serialize.bind({ portal: 'pg', statement: 'good' }),
      serialize.bind({ portal: 'pb', statement: 'bad' }),
      serialize.describe({ type: 'P', name: 'pg' }),
      serialize.execute({ portal: 'pb' }),
      serialize.execute({ portal: 'pg' }),
      serialize.sync(),
    );
    const got = await c.untilReady();
    expect(rowsOf(got)).toHaveLength(6);
    expectNoLeak(got);
    c.close();
  });

  it('a statement described while another of the same name is bound', async () => {
    const c = await agent();
    c.send(serialize.parse({ text: EVIL }), serialize.bind({ portal: 'p1' }), serialize.parse({ text: BENIGN }), serialize.describe({ type: 'S' }), serialize.execute({ portal: 'p1' }), serialize.sync());
    const got = await c.untilReady();
    expect(rowsOf(got)).toHaveLength(5);
    expectNoLeak(got);
    c.close();
  });
});

describe('names the gateway did not see prepared cannot be bound or executed', () => {
  it('SQL PREPARE is decided as the statement it prepares', async () => {
    const c = await agent();
    c.send(serialize.query("PREPARE w AS UPDATE clinic.patients SET notes = 'pwned' WHERE id = 1"));
    const got = await c.untilReady();
    expect(errorsOf(got)[0]?.message).toMatch(/update/i);
    c.close();
    expect(await direct("select count(*) from clinic.patients where notes = 'pwned'")).toBe('0');
  });

  it('a Bind to a SQL-prepared statement is refused, and the session goes on', async () => {
    const c = await agent();
    c.send(serialize.query(`PREPARE sqlprep AS ${EVIL}`));
    await c.untilReady();
    c.send(serialize.bind({ statement: 'sqlprep' }), serialize.describe({ type: 'P' }), serialize.execute({}), serialize.sync());
    const got = await c.untilReady();
    expect(rowsOf(got)).toHaveLength(0);
    expect(errorsOf(got)[0]?.message).toMatch(/not prepared through the gateway/);
    expectNoLeak(got);
    c.send(serialize.query('SELECT 1'));
    expect(rowsOf(await c.untilReady())).toEqual([['1']]);
    c.close();
  });

  it('DEALLOCATE and a SQL PREPARE of the same name after a Parse: the old plan is forgotten', async () => {
    const c = await agent();
    c.send(serialize.parse({ name: 'swap', text: BENIGN }), serialize.describe({ type: 'S', name: 'swap' }), serialize.sync());
    await c.untilReady();
    c.send(serialize.query(`DEALLOCATE swap; PREPARE swap AS ${EVIL}`));
    await c.untilReady();
    c.send(serialize.bind({ statement: 'swap' }), serialize.execute({}), serialize.sync());
    const got = await c.untilReady();
    expect(rowsOf(got)).toHaveLength(0);
    expectNoLeak(got);
    c.close();
  });

  it('DISCARD ALL forgets every statement and portal', async () => {
    const c = await agent();
    c.send(serialize.parse({ name: 'd1', text: BENIGN }), serialize.sync());
    await c.untilReady();
    c.send(serialize.query(`DISCARD ALL`));
    await c.untilReady();
    c.send(serialize.query(`PREPARE d1 AS ${EVIL}`));
    await c.untilReady();
    c.send(serialize.bind({ statement: 'd1' }), serialize.describe({ type: 'P' }), serialize.execute({}), serialize.sync());
    const got = await c.untilReady();
    expect(rowsOf(got)).toHaveLength(0);
    expectNoLeak(got);
    c.close();
  });
});

describe('rows of a shape the analysis cannot see', () => {
  it('EXECUTE of a SQL-prepared statement is refused for a masked role even where the policy allows dynamic SQL', async () => {
    const lax = await startGateway({
      configure: (config) => {
        const flags = config.policy!.roles.agent!.block.flags;
        flags.splice(flags.indexOf('dynamic-sql'), 1);
      },
    });
    const c = await WireClient.connect(lax.port, 'agent-1', await lax.token('agent-1', ['agents']), PG.database);
    c.send(serialize.query(`PREPARE ex AS ${EVIL}`));
    await c.untilReady();
    c.send(serialize.query('EXECUTE ex'));
    const got = await c.untilReady();
    expect(rowsOf(got)).toHaveLength(0);
    expect(errorsOf(got)[0]?.message).toMatch(/result withheld/);
    expect(leaks(seenText(got), needles)).toEqual([]);
    c.close();
    await lax.stop();
  });
});

describe('a cursor is masked by the plan of its DECLARE', () => {
  it('FETCH in the same string, in separate statements, and MOVE', async () => {
    const c = await agent();
    c.send(serialize.query(`BEGIN; DECLARE c1 CURSOR FOR ${EVIL}; FETCH 2 FROM c1; MOVE 1 IN c1; FETCH ALL FROM c1; COMMIT`));
    const got = await c.untilReady();
    expect(errorsOf(got)).toEqual([]);
    expect(rowsOf(got)).toHaveLength(4);
    c.send(serialize.query('BEGIN'), serialize.query(`DECLARE c2 CURSOR FOR ${EVIL}`), serialize.query('FETCH ALL c2'), serialize.query('COMMIT'));
    const more = await c.untilReady(4);
    expect(rowsOf(more)).toHaveLength(5);
    expectNoLeak([...got, ...more]);
    c.close();
  });

  it('FETCH through the extended protocol, and WITH HOLD after its transaction', async () => {
    const c = await agent();
    c.send(serialize.query(`DECLARE h CURSOR WITH HOLD FOR ${EVIL}`));
    await c.untilReady();
    c.send(serialize.parse({ text: 'FETCH 3 FROM h' }), serialize.bind({}), serialize.describe({ type: 'P' }), serialize.execute({}), serialize.sync());
    const got = await c.untilReady();
    expect(rowsOf(got)).toHaveLength(3);
    expectNoLeak(got);
    c.close();
  });

  it('a cursor executed as a protocol portal, and a FETCH from a cursor the gateway never saw declared', async () => {
    const c = await agent();
    c.send(serialize.query(`BEGIN; DECLARE pc CURSOR FOR ${EVIL}`));
    await c.untilReady();
    c.send(serialize.execute({ portal: 'pc' }), serialize.sync());
    const asPortal = await c.untilReady();
    expect(rowsOf(asPortal)).toHaveLength(0);
    c.send(serialize.query('ROLLBACK'));
    await c.untilReady();
    // A cursor that ended with its transaction: its name no longer has a plan.
    c.send(serialize.query(`BEGIN; DECLARE gone CURSOR FOR ${EVIL}; COMMIT; BEGIN; FETCH ALL FROM gone; ROLLBACK`));
    const after = await c.untilReady();
    expectNoLeak([...asPortal, ...after]);
    c.close();
  });

  it('psql with FETCH_COUNT (cursor fetches) masks every batch', async () => {
    const r = await run('psql', ['-X', '-v', 'FETCH_COUNT=2', '-U', 'agent-1', '-tAc', EVIL], { env: gw.libpqEnv(agentToken) });
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(5);
    expect(leaks(r.stdout + r.stderr, needles)).toEqual([]);
  });
});

describe('what the server discards, the gateway discards too', () => {
  it('Queries sent after an error in an extended batch, before its Sync, get no results and shift nothing', async () => {
    const c = await agent();
    const clinics = serialize.query('SELECT name FROM clinic.clinics');
    c.send(serialize.parse({ text: 'SELECT 1/0' }), serialize.bind({}), serialize.execute({}), clinics, clinics, serialize.sync());
    const failed = await c.untilReady();
    expect(errorsOf(failed).map((e) => e.code)).toEqual(['22012']);
    expect(rowsOf(failed)).toEqual([]);
    c.send(serialize.query("SELECT ssn || ' ' || full_name || ' ' || address AS name FROM clinic.patients ORDER BY id LIMIT 5"));
    const got = await c.untilReady();
    expect(rowsOf(got)).toHaveLength(5);
    expectNoLeak(got);
    c.close();
  });

  it('messages sent after an error and before a Sync that comes in a later chunk are discarded', async () => {
    const c = await agent();
    c.send(serialize.parse({ text: 'SELECT 1/0' }), serialize.bind({}), serialize.execute({}), serialize.flush());
    await c.collect(300);
    c.send(serialize.query('SELECT name FROM clinic.clinics'), serialize.parse({ text: BENIGN }), serialize.bind({}), serialize.execute({}), serialize.sync());
    const rest = await c.untilReady();
    expect(rowsOf(rest)).toEqual([]);
    c.send(serialize.query(EVIL));
    const got = await c.untilReady();
    expect(rowsOf(got)).toHaveLength(5);
    expectNoLeak(got);
    c.close();
  });
});

describe('a cursor name no longer reads its DECLARE once the server dropped that cursor', () => {
  const clean = 'SELECT name FROM clinic.clinics';
  const phi = "SELECT ssn || ' ' || full_name || ' ' || address AS name FROM clinic.patients ORDER BY id LIMIT 5";

  it('a protocol Close and Bind of the cursor name', async () => {
    const c = await agent();
    c.send(serialize.query(`BEGIN; DECLARE p CURSOR FOR ${clean}`));
    await c.untilReady();
    c.send(serialize.close({ type: 'P', name: 'p' }), serialize.parse({ name: 'x', text: phi }), serialize.bind({ portal: 'p', statement: 'x' }), serialize.sync());
    await c.untilReady();
    c.send(serialize.query('FETCH ALL FROM p'));
    const got = await c.untilReady();
    expectNoLeak(got);
    c.send(serialize.query('ROLLBACK'));
    await c.untilReady();
    c.close();
  });

  it('ROLLBACK TO SAVEPOINT, and a WITH HOLD cursor of a rolled-back transaction', async () => {
    const c = await agent();
    c.send(serialize.query(`BEGIN; SAVEPOINT s; DECLARE p CURSOR FOR ${clean}; ROLLBACK TO SAVEPOINT s`));
    await c.untilReady();
    c.send(serialize.parse({ name: 'x', text: phi }), serialize.bind({ portal: 'p', statement: 'x' }), serialize.sync());
    await c.untilReady();
    c.send(serialize.query('FETCH ALL FROM p'));
    const first = await c.untilReady();
    c.send(serialize.query('COMMIT'));
    await c.untilReady();
    c.send(serialize.query(`BEGIN; DECLARE h CURSOR WITH HOLD FOR ${clean}; ROLLBACK`));
    await c.untilReady();
    c.send(serialize.query('BEGIN'));
    await c.untilReady();
    c.send(serialize.parse({ name: 'y', text: phi }), serialize.bind({ portal: 'h', statement: 'y' }), serialize.sync());
    await c.untilReady();
    c.send(serialize.query('FETCH ALL FROM h'));
    const second = await c.untilReady();
    expectNoLeak([...first, ...second]);
    c.close();
  });

  it('SQL FETCH of a protocol portal that was never a cursor', async () => {
    const c = await agent();
    c.send(serialize.query('BEGIN'));
    await c.untilReady();
    c.send(serialize.parse({ name: 'x', text: phi }), serialize.bind({ portal: 'q', statement: 'x' }), serialize.sync());
    await c.untilReady();
    c.send(serialize.query('FETCH ALL FROM q'));
    const got = await c.untilReady();
    expect(rowsOf(got)).toEqual([]);
    expectNoLeak(got);
    c.close();
  });
});

describe('results still flow for well-behaved drivers and the privileged role', () => {
  it('dba reads raw values through every one of these paths', async () => {
    const c = await WireClient.connect(gw.port, 'dba-1', await gw.token('dba-1', ['dba']), PG.database);
    c.send(serialize.parse({ text: "SELECT ssn FROM clinic.patients WHERE ssn IS NOT NULL ORDER BY id LIMIT 2" }), serialize.bind({}), serialize.execute({}), serialize.sync());
    const got = await c.untilReady();
    expect(rowsOf(got)).toHaveLength(2);
    expect(leaks(seenText(got), needles).length).toBeGreaterThan(0);
    c.close();
  });
});
