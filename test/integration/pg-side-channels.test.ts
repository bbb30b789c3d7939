// Bytes that reach a restricted client outside a masked result set (issue 13, section 3,
// PostgreSQL): notifications carrying another session's payload, and COPY, whose data is never
// masked, of relations that only lead to protected tables.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { direct, loadClinicFixture, PG, startGateway, type TestGateway } from './harness.js';
import { clinicNeedles, leaks, type Needle } from './leak-check.js';
import { errorsOf, seenText, serialize, WireClient } from './pg-wire.js';

let gw: TestGateway;
let needles: Needle[];
let agentToken: string;

beforeAll(async () => {
  await loadClinicFixture();
  await direct('CREATE VIEW clinic.patient_contacts AS SELECT id, email, phone FROM clinic.patients');
  gw = await startGateway();
  needles = await clinicNeedles();
  agentToken = await gw.token('agent-1', ['agents']);
});
afterAll(async () => {
  await gw?.stop();
  await direct('DROP VIEW IF EXISTS clinic.patient_contacts');
});

describe('notifications', () => {
  it('a NOTIFY payload reaches a listening agent withheld, if LISTEN is allowed at all', async () => {
    const c = await WireClient.connect(gw.port, 'agent-1', agentToken, PG.database);
    c.send(serialize.query('LISTEN leak'));
    const listened = await c.untilReady();
    const ssn = await direct('select ssn from clinic.patients where ssn is not null order by id limit 1');
    const email = await direct('select email from clinic.patients where email is not null order by id limit 1');
    await direct(`NOTIFY leak, '${ssn} ${email}'`);
    c.send(serialize.query('SELECT 1'));
    const got = await c.untilReady();
    if (errorsOf(listened).length === 0) {
      const notes = got.filter((m) => m.name === 'notification').map((m) => (m.raw as unknown as { payload: string }).payload);
      expect(notes).toEqual(['sqlveil: payload withheld']);
    }
    expect(leaks(seenText([...listened, ...got]), needles)).toEqual([]);
    c.close();
  });
});

describe('COPY of what leads to protected tables', () => {
  it('refuses COPY of a view over protected columns, and of a query over it, even where the policy allows COPY', async () => {
    // The reference policy refuses every COPY for agent; masking must refuse these on its own.
    const copying = await startGateway({ configure: (config) => config.policy!.roles.agent!.allow.push('copy-out') });
    const c = await WireClient.connect(copying.port, 'agent-1', await copying.token('agent-1', ['agents']), PG.database);
    for (const sql of ['COPY clinic.patient_contacts TO STDOUT', 'COPY (SELECT * FROM clinic.patient_contacts LIMIT 5) TO STDOUT', 'COPY (SELECT reverse(ssn) FROM clinic.patients LIMIT 5) TO STDOUT']) {
      c.send(serialize.query(sql));
      const got = await c.untilReady();
      expect(errorsOf(got)[0]?.message, sql).toMatch(/COPY .* is not possible for role agent/);
      expect(leaks(seenText(got), needles)).toEqual([]);
    }
    c.send(serialize.query('COPY (SELECT id FROM clinic.clinics ORDER BY id LIMIT 2) TO STDOUT'));
    expect(errorsOf(await c.untilReady())).toEqual([]);
    c.close();
    await copying.stop();
  });
});
