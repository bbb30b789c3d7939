// Plans: origin first, lineage second (strictest, made safe for derived values), opaque lineage
// over protected tables refused, privileged unmasking reported, the type rule.
import { describe, expect, it } from 'vitest';
import { MaskingEngine } from '../../../src/masking/engine.js';
import type { PlanColumn } from '../../../src/masking/plan.js';
import type { MaskingConfig, MaskingRule } from '../../../src/policy/config/types.js';
import type { ColumnLineage } from '../../../src/sql/analysis.js';

const rule = (name: string, columns: string[], strategy: MaskingRule['strategy'], extra: Partial<MaskingRule> = {}): MaskingRule => ({
  name,
  columns,
  except: ['dba'],
  strategy,
  ...extra,
});

const rules: MaskingRule[] = [
  rule('names', ['clinic.patients.full_name'], { kind: 'hash', prefix: 'h_', length: 16 }),
  rule('ssn', ['clinic.patients.ssn'], { kind: 'redact', text: '***-**-****' }),
  rule('dob', ['clinic.patients.dob'], { kind: 'generalize', to: 'year', width: 10 }),
  rule('contact', ['clinic.patients.email'], { kind: 'email', keepDomain: true, maskChar: '*' }),
  rule('phone', ['clinic.patients.phone'], { kind: 'format' }),
  rule('free-text', ['clinic.patients.notes', 'clinic.encounters.summary'], { kind: 'detect' }),
  rule('address', ['clinic.patients.address'], { kind: 'null' }),
  rule('auditors-only', ['clinic.patients.balance_cents'], { kind: 'redact', text: 'x' }, { roles: ['auditor'], except: [] }),
];

const config = (onUnknownLineage: MaskingConfig['onUnknownLineage'] = 'refuse'): MaskingConfig => ({
  onUnknownLineage,
  hashKey: { source: 'value', key: Buffer.from('0123456789abcdef0123456789abcdef') },
  detectors: { builtin: ['ssn', 'phone', 'email'], patterns: [], dictionaries: [] },
  rules,
});

const patients = { schema: 'clinic', name: 'patients' };
const encounters = { schema: 'clinic', name: 'encounters' };
const lineage = (name: string, sources: [typeof patients, string][], opaque = false): ColumnLineage => ({
  name,
  sources: sources.map(([table, column]) => ({ table, column })),
  opaque,
});
const origin = (column: string, table = 'patients') => ({ schema: 'clinic', table, column });

function decisions(columns: PlanColumn[], role = 'agent', onUnknown?: MaskingConfig['onUnknownLineage'], tablesRead = [patients]) {
  const plan = new MaskingEngine(config(onUnknown)).planResult(role, columns, { tablesRead });
  if (!plan.ok) throw new Error(plan.message);
  return plan.columns.map((c) => (c.decision.action === 'keep' ? 'keep' : `${c.decision.via}:${c.decision.strategy.kind}(${c.decision.rule})`));
}

describe('origin first', () => {
  it('gives a plain column reference its own rule, unchanged', () => {
    expect(
      decisions([
        { name: 'id', origin: origin('id'), type: 'integer' },
        { name: 'full_name', origin: origin('full_name'), type: 'text' },
        { name: 'ssn', origin: origin('ssn'), type: 'text' },
        { name: 'dob', origin: origin('dob'), type: 'date' },
        { name: 'phone', origin: origin('phone'), type: 'text' },
        { name: 'summary', origin: origin('summary', 'encounters'), type: 'text' },
      ]),
    ).toEqual(['keep', 'origin:hash(names)', 'origin:redact(ssn)', 'origin:generalize(dob)', 'origin:format(phone)', 'origin:detect(free-text)']);
  });

  it('matches globs ignoring case (MySQL and unquoted names)', () => {
    expect(decisions([{ name: 'SSN', origin: { schema: 'CLINIC', table: 'Patients', column: 'SSN' }, type: 'text' }])).toEqual(['origin:redact(ssn)']);
  });

  it('wins over lineage: an aliased plain reference keeps its rule', () => {
    const col = { name: 'x', origin: origin('email'), lineage: lineage('x', [[patients, 'email']]), type: 'text' as const };
    expect(decisions([col])).toEqual(['origin:email(contact)']);
  });
});

describe('lineage second', () => {
  it('masks derived columns with the strictest source strategy, made safe for derived values', () => {
    expect(
      decisions([
        { name: 'upper', lineage: lineage('upper', [[patients, 'email']]), type: 'text' },
        { name: 'concat', lineage: lineage('concat', [[patients, 'full_name'], [patients, 'ssn']]), type: 'text' },
        { name: 'both', lineage: lineage('both', [[patients, 'address'], [patients, 'ssn']]), type: 'text' },
        { name: 'reverse_notes', lineage: lineage('reverse_notes', [[patients, 'notes']]), type: 'text' },
        { name: 'n', lineage: lineage('n', [[patients, 'id']]), type: 'integer' },
        { name: 'one', lineage: lineage('one', []), type: 'integer' },
      ]),
    ).toEqual(['lineage:redact(contact)', 'lineage:redact(ssn)', 'lineage:null(address)', 'lineage:redact(free-text)', 'keep', 'keep']);
  });

  it('treats a whole-row source as every column of the table', () => {
    expect(decisions([{ name: 'p', lineage: lineage('p', [[patients, '*']]), type: 'json' }])).toEqual(['lineage:null(address)']);
  });

  it('matches a source of unknown schema on table and column (fail closed)', () => {
    const unqualified = { name: 'patients' };
    expect(decisions([{ name: 's', lineage: lineage('s', [[unqualified as typeof patients, 'ssn']]), type: 'text' }])).toEqual(['lineage:redact(ssn)']);
  });
});

describe('views', () => {
  const relationSources = (table: { schema?: string; name: string }) =>
    table.name === 'v_patient_contacts' ? [origin('full_name'), origin('email'), origin('phone')] : undefined;

  it('treats a column of a view over protected tables as derived from everything the view reads', () => {
    const plan = new MaskingEngine(config()).planResult(
      'agent',
      [
        { name: 'full_name', origin: { schema: 'clinic', table: 'v_patient_contacts', column: 'full_name' }, type: 'text' },
        { name: 'n', lineage: lineage('n', [[{ schema: 'clinic', name: 'v_patient_contacts' }, 'email']]), type: 'text' },
      ],
      { tablesRead: [{ schema: 'clinic', name: 'v_patient_contacts' }], relationSources },
    );
    if (!plan.ok) throw new Error(plan.message);
    expect(plan.columns.map((c) => c.decision.action === 'mask' && `${c.decision.via}:${c.decision.strategy.kind}(${c.decision.rule})`)).toEqual([
      'lineage:redact(names)',
      'lineage:redact(names)',
    ]);
  });

  it('counts a view over protected tables as protected for opaque lineage', () => {
    const plan = new MaskingEngine(config()).planResult('agent', [{ name: 'j', lineage: lineage('j', [], true), type: 'json' }], {
      tablesRead: [{ schema: 'clinic', name: 'v_patient_contacts' }],
      relationSources,
    });
    expect(plan.ok).toBe(false);
  });
});

describe('opaque lineage over protected tables', () => {
  const opaque = { name: 'row_to_json', lineage: lineage('row_to_json', [[patients, 'id']], true), type: 'json' as const };

  it('refuses the result by default, with an agent-readable reason', () => {
    const plan = new MaskingEngine(config()).planResult('agent', [{ name: 'id', origin: origin('id'), type: 'integer' }, opaque], { tablesRead: [patients] });
    expect(plan.ok).toBe(false);
    if (plan.ok) return;
    expect(plan.column).toEqual({ index: 1, name: 'row_to_json' });
    expect(plan.rule).toBe('masking.onUnknownLineage');
    expect(plan.message).toMatch(/result column "row_to_json" \(position 2\) derives from values the gateway cannot trace/);
    expect(plan.message).toMatch(/clinic\.patients/);
    expect(plan.hint).toMatch(/select the columns you need by name/);
  });

  it('masks it with the strictest rule of the tables read when the rules say mask', () => {
    expect(decisions([opaque], 'agent', 'mask')).toEqual(['unknown-lineage:null(masking.onUnknownLineage)']);
  });

  it('lets it through, listed as unchecked, when the rules say allow (known protected sources still masked)', () => {
    const partlyKnown = { name: 'k', lineage: lineage('k', [[patients, 'ssn']], true), type: 'text' as const };
    const plan = new MaskingEngine(config('allow')).planResult('agent', [opaque, partlyKnown], { tablesRead: [patients] });
    expect(plan.ok && plan.unchecked).toEqual([0]);
    expect(plan.ok && plan.masked).toEqual([1]);
  });

  it('refuses opaque lineage even when part of it is known and protected', () => {
    const partlyKnown = { name: 'k', lineage: lineage('k', [[patients, 'ssn']], true), type: 'text' as const };
    expect(new MaskingEngine(config()).planResult('agent', [partlyKnown], { tablesRead: [patients] }).ok).toBe(false);
  });

  it('does not refuse when the statement reads no protected table', () => {
    const clinics = { schema: 'clinic', name: 'clinics' };
    const col = { name: 'x', lineage: lineage('x', [[clinics, 'name']], true), type: 'text' as const };
    expect(decisions([col], 'agent', 'refuse', [clinics])).toEqual(['keep']);
  });

  it('refuses a column with neither origin nor lineage when the tables read are unknown', () => {
    const plan = new MaskingEngine(config()).planResult('agent', [{ name: '?column?', type: 'text' }]);
    expect(plan.ok).toBe(false);
  });

  it('counts tables from the lineage too', () => {
    const col = { name: 's', lineage: lineage('s', [[encounters, 'id']], true), type: 'text' as const };
    expect(decisions([col], 'agent', 'mask', [])).toEqual(['unknown-lineage:redact(masking.onUnknownLineage)']);
  });
});

describe('roles', () => {
  it('lets an excepted role see raw values and reports the privileged unmasking', () => {
    const plan = new MaskingEngine(config()).planResult(
      'dba',
      [
        { name: 'ssn', origin: origin('ssn'), type: 'text' },
        { name: 'id', origin: origin('id'), type: 'integer' },
        { name: 'j', lineage: lineage('j', [[patients, 'email'], [patients, 'phone']]), type: 'text' },
        { name: 'opaque', lineage: lineage('opaque', [], true), type: 'text' },
      ],
      { tablesRead: [patients] },
    );
    expect(plan.ok).toBe(true);
    if (!plan.ok) return;
    expect(plan.masked).toEqual([]);
    expect(plan.privileged).toEqual([
      { index: 0, name: 'ssn', rules: ['ssn'] },
      { index: 2, name: 'j', rules: ['contact', 'phone'] },
    ]);
  });

  it('applies a rule with `roles` only to those roles', () => {
    const col = { name: 'balance_cents', origin: origin('balance_cents'), type: 'text' as const };
    expect(decisions([col], 'agent')).toEqual(['keep']);
    expect(decisions([col], 'auditor')).toEqual(['origin:redact(auditors-only)']);
  });

  it('masks a role named nowhere (rules apply to every role unless excepted)', () => {
    expect(decisions([{ name: 'ssn', origin: origin('ssn'), type: 'text' }], 'intern')).toEqual(['origin:redact(ssn)']);
  });
});

describe('the type rule', () => {
  it('turns a strategy that cannot write the column type into NULL', () => {
    const plan = new MaskingEngine(config()).planResult('agent', [
      { name: 'dob', origin: origin('dob'), type: 'date' },
      { name: 'dob_text', lineage: lineage('dob_text', [[patients, 'dob']]), type: 'text' },
      { name: 'age', lineage: lineage('age', [[patients, 'dob']]), type: 'integer' },
      { name: 'phone', origin: origin('phone'), type: 'other' },
    ], { tablesRead: [patients] });
    if (!plan.ok) throw new Error(plan.message);
    expect(plan.columns.map((c) => c.decision.action === 'mask' && [c.decision.ruleStrategy, c.decision.strategy.kind, c.decision.nulledForType])).toEqual([
      ['generalize', 'generalize', false],
      ['redact', 'redact', false],
      ['redact', 'null', true],
      ['format', 'null', true],
    ]);
  });
});
