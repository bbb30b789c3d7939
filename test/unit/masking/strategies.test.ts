// Every strategy as a pure function over one value.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { digestHex, hmacSha256 } from '../../../src/masking/keyed-hash.js';
import { builtinDetectors } from '../../../src/masking/detectors.js';
import { ContentScanner } from '../../../src/masking/scanner.js';
import { buildMaskFn, emailMask, formatMask, hashMask, partialMask } from '../../../src/masking/strategies.js';
import type { MaskingStrategy } from '../../../src/policy/config/types.js';

const key = Buffer.from('0123456789abcdef0123456789abcdef');
const otherKey = Buffer.from('fedcba9876543210fedcba9876543210');

describe('redact and null', () => {
  it('write the fixed text, or NULL', () => {
    expect(buildMaskFn({ kind: 'redact', text: '***' }, {})('Ada Quintero')).toBe('***');
    expect(buildMaskFn({ kind: 'redact', text: '[REDACTED]' }, {})('')).toBe('[REDACTED]');
    expect(buildMaskFn({ kind: 'null' }, {})('900-11-0001')).toBeNull();
  });
});

describe('partial', () => {
  it('keeps the last N characters and punctuation', () => {
    expect(partialMask(0, 4, '*')('900-11-0001')).toBe('***-**-0001');
    expect(partialMask(0, 4, '#')('+1-555-010-0001')).toBe('+#-###-###-0001');
  });
  it('keeps the first N', () => {
    expect(partialMask(1, 0, '*')('Quintero')).toBe('Q*******');
    expect(partialMask(2, 2, 'x')('MRN-000001')).toBe('MRx-xxxx01');
  });
  it('masks a value too short to hide anything whole', () => {
    expect(partialMask(0, 4, '*')('1234')).toBe('****');
    expect(partialMask(2, 2, '*')('abcde')).toBe('*****');
    expect(partialMask(0, 4, '*')('')).toBe('');
  });
  it('counts characters, not UTF-16 units', () => {
    expect(partialMask(1, 0, '*')('Łukasz 😀')).toBe('Ł***** *');
  });
});

describe('email', () => {
  it('keeps the domain, or not', () => {
    expect(emailMask(true, '*')('ada.quintero@example.org')).toBe('***@example.org');
    expect(emailMask(false, '*')('ada.quintero@example.org')).toBe('***@***');
  });
  it('masks a non-address whole', () => {
    expect(emailMask(true, '*')('not an address')).toBe('***@***');
    expect(emailMask(true, '*')('trailing@')).toBe('***@***');
  });
});

describe('hash', () => {
  const hash = hashMask(key, 'h_', 16);
  it('is a deterministic keyed token with a prefix', () => {
    const token = hash('MRN-000001');
    expect(token).toMatch(/^h_[0-9a-f]{16}$/);
    expect(hash('MRN-000001')).toBe(token);
    expect(hash('MRN-000002')).not.toBe(token);
    expect(hashMask(otherKey, 'h_', 16)('MRN-000001')).not.toBe(token);
  });
  it('truncates to the configured length', () => {
    expect(hashMask(key, 'id_', 32)('x')).toMatch(/^id_[0-9a-f]{32}$/);
  });
  it('is HMAC-SHA256 (RFC 2104) byte for byte, for any key and value length', () => {
    const values = ['', 'MRN-000001', 'é€😀', 'x'.repeat(55), 'y'.repeat(56), 'z'.repeat(64), 'w'.repeat(119), 'v'.repeat(1000), 'ü'.repeat(300)];
    for (const k of [key, Buffer.alloc(64, 7), Buffer.alloc(100, 9), Buffer.from('k')]) {
      const hmac = hmacSha256(k);
      for (const value of values) expect(digestHex(hmac(value), 64)).toBe(createHmac('sha256', k).update(value, 'utf8').digest('hex'));
    }
    expect(hashMask(key, '', 64)('MRN-000001')).toBe(createHmac('sha256', key).update('MRN-000001').digest('hex'));
  });
  it('needs a key', () => {
    expect(() => buildMaskFn({ kind: 'hash', prefix: 'h_', length: 16 }, {})).toThrow(/key/);
  });
});

describe('format', () => {
  const format = formatMask(key);
  it('keeps the shape: digits stay digits, letters letters of the same case, the rest kept', () => {
    const out = format('MRN-000001 Ab+1 (555) 010-0001') as string;
    expect(out).toMatch(/^[A-Z]{3}-\d{6} [A-Z][a-z]\+\d \(\d{3}\) \d{3}-\d{4}$/);
    expect(out).not.toBe('MRN-000001 Ab+1 (555) 010-0001');
  });
  it('maps equal inputs to equal outputs, and depends on the key', () => {
    expect(format('+1-555-010-0001')).toBe(format('+1-555-010-0001'));
    expect(format('+1-555-010-0001')).not.toBe(format('+1-555-010-0002'));
    expect(formatMask(otherKey)('+1-555-010-0001')).not.toBe(format('+1-555-010-0001'));
  });
  it('handles values longer than one HMAC block', () => {
    const long = '1234567890'.repeat(10);
    expect(format(long)).toMatch(/^\d{100}$/);
  });
});

describe('generalize', () => {
  const gen = (to: 'year' | 'month' | 'zip3' | 'band', type: Parameters<typeof buildMaskFn>[2], extra: Partial<MaskingStrategy> = {}) =>
    buildMaskFn({ kind: 'generalize', to, width: 10, ...extra } as MaskingStrategy, {}, type);

  it('dates to year or month, in the shape of the column type', () => {
    expect(gen('year', 'text')('1961-03-14')).toBe('1961');
    expect(gen('month', 'text')('1961-03-14')).toBe('1961-03');
    expect(gen('year', 'date')('1961-03-14')).toBe('1961-01-01');
    expect(gen('month', 'date')('1961-03-14')).toBe('1961-03-01');
    expect(gen('year', 'timestamp')('2026-01-05 09:00:00+00')).toBe('2026-01-01 00:00:00+00');
    expect(gen('month', 'timestamp')('2026-02-10 14:30:00')).toBe('2026-02-01 00:00:00');
    expect(gen('year', 'text')('03/14/1961')).toBe('1961');
    expect(gen('month', 'text')('3/14/1961')).toBe('1961-03');
  });
  it('ZIP codes to three digits', () => {
    expect(gen('zip3', 'text')('02139')).toBe('021');
    expect(gen('zip3', 'text')('02139-4307')).toBe('021');
  });
  it('numbers to bands, with a top band', () => {
    expect(gen('band', 'text')('37')).toBe('30-39');
    expect(gen('band', 'integer')('37')).toBe('30');
    expect(gen('band', 'text', { max: 90 })('93')).toBe('90+');
    expect(gen('band', 'integer', { max: 90 })('93')).toBe('90');
    expect(gen('band', 'text', { width: 5 })('12.5')).toBe('10-14');
  });
  it('turns what it does not recognise into NULL, never the raw value', () => {
    expect(gen('year', 'text')('yesterday')).toBeNull();
    expect(gen('zip3', 'text')('SW1A 1AA')).toBeNull();
    expect(gen('band', 'text')('thirty')).toBeNull();
  });
});

describe('detect', () => {
  it('masks only what detectors find', () => {
    const scanner = new ContentScanner(builtinDetectors(['ssn', 'phone']));
    const detect = buildMaskFn({ kind: 'detect' }, { scanner });
    expect(detect('SSN on file 900-11-0002, call 555-010-0001 re A1c 7.9')).toBe('SSN on file [SSN], call [PHONE] re A1c 7.9');
  });
});
