import { describe, expect, it } from 'vitest';
import { checkStartupParams, parseOptions } from '../../../src/server/pg-startup-params.js';

const gateway = new Set(['user', 'database', 'traceparent']);
const check = (params: Record<string, string>) => checkStartupParams(new Map(Object.entries(params)), gateway);

describe('checkStartupParams', () => {
  it('forwards what clients normally send, not the gateway parameters', () => {
    const r = check({ user: 'a', database: 'test', application_name: 'psql', client_encoding: 'UTF8', DateStyle: 'ISO', TimeZone: 'UTC', extra_float_digits: '3', traceparent: '00-x' });
    expect(r).toEqual({
      ok: true,
      forward: { application_name: 'psql', client_encoding: 'UTF8', DateStyle: 'ISO', TimeZone: 'UTC', extra_float_digits: '3' },
      // The setting names, for the role's settings allow list once the token is verified.
      settings: ['application_name', 'client_encoding', 'datestyle', 'timezone', 'extra_float_digits'],
    });
  });

  it('names the settings inside options too', () => {
    expect(check({ options: '-c search_path=clinic --statement-timeout=5s' })).toMatchObject({ ok: true, settings: ['search_path', 'statement_timeout'] });
  });

  it('takes the starting search_path from a parameter or from options', () => {
    expect(check({ search_path: 'clinic, public' })).toMatchObject({ ok: true, searchPath: ['clinic', 'public'] });
    expect(check({ options: '-c search_path=clinic' })).toMatchObject({ ok: true, searchPath: ['clinic'], forward: { options: '-c search_path=clinic' } });
  });

  it.each([
    [{ standard_conforming_strings: 'off' }],
    [{ options: '-c standard_conforming_strings=off' }],
    [{ options: '-c statement_timeout=5s --role=admin' }],
    [{ client_encoding: 'SJIS' }],
    [{ options: '-csession_authorization=postgres' }],
    [{ options: 'garbage' }],
    [{ lc_messages: 'C' }],
  ])('refuses %j', (params) => {
    const r = check(params);
    expect(r.ok).toBe(false);
  });
});

describe('parseOptions', () => {
  it('reads -c, -cname and --name forms with escaped spaces', () => {
    expect(parseOptions('-c a=1  -cb=2 --c-d=x\\ y')).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['c-d', 'x y'],
    ]);
  });
  it('rejects switches it does not know', () => {
    expect(parseOptions('-d 5')).toBeUndefined();
    expect(parseOptions('-c novalue')).toBeUndefined();
  });
});
