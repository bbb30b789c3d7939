// The decision engine with hand-made analyses: every rule kind, the strictest-wins rule for
// multi-statement strings, and what the agent is told.
import { afterAll, describe, expect, it } from 'vitest';
import { decideStatement } from '../../../src/policy/decide.js';
import { analysis, expectAllow, expectApprove, expectDeny, policyOf, removeRulesDir, statement, unparsable } from './helpers.js';

afterAll(removeRulesDir);

const policy = policyOf(`policy:
  roles:
    agent:
      allow: [select, explain, transaction, session]
      block:
        flags: [explain-analyze, copy-program, dynamic-sql]
        functions: [pg_sleep, "dblink*", "pg_catalog.pg_read_*"]
      tables:
        allow: ["clinic.*", "pg_catalog.*", "*.clinics"]
        deny: ["clinic.secret_*"]
      maxRows: 1000
      protected: [clinic.patients, clinic.encounters]
      approvals:
        - name: bulk-export
          when: { limitAbove: 500 }
          approvers: [dba]
    dba:
      allow: all
      block: { flags: [update-without-where, delete-without-where, copy-program] }
      maxRows: 100000
      approvals:
        - name: clinic-writes
          when: { kinds: [insert, update, delete], tables: ["clinic.*"] }
          mode: wait
          approvers: [security]
          approvalsNeeded: 2
          waitTimeout: 2m
        - name: catalog-writes
          when: { flags: [system-catalog-write] }
          approvers: [security]
`);

const agent = (...statements: Parameters<typeof statement>[0][]) => decideStatement(policy, 'agent', analysis(...statements.map(statement)));
const dba = (...statements: Parameters<typeof statement>[0][]) => decideStatement(policy, 'dba', analysis(...statements.map(statement)));

/** A role that may write and export, any table but the protected ones bounded. */
const exporterPolicy = policyOf(`policy:
  roles:
    agent:
      allow: [select, insert, copy-out]
      tables: { allow: ["clinic.*", "*.users", "*.patients"] }
      protected: [clinic.patients]
    dba: { allow: all }
`);
const exporter = (...statements: Parameters<typeof statement>[0][]) => decideStatement(exporterPolicy, 'agent', analysis(...statements.map(statement)));

describe('statement kinds', () => {
  it('allows the kinds listed, with the role export limit', () => {
    expect(agent({ reads: ['clinic.clinics'] })).toEqual({ action: 'allow', maxRows: 1000, observed: [] });
    expect(agent({ kind: 'transaction', command: 'BEGIN' })).toEqual({ action: 'allow', maxRows: 1000, observed: [] });
    expect(dba({ kind: 'ddl', command: 'DROP TABLE', writes: ['clinic.x'] })).toEqual({ action: 'allow', maxRows: 100000, observed: [] });
  });

  it('refuses other kinds, naming the rule and what is allowed', () => {
    expect(agent({ kind: 'delete', command: 'DELETE', writes: ['clinic.patients'] })).toEqual({
      action: 'deny',
      rule: 'allow',
      sqlState: '42501',
      message: 'sqlveil: DELETE is not allowed for role agent (rule: policy.roles.agent.allow)',
      hint: 'allowed statements: SELECT, EXPLAIN, transaction control, SET/SHOW',
    });
  });

  it('says what the statement does when its command does not', () => {
    const d = expectDeny(agent({ kind: 'update', command: 'EXPLAIN', writes: ['clinic.patients'], flags: ['explain-analyze'] }));
    expect(d.message).toMatch(/^sqlveil: EXPLAIN \(UPDATE\) is not allowed for role agent/);
  });
});

describe('block.flags', () => {
  it('refuses a flagged statement of an allowed kind, with a hint', () => {
    const d = expectDeny(dba({ kind: 'update', command: 'UPDATE', writes: ['clinic.patients'], flags: ['update-without-where'] }));
    expect(d).toEqual({
      action: 'deny',
      rule: 'block.flags.update-without-where',
      sqlState: '42501',
      message: 'sqlveil: UPDATE without WHERE is blocked for role dba (rule: policy.roles.dba.block.flags.update-without-where)',
      hint: 'add a WHERE clause',
    });
  });

  it('answers dynamic SQL as unsupported', () => {
    const d = expectDeny(agent({ kind: 'session', command: 'EXECUTE', flags: ['dynamic-sql'] }));
    expect(d).toMatchObject({ rule: 'block.flags.dynamic-sql', sqlState: '0A000' });
    expect(d.hint).toMatch(/send the SQL text itself/);
  });

  it('ignores flags the role does not block', () => {
    expectAllow(agent({ reads: ['clinic.clinics'], flags: ['multi-statement'] }));
  });
});

describe('block.functions', () => {
  it('matches a name in any schema, globs, and qualified patterns against unqualified calls', () => {
    for (const fn of ['pg_sleep', 'pg_catalog.pg_sleep', 'dblink_exec', 'public.dblink', 'pg_read_file', 'pg_catalog.pg_read_binary_file']) {
      const d = expectDeny(agent({ functions: [fn] }));
      expect(d.rule).toBe('block.functions');
      expect(d.message).toContain(`calling ${fn}() is blocked for role agent`);
      expect(d.hint).toBe('blocked functions: pg_sleep, dblink*, pg_catalog.pg_read_*');
    }
  });

  it('lets other functions and other schemas through', () => {
    expectAllow(agent({ functions: ['count', 'pg_sleeping', 'myschema.pg_read_file', 'lower'] }));
  });
});

describe('tables', () => {
  it('refuses a denied table, naming it and the pattern', () => {
    const d = expectDeny(agent({ reads: ['clinic.secret_keys'] }));
    expect(d).toEqual({
      action: 'deny',
      rule: 'tables.deny',
      sqlState: '42501',
      message: 'sqlveil: table clinic.secret_keys is not allowed for role agent (rule: policy.roles.agent.tables.deny: "clinic.secret_*")',
      hint: 'allowed tables: clinic.*, pg_catalog.*, *.clinics (except clinic.secret_*)',
    });
  });

  it('refuses a table outside the allow list, read or written', () => {
    expect(expectDeny(agent({ reads: ['public.users'] })).message).toContain('table public.users is not allowed for role agent (rule: policy.roles.agent.tables.allow)');
    expect(expectDeny(exporter({ kind: 'insert', reads: ['clinic.clinics'], writes: ['public.scratch'] })).rule).toBe('tables.allow');
    expectAllow(exporter({ kind: 'insert', reads: ['public.users'], writes: ['clinic.clinics'] }));
  });

  it('matches an unqualified table only against allow patterns for any schema', () => {
    expectAllow(agent({ reads: ['clinics'] }));
    const d = expectDeny(agent({ reads: ['patients'] }));
    expect(d.message).toContain('table patients (no schema) is not allowed');
    expect(d.hint).toMatch(/^write the table with its schema \(schema\.patients\); allowed tables:/);
  });

  it('denies an unqualified table that may be a denied one, in any case', () => {
    expect(expectDeny(agent({ reads: ['secret_keys'] })).rule).toBe('tables.deny');
    expect(expectDeny(agent({ reads: ['CLINIC.SECRET_KEYS'] })).rule).toBe('tables.deny');
  });
});

describe('unbounded reads of protected tables', () => {
  it('refuses no LIMIT, or a LIMIT above maxRows, with the LIMIT hint', () => {
    const none = expectDeny(agent({ reads: ['clinic.patients'] }));
    expect(none).toEqual({
      action: 'deny',
      rule: 'unbounded',
      sqlState: '54000',
      message: 'sqlveil: reading protected table clinic.patients without LIMIT is refused for role agent (rule: policy.roles.agent.unbounded)',
      hint: 'add LIMIT 1000 or less',
    });
    const above = expectDeny(agent({ reads: ['clinic.clinics', 'clinic.encounters'], limit: 5000 }));
    expect(above.message).toContain('reading protected table clinic.encounters with LIMIT 5000, above the export limit of 1000 rows, is refused');
  });

  it('applies to COPY ... TO STDOUT too, and to unqualified names', () => {
    expect(expectDeny(exporter({ kind: 'copy-out', command: 'COPY', reads: ['clinic.patients'] })).rule).toBe('unbounded');
    expect(expectDeny(exporter({ reads: ['patients'] })).message).toContain('reading protected table patients without LIMIT');
    expectAllow(exporter({ kind: 'insert', reads: ['clinic.patients'], writes: ['clinic.clinics'] })); // not an export
  });

  it('lets bounded reads and unprotected tables through', () => {
    expect(agent({ reads: ['clinic.patients'], limit: 100 })).toEqual({ action: 'allow', maxRows: 1000, observed: [] });
    expectAllow(agent({ reads: ['clinic.clinics'] }));
    expectAllow(agent({ kind: 'explain', command: 'EXPLAIN', reads: ['clinic.patients'] }));
  });
});

describe('approvals', () => {
  it('holds a statement matching limitAbove, with the rule and the role limit', () => {
    const a = expectApprove(agent({ reads: ['clinic.patients'], limit: 800 }));
    expect(a.rule).toBe('approvals.bulk-export');
    expect(a.maxRows).toBe(1000);
    expect(a.approval).toMatchObject({ name: 'bulk-export', role: 'agent', mode: 'reject', approvers: ['dba'], approvalsNeeded: 1, ttlMs: 900000 });
    expect(a.message).toBe('sqlveil: this statement needs approval "bulk-export" by dba for role agent (rule: policy.roles.agent.approvals.bulk-export)');
    expectAllow(agent({ reads: ['clinic.patients'], limit: 500 }));
  });

  it('matches kinds and tables together, and flags', () => {
    const a = expectApprove(dba({ kind: 'delete', writes: ['clinic.patients'] }));
    expect(a.approval).toMatchObject({ name: 'clinic-writes', mode: 'wait', approvalsNeeded: 2, waitTimeoutMs: 120000 });
    expectAllow(dba({ kind: 'delete', writes: ['public.scratch'] }));
    expectAllow(dba({ kind: 'select', reads: ['clinic.patients'] }));
    expect(expectApprove(dba({ kind: 'update', writes: ['pg_catalog.pg_class'], flags: ['system-catalog-write'] })).rule).toBe('approvals.catalog-writes');
  });

  it('loses to a refusal', () => {
    expect(expectDeny(agent({ reads: ['clinic.patients'], limit: 5000 })).rule).toBe('unbounded');
  });
});

describe('multi-statement strings', () => {
  it('are refused when any statement is, with the first refusal', () => {
    const d = expectDeny(agent({ kind: 'transaction', command: 'BEGIN' }, { reads: ['clinic.clinics'] }, { kind: 'delete', command: 'DELETE', writes: ['clinic.x'] }, { kind: 'ddl', command: 'DROP TABLE' }));
    expect(d.message).toMatch(/^sqlveil: DELETE is not allowed/);
  });

  it('need approval when one does and none is refused', () => {
    expectApprove(agent({ reads: ['clinic.clinics'] }, { reads: ['clinic.patients'], limit: 600 }));
    expectDeny(agent({ reads: ['clinic.patients'], limit: 600 }, { reads: ['clinic.patients'] }));
  });

  it('are allowed when every statement is; an empty string too', () => {
    expectAllow(agent({ kind: 'transaction', command: 'BEGIN' }, { reads: ['clinic.clinics'] }, { kind: 'transaction', command: 'COMMIT' }));
    expect(agent()).toEqual({ action: 'allow', maxRows: 1000, observed: [] });
  });
});

describe('unparsable statements and missing roles', () => {
  it('refuses what cannot be parsed', () => {
    expect(decideStatement(policy, 'agent', unparsable())).toEqual({
      action: 'deny',
      rule: 'unparsable',
      sqlState: '42601',
      message: 'sqlveil: the statement could not be parsed (syntax error at or near "SELEC"); statements the gateway cannot check are refused (rule: policy.unparsable)',
      hint: 'fix the syntax, or write the statement in plain PostgreSQL SQL',
    });
  });

  it('lets it through with unparsable: allow', () => {
    const lenient = policyOf('policy:\n  mode: observe\n  unparsable: allow\n  roles:\n    agent: { allow: [select], maxRows: 10, mode: enforce }\n    dba: { allow: all }\n');
    expect(decideStatement(lenient, 'agent', unparsable())).toEqual({ action: 'allow', maxRows: 10, observed: [] });
  });

  it('refuses every statement of a role the policy does not name', () => {
    const d = expectDeny(decideStatement(policy, 'auditor', analysis(statement({ reads: ['clinic.clinics'] }))));
    expect(d).toEqual({
      action: 'deny',
      rule: 'no-role-policy',
      sqlState: '42501',
      message: 'sqlveil: the rules file has no policy for role auditor, so every statement is refused (rule: policy.roles.auditor is missing)',
      hint: 'an administrator must add policy.roles.auditor to the rules file',
    });
    // Names inherited from Object.prototype are not roles.
    expect(expectDeny(decideStatement(policy, 'constructor', analysis(statement()))).rule).toBe('no-role-policy');
  });

  it('allows everything when the file has no policy section', () => {
    expect(decideStatement(undefined, 'anyone', analysis(statement({ kind: 'ddl', flags: ['copy-program'] })))).toEqual({ action: 'allow', observed: [] });
    expect(decideStatement(undefined, 'anyone', unparsable())).toEqual({ action: 'allow', observed: [] });
  });
});
