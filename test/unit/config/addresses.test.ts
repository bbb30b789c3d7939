import { describe, expect, it } from 'vitest';
import { isLoopbackHost, parseHostPort } from '../../../src/policy/config/addresses.js';
import { parseUpstreamUrl } from '../../../src/policy/config/upstream-url.js';

describe('parseHostPort', () => {
  it.each([
    ['127.0.0.1:6432', '127.0.0.1', 6432],
    ['[::1]:6432', '::1', 6432],
    ['0.0.0.0:1', '0.0.0.0', 1],
    ['db.internal:65535', 'db.internal', 65535],
    ['localhost:5432', 'localhost', 5432],
  ])('accepts %s', (text, host, port) => {
    expect(parseHostPort(text)).toEqual({ ok: true, host, port });
  });

  it.each([
    ['127.0.0.1', /no port/],
    ['127.0.0.1:0', /1 to 65535/],
    ['127.0.0.1:65536', /1 to 65535/],
    ['127.0.0.1:http', /1 to 65535/],
    ['::1:6432', /brackets/],
    ['[db]:6432', /not an IPv6 address/],
    ['bad_host!:6432', /not a valid host name/],
    [':6432', /not a valid host name/],
  ])('rejects %s', (text, message) => {
    const parsed = parseHostPort(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });
});

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.8.9.10', '::1', '[::1]', 'localhost', 'LOCALHOST', 'idp.localhost'])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });
  it.each(['0.0.0.0', '10.0.0.1', 'example.com', 'localhost.example.com', '::'])('%s is not', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});

describe('parseUpstreamUrl', () => {
  it('reads postgres URLs with the default port and the user as default database', () => {
    expect(parseUpstreamUrl('postgresql://app@db.internal')).toEqual({
      ok: true,
      protocol: 'postgres',
      host: 'db.internal',
      port: 5432,
      user: 'app',
      database: 'app',
      ignoredParams: [],
    });
  });

  it('reads mysql and mariadb URLs, percent-decoding the login', () => {
    expect(parseUpstreamUrl('mariadb://r%20oot:p%40ss%3Aw@[::1]:3307/my%20db')).toEqual({
      ok: true,
      protocol: 'mysql',
      host: '::1',
      port: 3307,
      user: 'r oot',
      password: 'p@ss:w',
      database: 'my db',
      ignoredParams: [],
    });
    expect(parseUpstreamUrl('mysql://root@h')).toMatchObject({ ok: true, port: 3306, database: '' });
  });

  it('takes the TLS mode from sslmode (or MySQL ssl-mode) and lists other parameters', () => {
    expect(parseUpstreamUrl('postgres://u@h/d?sslmode=verify-ca&application_name=x')).toMatchObject({
      tlsMode: 'verify-ca',
      ignoredParams: ['application_name'],
    });
    expect(parseUpstreamUrl('mysql://u@h/d?ssl-mode=VERIFY_IDENTITY')).toMatchObject({ tlsMode: 'verify-full' });
  });

  it.each([
    ['not a url', /not a valid URL/],
    ['oracle://u@h/d', /unsupported scheme "oracle:\/\/"/],
    ['postgres://h/d', /names no user/],
    ['postgres://u@h:99999/d', /not a valid URL/],
    ['postgres://u@h:0/d', /1 to 65535/],
    ['postgres://u@h/d?sslmode=allow', /sslmode "allow" is not supported/],
    ['postgres://u@h/a/b', /single database/],
    ['postgres://u:%zz@h/d', /percent-encoding/],
  ])('rejects %s', (url, message) => {
    const parsed = parseUpstreamUrl(url);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });

  it('never repeats the URL (or its password) in a message', () => {
    for (const url of ['postgres://u:hunter2@h:99999/d', 'pg://u:hunter2@h/d', 'postgres://:hunter2@h/d']) {
      const parsed = parseUpstreamUrl(url);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.message).not.toContain('hunter2');
    }
  });
});
