// Globs, table and function patterns, and durations: the small parsers the policy relies on.
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../../src/policy/config/durations.js';
import { compileGlob, globMatches } from '../../../src/policy/glob.js';
import { checkFunctionPattern, checkTablePattern, functionMayMatch, tableAllowedBy, tableMayMatch } from '../../../src/policy/name-patterns.js';
import { table } from './helpers.js';

describe('globs', () => {
  it('match *, ? and sets, and nothing else specially', () => {
    expect(globMatches('secret_*', 'secret_keys')).toBe(true);
    expect(globMatches('secret_*', 'secret')).toBe(false);
    expect(globMatches('t?', 't1')).toBe(true);
    expect(globMatches('t[0-9]', 't7')).toBe(true);
    expect(globMatches('t[!0-9]', 't7')).toBe(false);
    expect(globMatches('a.b', 'axb')).toBe(false); // `.` is literal
    expect(globMatches('a+(b)', 'a+(b)')).toBe(true);
    expect(globMatches('Patients', 'patients')).toBe(false);
    expect(globMatches('Patients', 'patients', true)).toBe(true);
  });

  it('report what does not compile', () => {
    expect(compileGlob('a[bc')).toEqual({ ok: false, message: '"[" at position 2 is not closed with "]"' });
    expect(compileGlob('[z-a]').ok).toBe(false);
    expect(compileGlob('[!]').ok).toBe(false);
    expect(globMatches('a[bc', 'ab')).toBe(false);
  });
});

describe('table patterns', () => {
  it('must be schema.table', () => {
    expect(checkTablePattern('clinic.*')).toEqual({ ok: true });
    expect(checkTablePattern('*.patients')).toEqual({ ok: true });
    expect(checkTablePattern('patients')).toMatchObject({ ok: false });
    expect(checkTablePattern('clinic.')).toMatchObject({ ok: false });
  });

  it('allow: unqualified names only under a `*` schema, case-sensitive', () => {
    expect(tableAllowedBy('clinic.*', table('clinic.patients'))).toBe(true);
    expect(tableAllowedBy('clinic.*', table('patients'))).toBe(false);
    expect(tableAllowedBy('*.patients', table('patients'))).toBe(true);
    expect(tableAllowedBy('clinic.*', table('Clinic.patients'))).toBe(false);
  });

  it('deny: unqualified names on the table part alone, case-insensitive', () => {
    expect(tableMayMatch('clinic.secret_*', table('secret_keys'))).toBe(true);
    expect(tableMayMatch('clinic.secret_*', table('public.secret_keys'))).toBe(false);
    expect(tableMayMatch('clinic.secret_*', table('CLINIC.SECRET_KEYS'))).toBe(true);
  });
});

describe('function patterns', () => {
  it('match in any schema unless qualified; qualified ones also match unqualified calls', () => {
    expect(functionMayMatch('pg_sleep', 'pg_catalog.pg_sleep')).toBe(true);
    expect(functionMayMatch('pg_catalog.pg_read_*', 'pg_read_file')).toBe(true);
    expect(functionMayMatch('pg_catalog.pg_read_*', 'other.pg_read_file')).toBe(false);
    expect(functionMayMatch('dblink*', 'DBLINK_EXEC')).toBe(true);
    expect(checkFunctionPattern('pg_catalog.')).toMatchObject({ ok: false });
    expect(checkFunctionPattern('dblink*')).toEqual({ ok: true });
  });
});

describe('durations', () => {
  it('parse units and sums', () => {
    expect(parseDuration('60s')).toEqual({ ok: true, ms: 60000 });
    expect(parseDuration('15m')).toEqual({ ok: true, ms: 900000 });
    expect(parseDuration('1h30m')).toEqual({ ok: true, ms: 5400000 });
    expect(parseDuration('250ms')).toEqual({ ok: true, ms: 250 });
    expect(parseDuration('2d')).toEqual({ ok: true, ms: 172800000 });
  });

  it('refuse the rest, saying how to write it', () => {
    expect(parseDuration('60')).toMatchObject({ ok: false, message: expect.stringMatching(/add a unit: 60s/) });
    expect(parseDuration('1.5h')).toMatchObject({ ok: false });
    expect(parseDuration('0s')).toMatchObject({ ok: false, message: expect.stringMatching(/zero/) });
    expect(parseDuration('400d')).toMatchObject({ ok: false, message: expect.stringMatching(/longer than a year/) });
  });
});
