// The `policy` section as the loader checks it: defaults, and every mistake reported at its
// place in the file.
import { afterAll, describe, expect, it } from 'vitest';
import type { LoadResult } from '../../../src/policy/config/issues.js';
import { statementKinds } from '../../../src/policy/statement-vocabulary.js';
import { lineOf, minimal, minimalWithoutPolicy, show } from '../config/helpers.js';
import { loadRules, policyOf, removeRulesDir, rulesWithPolicy } from './helpers.js';

afterAll(removeRulesDir);

function issues(result: LoadResult, kind: 'errors' | 'warnings'): string[] {
  const list = kind === 'errors' ? (result.ok ? [] : result.errors) : result.ok ? result.warnings : [];
  return list.map(show);
}

/** Loads `policy` and expects exactly `expected` errors, each `line:path: message-regex`. */
function expectErrors(policy: string, expected: [text: string, path: string, message: RegExp][]): void {
  const yaml = rulesWithPolicy(policy);
  const result = loadRules(yaml);
  if (result.ok) expect.fail('expected errors, the file loaded');
  expect(result.errors.map((e) => [e.line, e.path])).toEqual(expected.map(([text, path]) => [lineOf(yaml, text), path]));
  result.errors.forEach((error, i) => expect(error.message).toMatch(expected[i]?.[2] ?? /never/));
}

const bothRoles = (agent: string) => `policy:\n  roles:\n    agent:\n${agent}\n    dba: { allow: all }\n`;

describe('policy defaults', () => {
  it('fills in every default', () => {
    expect(policyOf(bothRoles('      allow: [select]'))).toEqual({
      mode: 'enforce',
      unparsable: 'refuse',
      roles: {
        agent: {
          role: 'agent',
          mode: 'enforce',
          allow: ['select'],
          block: { flags: [], functions: [] },
          tables: { deny: [] },
          unbounded: 'refuse',
          protected: [],
          approvals: [],
          observe: [],
        },
        dba: expect.objectContaining({ allow: statementKinds }),
      },
    });
  });

  it('defaults an approval to reject mode, one approver, 15m and 60s', () => {
    const policy = policyOf(bothRoles('      allow: [select]\n      approvals:\n        - { name: big, when: { limitAbove: 10 }, approvers: [dba] }'));
    expect(policy.roles.agent?.approvals).toEqual([
      { name: 'big', role: 'agent', when: { limitAbove: 10 }, mode: 'reject', approvers: ['dba'], approvalsNeeded: 1, ttlMs: 900000, waitTimeoutMs: 60000 },
    ]);
  });
});

describe('policy is optional, but loudly', () => {
  it('warns at the top of a file without a policy section', () => {
    const result = loadRules(minimalWithoutPolicy);
    expect(result.ok && result.config.policy).toBeUndefined();
    expect(issues(result, 'warnings')).toEqual([expect.stringMatching(/^1:1 : NO STATEMENT POLICY: .*every role may run every statement/)]);
  });

  it('warns about roles without an entry, which may run nothing', () => {
    const yaml = rulesWithPolicy('policy:\n  roles:\n    agent: { allow: [select] }\n');
    expect(issues(loadRules(yaml), 'warnings')).toEqual([`${lineOf(yaml, '  roles:')}:3 policy.roles: role "dba" has no policy: every statement it sends is refused`]);
    const empty = rulesWithPolicy('policy: {}\n');
    expect(issues(loadRules(empty), 'warnings')).toEqual([`${lineOf(empty, 'policy:')}:1 policy: roles "agent", "dba" have no policy: every statement they send is refused`]);
  });

  it('warns that unparsable: allow belongs with observe mode', () => {
    const yaml = `${minimal.replace('policy:', 'policy:\n  unparsable: allow')}`;
    expect(issues(loadRules(yaml), 'warnings')).toEqual([expect.stringMatching(/policy\.unparsable: unparsable: allow lets statements .* with mode: observe only/)]);
    expect(issues(loadRules(yaml.replace('policy:', 'policy:\n  mode: observe')), 'warnings')).toEqual([]);
  });
});

describe('policy errors', () => {
  it('names unknown kinds, flags and keys with the allowed values', () => {
    expectErrors(bothRoles('      allow: [select, selct]\n      block: { flags: [copy-programme] }\n      maxRow: 5'), [
      ['selct', 'policy.roles.agent.allow[1]', /^must be one of: select, explain, transaction, session, notify, insert/],
      ['copy-programme', 'policy.roles.agent.block.flags[0]', /^must be one of: update-without-where, /],
      ['maxRow:', 'policy.roles.agent.maxRow', /unknown key "maxRow" \(did you mean "maxRows"\?\)/],
    ]);
    expectErrors(bothRoles('      allow: everything'), [['allow: everything', 'policy.roles.agent.allow', /^must be "all" or a list of statement kinds \(select, /]]);
  });

  it('requires allow, and names roles that do not exist (at the key)', () => {
    expectErrors('policy:\n  roles:\n    agent: { maxRows: 5 }\n    dba: { allow: all }\n    agnt: { allow: all }\n', [
      ['agent: { maxRows', 'policy.roles.agent.allow', /missing required key "allow"/],
      ['agnt:', 'policy.roles.agnt', /^no role named "agnt" \(roles: "agent", "dba"\)$/],
    ]);
  });

  it('checks globs and the schema.table form', () => {
    expectErrors(bothRoles('      allow: [select]\n      block: { functions: ["pg_[read"] }\n      tables: { allow: [patients], deny: ["clinic.[z-a]*"] }\n      protected: [".x"]'), [
      ['pg_[read', 'policy.roles.agent.block.functions[0]', /"pg_\[read": "\[" at position 4 is not closed/],
      ['patients', 'policy.roles.agent.tables.allow[0]', /"patients" is not schema.table: write e.g. "clinic.patients", or "\*.patients" for any schema/],
      ['patients', 'policy.roles.agent.tables.deny[0]', /character range runs backwards/],
      ['.x', 'policy.roles.agent.protected[0]', /is not schema.table/],
    ]);
  });

  it('checks approvals: durations, approvers, conditions, names', () => {
    const approvals = (...items: string[]) => bothRoles(`      allow: [select]\n      approvals:\n${items.map((i) => `        - ${i}`).join('\n')}`);
    expectErrors(approvals('{ name: a, when: { limitAbove: 5 }, approvers: [dba], ttl: 15 minutes, waitTimeout: "90" }'), [
      ['{ name: a,', 'policy.roles.agent.approvals[0].ttl', /"15 minutes" is not a duration: write a number and a unit/],
      ['{ name: a,', 'policy.roles.agent.approvals[0].waitTimeout', /"90" is not a duration.*\(add a unit: 90s, 90m, \.\.\.\)/],
    ]);
    expectErrors(approvals('{ name: a, when: {}, approvers: [] }', '{ name: a, when: { kinds: [drop] }, approvers: [dba] }', '{ name: tables, when: { flags: [dynamic-sql] }, approvers: [dba], mode: wait, waitTimeout: 2d }'), [
      ['name: a, when: {}', 'policy.roles.agent.approvals[0].when', /when needs a condition/],
      ['name: a, when: {}', 'policy.roles.agent.approvals[0].approvers', /must have at least 1 item/],
      ['kinds: [drop]', 'policy.roles.agent.approvals[1].name', /duplicate approval name "a" \(also approvals\[0\]\)/],
      ['kinds: [drop]', 'policy.roles.agent.approvals[1].when.kinds[0]', /must be one of/],
      ['name: tables', 'policy.roles.agent.approvals[2].name', /"tables" names a rule \(see observe\)/],
      ['name: tables', 'policy.roles.agent.approvals[2].waitTimeout', /at most 24h/],
    ]);
  });

  it('checks that unbounded: approve has an approval to ask for', () => {
    expectErrors(bothRoles('      allow: [select]\n      protected: [clinic.patients]\n      unbounded: approve'), [
      ['unbounded: approve', 'policy.roles.agent.unbounded', /needs an approval with `when: \{ unbounded: true \}`/],
    ]);
    const ok = policyOf(bothRoles('      allow: [select]\n      protected: [clinic.patients]\n      unbounded: approve\n      approvals:\n        - { name: unbounded-read, when: { unbounded: true }, approvers: [dba] }'));
    expect(ok.roles.agent?.approvals[0]?.when).toEqual({ unbounded: true });
  });

  it('checks that observe names rules the role has', () => {
    expectErrors(bothRoles('      allow: [select]\n      block: { flags: [copy-program] }\n      observe: [copy-program, update-without-where, maxRows]'), [
      ['observe:', 'policy.roles.agent.observe[1]', /"update-without-where" names no rule of role agent \(its rules: allow, copy-program\)/],
      ['observe:', 'policy.roles.agent.observe[2]', /"maxRows" names no rule/],
    ]);
  });

  it('rejects bad modes and a policy that is not a map', () => {
    expectErrors('policy:\n  mode: audit\n  roles: {}\n', [['mode: audit', 'policy.mode', /must be one of: enforce, observe/]]);
    expectErrors('policy: [agent]\n', [['policy:', 'policy', /must be a map/]]);
  });
});

describe('policy warnings', () => {
  it('warns about rules with no effect', () => {
    const yaml = rulesWithPolicy(bothRoles('      mode: observe\n      allow: [select]\n      unbounded: allow\n      observe: [allow]\n      approvals:\n        - { name: a, when: { limitAbove: 1 }, approvers: [dba], waitTimeout: 5s }'));
    expect(issues(loadRules(yaml), 'warnings')).toEqual([
      `${lineOf(yaml, 'unbounded: allow')}:18 policy.roles.agent.unbounded: unbounded has no effect: protected lists no tables`,
      `${lineOf(yaml, 'observe: [allow]')}:16 policy.roles.agent.observe: role agent is in observe mode already: every rule is observed`,
      expect.stringMatching(/policy\.roles\.agent\.approvals\[0\]\.waitTimeout: waitTimeout applies only to mode: wait/),
    ]);
  });
});
