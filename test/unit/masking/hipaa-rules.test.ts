// rules/hipaa.yaml over the clinic fixture: as role agent no raw identifier survives (in any
// encoding a test can think of), non-PHI stays as it is, and dba sees raw values, audited.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MaskingEngine } from '../../../src/masking/engine.js';
import type { PlanColumn } from '../../../src/masking/plan.js';
import type { ValueType } from '../../../src/masking/value-types.js';
import { loadConfigFile } from '../../../src/policy/config/load.js';
import type { MaskingConfig } from '../../../src/policy/config/types.js';
import { expectOk, publicJwks, tempDir, type TempDir } from '../config/helpers.js';

const hipaa = fileURLToPath(new URL('../../../rules/hipaa.yaml', import.meta.url));

// The fixture's rows (test/fixtures/clinic.pg.sql), as the text wire format sends them.
const patientColumns: [string, ValueType][] = [
  ['id', 'integer'], ['mrn', 'text'], ['full_name', 'text'], ['ssn', 'text'], ['dob', 'date'], ['email', 'text'], ['phone', 'text'],
  ['address', 'text'], ['diagnosis_code', 'text'], ['notes', 'text'], ['balance_cents', 'integer'], ['created_at', 'timestamp'],
];
const patients: (string | null)[][] = [
  ['1', 'MRN-000001', 'Ada Quintero', '900-11-0001', '1961-03-14', 'ada.quintero@example.org', '+1-555-010-0001', '12 Elm St, Springfield', 'E11.9', 'Type 2 diabetes; call back at 555-010-0001.', '1250', '2026-11-24 18:00:00.123+00'],
  ['2', 'MRN-000002', 'Bram Okafor', '900-11-0002', '1978-11-02', 'bram.okafor@example.org', '+1-555-010-0002', '4 Oak Ave, Springfield', 'I10', 'Hypertension follow-up. SSN on file 900-11-0002.', '0', '2026-11-24 18:00:00.123+00'],
  ['3', 'MRN-000003', 'Chen Liwei', '900-11-0003', '1990-07-21', 'chen.liwei@example.org', '+1-555-010-0003', '9 Pine Rd, Shelbyville', 'C50.9', 'Referred by Dr. Hale, email chen.liwei@example.org', '98000', '2026-11-24 18:00:00.123+00'],
  ['4', 'MRN-000004', 'Dana Whitfield', '900-11-0004', '2001-01-30', 'dana.whitfield@example.org', '+1-555-010-0004', '77 Birch Ln, Shelbyville', 'J45.909', null, '500', '2026-11-24 18:00:00.123+00'],
  ['5', 'MRN-000005', 'Emeka Ndu', null, null, null, null, null, null, null, '0', '2026-11-24 18:00:00.123+00'],
];
const encounterColumns: [string, ValueType][] = [['id', 'integer'], ['patient_id', 'integer'], ['seen_at', 'timestamp'], ['clinician', 'text'], ['reason', 'text'], ['summary', 'text']];
const encounters: (string | null)[][] = [
  ['1', '1', '2026-01-05 09:00:00+00', 'Dr. Hale', 'checkup', 'A1c 7.9. Patient Ada Quintero reports fatigue.'],
  ['2', '2', '2026-02-10 14:30:00+00', 'Dr. Moss', 'bp check', 'BP 150/95.'],
  ['3', '3', '2026-03-01 11:15:00+00', 'Dr. Hale', 'oncology', 'Discussed plan; reach at +1-555-010-0003.'],
];

/** Every identifier of the fixture, and the forms an agent could smuggle it out in. */
function identifiers(): string[] {
  const raw = patients.flatMap((row) => [row[1], row[2], row[3], row[4], row[5], row[6], row[7]]).filter((v): v is string => v !== null);
  const words = patients.flatMap((row) => (row[2] as string).split(' '));
  return [...raw, ...words, '2026-01-05', '2026-02-10', '2026-03-01'];
}
function encodings(value: string): string[] {
  const bare = value.replace(/[-+ .@,()]/g, '');
  const reversed = [...value].reverse().join('');
  return [value, value.toLowerCase(), bare, reversed, Buffer.from(value).toString('base64'), Buffer.from(value).toString('hex')];
}

let tmp: TempDir;
let masking: MaskingConfig;
beforeAll(async () => {
  tmp = tempDir();
  const jwks = tmp.file('jwks.json', publicJwks);
  const config = expectOk(await loadConfigFile(hipaa, { SQLVEIL_JWKS: jwks, SQLVEIL_ISSUER: 'https://idp.example/' }));
  masking = config.masking as MaskingConfig;
});
afterAll(() => tmp.remove());

function maskTable(engine: MaskingEngine, role: string, table: string, columns: [string, ValueType][], rows: (string | null)[][]) {
  const planned: PlanColumn[] = columns.map(([name, type]) => ({ name, origin: { schema: 'clinic', table, column: name }, type }));
  const plan = engine.planResult(role, planned, { tablesRead: [{ schema: 'clinic', name: table }] });
  if (!plan.ok) throw new Error(plan.message);
  const masker = engine.rowMasker(plan);
  return { plan, masker, rows: rows.map((row) => row.map((value, i) => masker.apply(i, value))) };
}

describe('rules/hipaa.yaml masking', () => {
  it('loads: refuse on unknown lineage, an ephemeral key when none is set, MRN and name detectors', () => {
    expect(masking.onUnknownLineage).toBe('refuse');
    expect(masking.hashKey).toEqual({ source: 'ephemeral' });
    expect(masking.detectors.patterns.map((p) => p.name)).toEqual(['mrn']);
    expect(masking.detectors.dictionaries[0]).toMatchObject({ name: 'patient-names', words: [], refresh: { query: 'SELECT full_name FROM clinic.patients', everyMs: 600000, upstream: 'pg' } });
    expect(masking.rules.every((r) => r.except.includes('dba') && r.roles === undefined)).toBe(true);
  });

  it('leaves no raw identifier of the fixture in what role agent receives', () => {
    // A fixed key: with the ephemeral one a token could by chance hold a hex-only name like "ada".
    const engine = new MaskingEngine({ ...masking, hashKey: { source: 'value', key: Buffer.from('fixed-test-key-0123456789abcdef') } });
    engine.setDictionary('patient-names', patients.map((row) => row[2] as string));
    const out = JSON.stringify([
      maskTable(engine, 'agent', 'patients', patientColumns, patients).rows,
      maskTable(engine, 'agent', 'encounters', encounterColumns, encounters).rows,
    ]);
    for (const id of identifiers()) for (const form of encodings(id)) expect(out, `leaked ${id} as ${form}`).not.toContain(form);
  });

  it('masks each PHI column as classified and keeps the rest', () => {
    const engine = new MaskingEngine(masking);
    engine.setDictionary('patient-names', ['Ada Quintero']);
    const { rows } = maskTable(engine, 'agent', 'patients', patientColumns, patients);
    const [id, mrn, name, ssn, dob, email, phone, address, diagnosis, notes, balance, created] = rows[0] as string[];
    expect([id, diagnosis, balance]).toEqual(['1', 'E11.9', '1250']);
    expect(mrn).toMatch(/^h_[0-9a-f]{16}$/);
    expect(name).toMatch(/^h_[0-9a-f]{16}$/);
    expect(ssn).toBe('***-**-****');
    expect(dob).toBe('1961-01-01');
    expect(email).toBe('***@***');
    expect(phone).toMatch(/^\+\d-\d{3}-\d{3}-\d{4}$/);
    expect(address).toBe('[ADDRESS]');
    expect(notes).toBe('Type 2 diabetes; call back at [PHONE].');
    expect(created).toBe('2026-01-01 00:00:00+00');
    expect(rows[4]?.slice(3, 8)).toEqual([null, null, null, null, null]);
    const enc = maskTable(engine, 'agent', 'encounters', encounterColumns, encounters).rows;
    expect(enc.map((r) => r[5])).toEqual(['A1c 7.9. Patient [NAME] [NAME] reports fatigue.', 'BP 150/95.', 'Discussed plan; reach at [PHONE].']);
    expect(enc.map((r) => r[3])).toEqual(['Dr. Hale', 'Dr. Moss', 'Dr. Hale']);
  });

  it('gives equal tokens for equal values (joins and GROUP BY keep working)', () => {
    const engine = new MaskingEngine(masking);
    const a = maskTable(engine, 'agent', 'patients', patientColumns, patients).rows;
    const b = maskTable(engine, 'agent', 'patients', patientColumns, patients).rows;
    expect(a.map((r) => r[1])).toEqual(b.map((r) => r[1]));
    expect(new Set(a.map((r) => r[1])).size).toBe(5);
  });

  it('counts masked cells per column and strategy, never values', () => {
    const engine = new MaskingEngine(masking);
    const { masker } = maskTable(engine, 'agent', 'patients', patientColumns, patients);
    const counts = masker.counts();
    expect(counts.find((c) => c.name === 'ssn')).toEqual({ index: 3, name: 'ssn', strategy: 'redact', rule: 'ssn', via: 'origin', cells: 4 });
    expect(counts.find((c) => c.name === 'notes')).toMatchObject({ strategy: 'detect', cells: 3, detections: { phone: 1, ssn: 1, email: 1 } });
    expect(JSON.stringify(counts)).not.toMatch(/900-11|Quintero|example\.org/);
  });

  it('gives a repeated value the same hash and format token within a result, past the memo size, and counts every cell', () => {
    const engine = new MaskingEngine(masking);
    // Many distinct values (more than a memo holds) around a repeated one, as a long join streams them.
    const rows = Array.from({ length: 10_000 }, (_, i) => {
      const row = [...patients[0]!];
      row[2] = i % 3 === 0 ? 'Ada Quintero' : `Person ${i}`;
      row[6] = i % 3 === 0 ? '+1-555-010-0001' : `+1-555-${String(i).padStart(7, '0')}`;
      return row;
    });
    const { masker, rows: masked } = maskTable(engine, 'agent', 'patients', patientColumns, rows);
    const ada = masked.filter((_, i) => i % 3 === 0);
    expect(new Set(ada.map((r) => r[2])).size).toBe(1);
    expect(new Set(ada.map((r) => r[6])).size).toBe(1);
    expect(new Set(masked.map((r) => r[2])).size).toBe(1 + 10_000 - ada.length);
    // The same tokens as a new result set of the same engine (same key), whose memo is empty.
    const again = maskTable(engine, 'agent', 'patients', patientColumns, [rows[0]!, rows[9_999]!]).rows;
    expect(again.map((r) => [r[2], r[6]])).toEqual([[masked[0]![2], masked[0]![6]], [masked[9_999]![2], masked[9_999]![6]]]);
    expect(masker.counts().find((c) => c.name === 'full_name')).toMatchObject({ strategy: 'hash', cells: 10_000 });
    expect(masker.counts().find((c) => c.name === 'phone')).toMatchObject({ strategy: 'format', cells: 10_000 });
  });

  it('shows dba the raw values and reports every privileged column', () => {
    const engine = new MaskingEngine(masking);
    const { plan, rows } = maskTable(engine, 'dba', 'patients', patientColumns, patients);
    expect(rows).toEqual(patients);
    expect(plan.ok && plan.privileged.map((p) => p.name)).toEqual(['mrn', 'full_name', 'ssn', 'dob', 'email', 'phone', 'address', 'notes', 'created_at']);
  });

  it('masks identifiers echoed in error messages', () => {
    const engine = new MaskingEngine(masking);
    engine.setDictionary('patient-names', ['Ada Quintero']);
    const message = 'duplicate key value violates unique constraint "patients_mrn_key": Key (mrn)=(MRN-000001) exists; ssn 900-11-0001, Ada Quintero';
    expect(engine.maskMessageText(message)).toBe('duplicate key value violates unique constraint "patients_mrn_key": Key (mrn)=([MRN]) exists; ssn [SSN], [NAME] [NAME]');
  });
});
