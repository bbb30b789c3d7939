// The `masking` section of a rules file: defaults, and every mistake reported at its YAML path.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorAt, expectOk, lineOf, minimal, parseIn, publicJwks, tempDir, type TempDir } from '../config/helpers.js';

let tmp: TempDir;
beforeAll(() => {
  tmp = tempDir();
  tmp.file('jwks.json', publicJwks);
  tmp.file('masking.key', 'k'.repeat(32) + '\n');
  tmp.file('short.key', 'short\n');
});
afterAll(() => tmp.remove());

const key = { KEY: '0123456789abcdef0123456789abcdef' };
const withRoles = minimal.replace('roles:\n  - name: agent\n    groups: [agents]\n', 'roles:\n  - name: agent\n    groups: [agents]\n  - name: dba\n    groups: [dba]\n');
const withMasking = (section: string) => `${withRoles}  roles_placeholder: {}\n`.replace('  roles_placeholder: {}\n', '') + `masking:\n${section}`;
const load = (section: string, env: Record<string, string> = key) => parseIn(tmp.dir, withMasking(section), env);

describe('masking config', () => {
  it('applies defaults', () => {
    const config = expectOk(load('  rules:\n    - { name: ssn, columns: [clinic.patients.ssn], strategy: partial }\n'));
    expect(config.masking).toEqual({
      onUnknownLineage: 'refuse',
      detectors: { builtin: ['ssn', 'email', 'phone', 'date', 'credit-card', 'ipv4', 'ipv6', 'url'], patterns: [], dictionaries: [] },
      rules: [{ name: 'ssn', columns: ['clinic.patients.ssn'], except: [], strategy: { kind: 'partial', keepFirst: 0, keepLast: 4, maskChar: '*' }, filter: 'deny' }],
    });
  });

  it('treats `masking: {}` as no masking section', () => {
    expect(expectOk(parseIn(tmp.dir, `${withRoles}masking: {}\n`)).masking).toBeUndefined();
  });

  it('builds every strategy with its options', () => {
    const config = expectOk(
      load(`  hashKey: { value: "\${KEY}" }
  rules:
    - { name: a, columns: [s.t.a], strategy: redact, text: "[X]" }
    - { name: b, columns: [s.t.b], strategy: "null", roles: [agent], except: [dba] }
    - { name: c, columns: [s.t.c], strategy: email, keepDomain: false }
    - { name: d, columns: [s.t.d], strategy: hash, prefix: "p_", length: 32 }
    - { name: e, columns: [s.t.e], strategy: generalize, to: band, width: 5, max: 90 }
    - { name: f, columns: [s.t.f], strategy: format }
    - { name: g, columns: ["*.t.g*"], strategy: detect }
`),
    );
    expect(config.masking?.rules.map((r) => r.strategy)).toEqual([
      { kind: 'redact', text: '[X]' },
      { kind: 'null' },
      { kind: 'email', keepDomain: false, maskChar: '*' },
      { kind: 'hash', prefix: 'p_', length: 32 },
      { kind: 'generalize', to: 'band', width: 5, max: 90 },
      { kind: 'format' },
      { kind: 'detect' },
    ]);
    expect(config.masking?.rules[1]).toMatchObject({ roles: ['agent'], except: ['dba'] });
    expect(config.masking?.hashKey).toEqual({ source: 'value', key: Buffer.from(key.KEY) });
  });

  it('reports an unknown strategy at its path and line', () => {
    const section = '  rules:\n    - name: a\n      columns: [s.t.c]\n      strategy: scramble\n';
    const error = errorAt(load(section), 'masking.rules[0].strategy');
    expect(error.message).toMatch(/must be one of: redact, null, partial, email, hash, generalize, format, detect/);
    expect(error.line).toBe(lineOf(withMasking(section), 'strategy: scramble'));
  });

  it('reports a bad detector regex with the reason', () => {
    const section = '  detectors:\n    patterns:\n      - { name: mrn, regex: "MRN-(\\\\d{6}" }\n';
    const error = errorAt(load(section), 'masking.detectors.patterns[0].regex');
    expect(error.message).toMatch(/^not a valid regular expression \(JavaScript syntax, u flag\): .*MRN-\(/);
    expect(error.line).toBe(lineOf(withMasking(section), 'regex:'));
  });

  it('refuses regexes that match nothing visible or use back references', () => {
    expect(errorAt(load('  detectors:\n    patterns:\n      - { name: x, regex: "a*" }\n'), 'masking.detectors.patterns[0].regex').message).toMatch(/matches the empty string/);
    expect(errorAt(load('  detectors:\n    patterns:\n      - { name: x, regex: "(a)\\\\1" }\n'), 'masking.detectors.patterns[0].regex').message).toMatch(/back references/);
  });

  it('reports column globs that are not schema.table.column', () => {
    const result = load('  rules:\n    - { name: a, columns: [patients.ssn, "s.t.[c"], strategy: "null" }\n');
    expect(errorAt(result, 'masking.rules[0].columns[0]').message).toMatch(/is not schema\.table\.column: write e\.g\. "clinic\.patients\.ssn"/);
    expect(errorAt(result, 'masking.rules[0].columns[1]').message).toMatch(/is not closed/);
  });

  it('reports unknown roles and options that do not fit the strategy', () => {
    const result = load('  rules:\n    - { name: a, columns: [s.t.c], strategy: redact, except: [dbas], keepLast: 2 }\n');
    expect(errorAt(result, 'masking.rules[0].except[0]').message).toBe('no role named "dbas" (roles: "agent", "dba")');
    expect(errorAt(result, 'masking.rules[0].keepLast').message).toBe('keepLast is not an option of strategy redact (it belongs to partial)');
  });

  it('reports duplicate rule and detector names', () => {
    const result = load(`  detectors:
    patterns:
      - { name: ssn, regex: "x" }
  rules:
    - { name: a, columns: [s.t.c], strategy: "null" }
    - { name: a, columns: [s.t.d], strategy: "null" }
`);
    expect(errorAt(result, 'masking.rules[1].name').message).toMatch(/duplicate masking rule name "a"/);
    expect(errorAt(result, 'masking.detectors.patterns[0].name').message).toMatch(/detector name "ssn" is already used/);
  });

  it('needs generalize `to`', () => {
    expect(errorAt(load('  rules:\n    - { name: a, columns: [s.t.c], strategy: generalize }\n'), 'masking.rules[0]').message).toMatch(/generalize needs `to`/);
  });

  describe('hash key', () => {
    const hashRule = '  rules:\n    - { name: a, columns: [s.t.c], strategy: hash }\n';
    it('is required by hash and format', () => {
      expect(errorAt(load(hashRule), 'masking.rules[0].strategy').message).toMatch(/hash needs a key/);
    });
    it('must come from the environment, never a literal, and never appears in messages', () => {
      const result = load(`  hashKey: { value: "literal-key-literal-key-123456" }\n${hashRule}`);
      const error = errorAt(result, 'masking.hashKey.value');
      expect(error.message).toMatch(/take it from the environment/);
      expect(JSON.stringify(result)).not.toContain('literal-key-literal-key-123456');
    });
    it('may come from a file, and must be long enough', () => {
      expect(expectOk(load(`  hashKey: { file: ./masking.key }\n${hashRule}`)).masking?.hashKey).toEqual({ source: 'file', key: Buffer.from('k'.repeat(32)) });
      expect(errorAt(load(`  hashKey: { file: ./short.key }\n${hashRule}`), 'masking.hashKey.file').message).toMatch(/the key is 5 bytes: use at least 16/);
      expect(errorAt(load(`  hashKey: { value: "\${SHORT}" }\n${hashRule}`, { SHORT: 'abc' }), 'masking.hashKey.value').message).toMatch(/3 bytes/);
      expect(errorAt(load(`  hashKey: { file: ./none.key }\n${hashRule}`), 'masking.hashKey.file').message).toMatch(/does not exist/);
    });
    it('falls back to an ephemeral key only when asked to', () => {
      const section = `  hashKey: { value: "\${UNSET:-}", whenUnset: ephemeral }\n${hashRule}`;
      expect(expectOk(load(section, {})).masking?.hashKey).toEqual({ source: 'ephemeral' });
      expect(errorAt(load(`  hashKey: { value: "\${UNSET:-}" }\n${hashRule}`, {}), 'masking.hashKey').message).toMatch(/no key/);
    });
  });

  it('checks dictionary refresh settings', () => {
    const result = load('  detectors:\n    dictionaries:\n      - { name: names, refresh: { query: "SELECT 1", upstream: nope, every: 10 } }\n');
    expect(errorAt(result, 'masking.detectors.dictionaries[0].refresh.every').message).toMatch(/not a duration/);
    expect(errorAt(result, 'masking.detectors.dictionaries[0].refresh.upstream').message).toMatch(/no upstream named "nope"/);
  });

  it('rejects replacements that would break JSON values', () => {
    const result = load('  detectors:\n    patterns:\n      - { name: x, regex: "x", replacement: "a\\"b" }\n');
    expect(errorAt(result, 'masking.detectors.patterns[0].replacement').message).toMatch(/must not contain " or \\/);
  });

  it('warns about onUnknownLineage: allow', () => {
    const result = load('  onUnknownLineage: allow\n');
    expect(result.ok && result.warnings.filter((w) => w.path.startsWith('masking')).map((w) => w.message)).toEqual([
      'onUnknownLineage: allow lets derived columns the gateway cannot trace leave unmasked',
    ]);
  });
});
