// Observe mode: what would have been refused or held is reported, never applied. File-wide, per
// role, and per rule.
import { afterAll, describe, expect, it } from 'vitest';
import { decideStatement } from '../../../src/policy/decide.js';
import { analysis, expectAllow, expectDeny, policyOf, removeRulesDir, statement, unparsable } from './helpers.js';

afterAll(removeRulesDir);

const agentRules = `      allow: [select]
      block: { flags: [locking-read] }
      tables: { allow: ["clinic.*"] }
      maxRows: 100
      protected: [clinic.patients]
      approvals:
        - { name: bulk-export, when: { limitAbove: 50 }, approvers: [dba] }`;

const deleteAll = statement({ kind: 'delete', command: 'DELETE', writes: ['clinic.patients'] });
const lockingRead = statement({ reads: ['clinic.clinics'], flags: ['locking-read'], limit: 10 });

describe('file-wide observe mode', () => {
  const policy = policyOf(`policy:\n  mode: observe\n  roles:\n    agent:\n${agentRules}\n    dba:\n      mode: enforce\n      allow: [select]\n`);

  it('allows what enforce would refuse, reporting each rule with its statement', () => {
    const decision = expectAllow(decideStatement(policy, 'agent', analysis(lockingRead, deleteAll)));
    expect(decision.maxRows).toBeUndefined();
    expect(decision.observedMaxRows).toBe(100);
    expect(decision.observed).toEqual([
      {
        rule: 'block.flags.locking-read',
        action: 'deny',
        statement: 0,
        sqlState: '42501',
        message: 'sqlveil: SELECT ... FOR UPDATE/SHARE (row locks) is blocked for role agent (rule: policy.roles.agent.block.flags.locking-read)',
        hint: 'drop the FOR UPDATE/FOR SHARE clause',
      },
      expect.objectContaining({ rule: 'allow', action: 'deny', statement: 1, message: expect.stringMatching(/^sqlveil: DELETE is not allowed/) }),
    ]);
  });

  it('reports approvals it would have asked for, and unbounded reads', () => {
    const held = expectAllow(decideStatement(policy, 'agent', analysis(statement({ reads: ['clinic.patients'], limit: 80 }))));
    expect(held.observed).toEqual([expect.objectContaining({ rule: 'approvals.bulk-export', action: 'approve', statement: 0 })]);
    expect(held.observed[0]).not.toHaveProperty('sqlState');
    const unbounded = expectAllow(decideStatement(policy, 'agent', analysis(statement({ reads: ['clinic.patients'] }))));
    expect(unbounded.observed.map((o) => o.rule)).toEqual(['unbounded']);
  });

  it('still enforces a role whose own mode is enforce', () => {
    expectDeny(decideStatement(policy, 'dba', analysis(deleteAll)));
  });

  it('observes the refusals outside role rules too', () => {
    const missing = expectAllow(decideStatement(policy, 'auditor', analysis(deleteAll)));
    expect(missing.observed).toEqual([expect.objectContaining({ rule: 'no-role-policy', action: 'deny' })]);
    const garbled = expectAllow(decideStatement(policy, 'agent', unparsable()));
    expect(garbled).toMatchObject({ observedMaxRows: 100, observed: [{ rule: 'unparsable', sqlState: '42601' }] });
  });
});

describe('per-role observe mode', () => {
  const policy = policyOf(`policy:\n  roles:\n    agent:\n      mode: observe\n${agentRules}\n    dba:\n      allow: [select]\n`);

  it('observes that role only', () => {
    expect(expectAllow(decideStatement(policy, 'agent', analysis(deleteAll))).observed).toHaveLength(1);
    expectDeny(decideStatement(policy, 'dba', analysis(deleteAll)));
    // The unparsable rule follows the role's mode.
    expectAllow(decideStatement(policy, 'agent', unparsable()));
    expectDeny(decideStatement(policy, 'dba', unparsable()));
  });
});

describe('per-rule observe', () => {
  const withObserve = (observe: string) =>
    policyOf(`policy:\n  roles:\n    agent:\n${agentRules}\n      observe: [${observe}]\n    dba:\n      allow: [select]\n`);

  it('observes a block flag, by short name or rule id, and enforces the rest', () => {
    for (const name of ['locking-read', 'block.flags.locking-read']) {
      const policy = withObserve(name);
      const decision = expectAllow(decideStatement(policy, 'agent', analysis(lockingRead)));
      expect(decision).toMatchObject({ maxRows: 100, observed: [{ rule: 'block.flags.locking-read' }] });
      expect(expectDeny(decideStatement(policy, 'agent', analysis(lockingRead, deleteAll))).rule).toBe('allow');
    }
  });

  it('observes table rules', () => {
    const decision = expectAllow(decideStatement(withObserve('tables'), 'agent', analysis(statement({ reads: ['public.t'] }))));
    expect(decision.observed).toEqual([expect.objectContaining({ rule: 'tables.allow', action: 'deny' })]);
  });

  it('observes an approval, which then lets the statement run', () => {
    for (const name of ['bulk-export', 'approvals.bulk-export']) {
      const decision = expectAllow(decideStatement(withObserve(name), 'agent', analysis(statement({ reads: ['clinic.patients'], limit: 80 }))));
      expect(decision.observed).toEqual([expect.objectContaining({ rule: 'approvals.bulk-export', action: 'approve' })]);
    }
  });

  it('observes maxRows: the limit is reported, not enforced', () => {
    const decision = expectAllow(decideStatement(withObserve('maxRows'), 'agent', analysis(statement({ reads: ['clinic.clinics'] }))));
    expect(decision).toEqual({ action: 'allow', observedMaxRows: 100, observed: [] });
  });

  it('observes unbounded reads and the allow list', () => {
    expect(expectAllow(decideStatement(withObserve('unbounded'), 'agent', analysis(statement({ reads: ['clinic.patients'] })))).observed).toHaveLength(1);
    expect(expectAllow(decideStatement(withObserve('allow'), 'agent', analysis(deleteAll))).observed[0]?.rule).toBe('allow');
  });
});
