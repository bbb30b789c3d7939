// Hand-made statement analyses (the parser's contract, src/sql/analysis.ts) and policies loaded
// from YAML the way the gateway loads them.
import { expect } from 'vitest';
import type { StatementAnalysis, StatementInfo, TableRef } from '../../../src/sql/analysis.js';
import type { LoadResult } from '../../../src/policy/config/issues.js';
import type { PolicyConfig } from '../../../src/policy/config/types.js';
import type { PolicyDecision } from '../../../src/policy/decision.js';
import { minimalWithoutPolicy, parseIn, publicJwks, show, tempDir, type TempDir } from '../config/helpers.js';

/** `clinic.patients` -> { schema, name }; `patients` -> unqualified. */
export function table(name: string): TableRef {
  const dot = name.indexOf('.');
  return dot < 0 ? { name } : { schema: name.slice(0, dot), name: name.slice(dot + 1) };
}

/** A statement: a SELECT touching nothing, unless told otherwise. */
export function statement(info: Partial<Omit<StatementInfo, 'tablesRead' | 'tablesWritten'>> & { reads?: string[]; writes?: string[] } = {}): StatementInfo {
  const { reads = [], writes = [], ...rest } = info;
  const kind = rest.kind ?? 'select';
  return {
    kind,
    command: kind.toUpperCase(),
    functions: [],
    flags: [],
    ...rest,
    tablesRead: reads.map(table),
    tablesWritten: writes.map(table),
  };
}

export function analysis(...statements: StatementInfo[]): StatementAnalysis {
  return { ok: true, dialect: 'postgres', fingerprint: 'fp', statements };
}

export function unparsable(error = 'syntax error at or near "SELEC"'): StatementAnalysis {
  return { ok: false, dialect: 'postgres', fingerprint: 'fp', error };
}

/** A rules file with roles agent and dba and the given `policy:` section (YAML, from column 0). */
export function rulesWithPolicy(policyYaml: string): string {
  return `${minimalWithoutPolicy}  - name: dba\n    groups: [dba]\n${policyYaml}`;
}

let dir: TempDir | undefined;

/** Removes the directory loadRules made (call from afterAll). */
export function removeRulesDir(): void {
  dir?.remove();
  dir = undefined;
}

/** Loads a rules file text in a directory holding its JWKS file. */
export function loadRules(yaml: string): LoadResult {
  if (!dir) {
    dir = tempDir();
    dir.file('jwks.json', publicJwks);
  }
  return parseIn(dir.dir, yaml);
}

/** The policy of `policyYaml`; fails the test when the file does not load. */
export function policyOf(policyYaml: string): PolicyConfig {
  const result = loadRules(rulesWithPolicy(policyYaml));
  if (!result.ok) expect.fail(`policy does not load:\n${result.errors.map(show).join('\n')}`);
  if (!result.config.policy) expect.fail('no policy section');
  return result.config.policy;
}

export function expectDeny(decision: PolicyDecision): Extract<PolicyDecision, { action: 'deny' }> {
  if (decision.action !== 'deny') expect.fail(`expected a denial, got ${JSON.stringify(decision)}`);
  return decision;
}

export function expectAllow(decision: PolicyDecision): Extract<PolicyDecision, { action: 'allow' }> {
  if (decision.action !== 'allow') expect.fail(`expected allow, got ${JSON.stringify(decision)}`);
  return decision;
}

export function expectApprove(decision: PolicyDecision): Extract<PolicyDecision, { action: 'approve' }> {
  if (decision.action !== 'approve') expect.fail(`expected approve, got ${JSON.stringify(decision)}`);
  return decision;
}
