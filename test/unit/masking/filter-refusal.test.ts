// Blind inference: a masked column used outside the select list is refused for the roles its rule
// masks, unless the rule says `filter: allow`; through a view, every base column it reads counts.
import { describe, expect, it } from 'vitest';
import { MaskingRules } from '../../../src/masking/plan.js';
import type { MaskingRule } from '../../../src/policy/config/types.js';
import type { FilterColumn } from '../../../src/sql/analysis.js';

const rule = (name: string, columns: string[], extra: Partial<MaskingRule> = {}): MaskingRule => ({
  name,
  columns,
  except: ['dba'],
  strategy: { kind: 'redact', text: '***' },
  ...extra,
});

const rules = new MaskingRules({
  onUnknownLineage: 'refuse',
  rules: [
    rule('ssn', ['clinic.patients.ssn']),
    rule('tokens', ['clinic.patients.mrn'], { filter: 'allow' }),
    rule('auditors', ['clinic.patients.balance_cents'], { roles: ['auditor'], except: [] }),
  ],
});

const use = (column: string, clause: FilterColumn['clause'] = 'where', table = 'patients', schema: string | undefined = 'clinic'): FilterColumn => ({
  table: schema === undefined ? { name: table } : { schema, name: table },
  column,
  clause,
});

describe('filter refusal', () => {
  it('refuses a masked column in WHERE, naming the column, the clause and what to do instead', () => {
    const refusal = rules.filterRefusal('agent', [use('id'), use('ssn')]);
    expect(refusal?.rule).toBe('ssn');
    expect(refusal?.message).toBe(
      'column clinic.patients.ssn is masked for role agent and cannot be used in WHERE: it would confirm values the result masks (masking rule ssn, filter: deny)',
    );
    expect(refusal?.hint).toContain('clinic.patients.id or another unmasked key');
  });

  it.each([
    ['join', 'a JOIN condition'],
    ['group-by', 'GROUP BY'],
    ['having', 'HAVING'],
    ['order-by', 'ORDER BY'],
    ['window', 'a window'],
    ['aggregate', 'an aggregate argument'],
    ['distinct', 'DISTINCT'],
    ['set-operation', 'UNION, INTERSECT or EXCEPT'],
    ['variable', 'an assignment to a user variable'],
    ['limit', 'LIMIT or OFFSET'],
  ] as const)('names the clause: %s', (clause, words) => {
    expect(rules.filterRefusal('agent', [use('ssn', clause)])?.message).toContain(`cannot be used in ${words}`);
  });

  it('lets unmasked columns, excepted roles, roles no rule names and filter: allow through', () => {
    expect(rules.filterRefusal('agent', [use('id'), use('diagnosis_code', 'group-by')])).toBeUndefined();
    expect(rules.filterRefusal('dba', [use('ssn')])).toBeUndefined();
    expect(rules.filterRefusal('agent', [use('balance_cents')])).toBeUndefined();
    expect(rules.filterRefusal('auditor', [use('balance_cents')])?.rule).toBe('auditors');
    expect(rules.filterRefusal('agent', [use('mrn', 'join')])).toBeUndefined();
  });

  it('matches ignoring case, an unknown schema as any schema, and a whole row as every column', () => {
    expect(rules.filterRefusal('agent', [use('SSN', 'where', 'Patients', 'CLINIC')])?.rule).toBe('ssn');
    expect(rules.filterRefusal('agent', [use('ssn', 'where', 'patients', undefined)])?.rule).toBe('ssn');
    const whole = rules.filterRefusal('agent', [use('*')]);
    expect(whole?.message).toMatch(/^the whole row of clinic\.patients \(it reads clinic\.patients\.ssn\) is masked/);
  });

  it('counts a view column as a use of every base column the view reads', () => {
    const relationSources = (t: { schema?: string; name: string }) =>
      t.name === 'v_contacts' ? [{ schema: 'clinic', table: 'patients', column: 'id' }, { schema: 'clinic', table: 'patients', column: 'ssn' }] : undefined;
    const refusal = rules.filterRefusal('agent', [use('id', 'order-by', 'v_contacts')], { relationSources });
    expect(refusal?.message).toMatch(/^column clinic\.v_contacts\.id \(it reads clinic\.patients\.ssn\) is masked for role agent and cannot be used in ORDER BY/);
    const clean = (t: { schema?: string; name: string }) => (t.name === 'v_clinics' ? [{ schema: 'clinic', table: 'clinics', column: 'name' }] : undefined);
    expect(rules.filterRefusal('agent', [use('name', 'where', 'v_clinics')], { relationSources: clean })).toBeUndefined();
  });
});
