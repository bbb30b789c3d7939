// roles[].upstreamLogin.superuser: which roles are restricted, and the default each one gets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorAt, expectOk, minimal, minimalWithoutPolicy, parseIn, publicJwks, tempDir, type TempDir } from './helpers.js';

let tmp: TempDir;
beforeAll(() => {
  tmp = tempDir();
  tmp.file('jwks.json', publicJwks);
});
afterAll(() => tmp.remove());

const withRoles = (roles: string, rest = '') => minimalWithoutPolicy.replace(/roles:\n(?: {2}.*\n)+/, `roles:\n${roles}`) + rest;
const twoRoles = `  - name: agent
    groups: [agents]
  - name: dba
    groups: [dba]
`;
const policy = `policy:
  roles:
    agent: { allow: [select] }
    dba: { allow: all }
`;
const masking = `masking:
  rules:
    - { name: ssn, columns: [clinic.patients.ssn], except: [dba], strategy: redact }
`;

describe('roles[].upstreamLogin', () => {
  it('refuses superuser logins of a role limited by policy, and does not check an allow-all role', () => {
    const config = expectOk(parseIn(tmp.dir, withRoles(twoRoles, policy)));
    expect(config.roles.map((r) => [r.name, r.upstreamLogin?.superuser, r.upstreamLogin?.restricted])).toEqual([
      ['agent', 'refuse', true],
      ['dba', 'allow', false],
    ]);
  });

  it('counts a role a masking rule applies to as restricted, even with allow: all', () => {
    const config = expectOk(parseIn(tmp.dir, withRoles(twoRoles, policy.replace('agent: { allow: [select] }', 'agent: { allow: all }') + masking)));
    expect(config.roles.map((r) => r.upstreamLogin?.superuser)).toEqual(['refuse', 'allow']);
  });

  it('with neither policy nor masking, checks no role unless the file says so', () => {
    const config = expectOk(parseIn(tmp.dir, withRoles(`${twoRoles}    upstreamLogin: { superuser: warn }\n`)));
    expect(config.roles.map((r) => r.upstreamLogin)).toEqual([
      { superuser: 'allow', restricted: false, configured: false },
      { superuser: 'warn', restricted: false, configured: true },
    ]);
  });

  it('takes warn from the file for a restricted role, and rejects other values', () => {
    const config = expectOk(parseIn(tmp.dir, minimal.replace('    groups: [agents]\n', '    groups: [agents]\n    upstreamLogin:\n      superuser: warn\n')));
    expect(config.roles[0]!.upstreamLogin).toEqual({ superuser: 'warn', restricted: true, configured: true });
    const bad = parseIn(tmp.dir, minimal.replace('    groups: [agents]\n', '    groups: [agents]\n    upstreamLogin:\n      superuser: ignore\n'));
    expect(errorAt(bad, 'roles[0].upstreamLogin.superuser').message).toMatch(/refuse.*warn/);
  });
});
