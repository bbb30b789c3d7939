// The policies shipped in rules/hipaa.yaml and rules/demo.yaml decide as documented.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../src/policy/config/load.js';
import type { PolicyConfig } from '../../../src/policy/config/types.js';
import { decideStatement } from '../../../src/policy/decide.js';
import { publicJwks, tempDir, type TempDir } from '../config/helpers.js';
import { analysis, expectAllow, expectApprove, expectDeny, statement } from './helpers.js';

const rulesDir = fileURLToPath(new URL('../../../rules/', import.meta.url));
let tmp: TempDir;
const policies: Record<string, PolicyConfig> = {};

beforeAll(async () => {
  tmp = tempDir();
  const jwks = tmp.file('jwks.json', publicJwks);
  const env = { SQLVEIL_JWKS: jwks, SQLVEIL_ISSUER: 'https://idp.example/', SQLVEIL_DEMO_JWKS: jwks };
  for (const name of ['hipaa', 'demo']) {
    const loaded = await loadConfigFile(`${rulesDir}${name}.yaml`, env);
    if (!loaded.ok || !loaded.config.policy) throw new Error(`${name}.yaml does not load a policy`);
    policies[name] = loaded.config.policy;
  }
});
afterAll(() => tmp.remove());

describe.each(['hipaa', 'demo'])('rules/%s.yaml', (name) => {
  const decide = (role: string, ...statements: Parameters<typeof statement>[0][]) =>
    decideStatement(policies[name], role, analysis(...statements.map(statement)));

  it('lets the agent read the clinic and the catalogs, 1000 rows at most', () => {
    expect(decide('agent', { reads: ['clinic.clinics'], functions: ['count'] })).toEqual({ action: 'allow', maxRows: 1000, observed: [] });
    expectAllow(decide('agent', { reads: ['pg_catalog.pg_class', 'pg_catalog.pg_namespace'] }));
    expectAllow(decide('agent', { reads: ['information_schema.tables'] }));
    expectAllow(decide('agent', { reads: ['clinic.patients'], limit: 100 }));
    expectAllow(decide('agent', { kind: 'session', command: 'SET' }, { kind: 'transaction', command: 'BEGIN' }));
  });

  it('refuses agent writes, DDL, DCL, TRUNCATE and procedural code', () => {
    for (const kind of ['insert', 'update', 'delete', 'ddl', 'dcl', 'truncate', 'procedural', 'copy-in', 'copy-out'] as const) {
      expect(expectDeny(decide('agent', { kind, command: kind.toUpperCase() })).rule).toBe('allow');
    }
  });

  it('refuses unbounded agent reads of patients and encounters with the LIMIT hint', () => {
    for (const t of ['clinic.patients', 'clinic.encounters']) {
      expect(expectDeny(decide('agent', { reads: [t] }))).toMatchObject({ rule: 'unbounded', sqlState: '54000', hint: 'add LIMIT 1000 or less' });
    }
  });

  it('asks a DBA to approve agent exports above 500 rows', () => {
    const held = expectApprove(decide('agent', { reads: ['clinic.clinics'], limit: 800 }));
    expect(held.approval).toMatchObject({ name: 'bulk-export', mode: 'reject', approvers: ['dba'], approvalsNeeded: 1, ttlMs: 900000 });
  });

  it('blocks risky agent flags, functions and tables', () => {
    expect(expectDeny(decide('agent', { reads: ['clinic.clinics'], flags: ['locking-read'], limit: 1 })).rule).toBe('block.flags.locking-read');
    expect(expectDeny(decide('agent', { kind: 'explain', command: 'EXPLAIN', flags: ['explain-analyze'] })).rule).toBe('block.flags.explain-analyze');
    expect(expectDeny(decide('agent', { functions: ['pg_catalog.pg_sleep'] })).rule).toBe('block.functions');
    expect(expectDeny(decide('agent', { functions: ['dblink_exec'] })).rule).toBe('block.functions');
    expect(expectDeny(decide('agent', { reads: ['pg_catalog.pg_authid'] })).rule).toBe('tables.deny');
    expect(expectDeny(decide('agent', { reads: ['public.notes'] })).rule).toBe('tables.allow');
  });

  it('lets the DBA run anything but the server shell, files and network', () => {
    expect(decide('dba', { kind: 'ddl', command: 'DROP TABLE', writes: ['clinic.x'] })).toEqual({ action: 'allow', maxRows: 100000, observed: [] });
    expectAllow(decide('dba', { reads: ['clinic.patients'] }));
    for (const flag of ['copy-program', 'server-file-access', 'network-access'] as const) {
      expect(expectDeny(decide('dba', { kind: 'copy-out', command: 'COPY', flags: [flag] })).rule).toBe(`block.flags.${flag}`);
    }
  });

  it('refuses roles it does not name, and what it cannot parse', () => {
    expect(expectDeny(decide('auditor', {})).rule).toBe('no-role-policy');
    expect(expectDeny(decideStatement(policies[name], 'agent', { ok: false, dialect: 'mysql', fingerprint: '', error: 'x' })).rule).toBe('unparsable');
  });
});

describe('rules/hipaa.yaml policy mode', () => {
  it('comes from SQLVEIL_POLICY_MODE, for an observe-first rollout', async () => {
    const env = { SQLVEIL_JWKS: `${tmp.dir}/jwks.json`, SQLVEIL_ISSUER: 'https://idp.example/' };
    const observe = await loadConfigFile(`${rulesDir}hipaa.yaml`, { ...env, SQLVEIL_POLICY_MODE: 'observe' });
    expect(observe.ok && [observe.config.policy?.mode, observe.config.policy?.roles.agent?.mode]).toEqual(['observe', 'observe']);
    const typo = await loadConfigFile(`${rulesDir}hipaa.yaml`, { ...env, SQLVEIL_POLICY_MODE: 'observer' });
    expect(!typo.ok && typo.errors.map((e) => `${e.path}: ${e.message}`)).toEqual(['policy.mode: must be one of: enforce, observe']);
  });
});
