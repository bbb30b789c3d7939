// Each built-in detector: what it must find, and near misses it must leave alone.
import { describe, expect, it } from 'vitest';
import { builtinDetectors, luhn } from '../../../src/masking/detectors.js';
import { ContentScanner } from '../../../src/masking/scanner.js';
import type { BuiltinDetectorName } from '../../../src/policy/config/types.js';

const only = (name: BuiltinDetectorName) => new ContentScanner(builtinDetectors([name]));
const all = new ContentScanner(builtinDetectors(['ssn', 'email', 'phone', 'date', 'credit-card', 'ipv4', 'ipv6', 'url']));

/** The substrings the scanner finds in `text`. */
function found(scanner: ContentScanner, text: string): string[] {
  return scanner.find(text).map((span) => text.slice(span.start, span.end));
}

const cases: Record<BuiltinDetectorName, { matches: string[]; nearMisses: string[] }> = {
  ssn: {
    matches: ['900-11-0001', '123-45-6789', '123 45 6789', '123456789', '078-05-1120', '999-99-9999'],
    nearMisses: [
      '000-12-3456', // area 000
      '666-12-3456', // area 666
      '123-00-4567', // group 00
      '123-45-0000', // serial 0000
      '1234-56-789',
      '123-45-67890',
      '12-345-6789',
      '1123-45-6789',
      '123-45-6789-1',
      '12345678',
      '1234567890',
    ],
  },
  email: {
    matches: ['ada.quintero@example.org', 'a+tag@mail.example.co.uk', 'X_Y%z@sub-domain.example.com'],
    nearMisses: ['user@localhost', '@handle', 'a@b', 'foo@bar.', 'name @ example.org', 'foo@-bad.com', 'x@example.c'],
  },
  phone: {
    matches: ['+1-555-010-0001', '555-010-0001', '(555) 010-0001', '555.010.0001', '555 010 0001', '1-555-010-0001', '+15550100001', '+44 20 7946 0958', '+1 (555) 010-0001'],
    nearMisses: ['150/95', '2026-01-05', '7.9', '10.15.7', 'J45.909', '555-0100', '5550100001', '+100', '+1 2 3', '900-11-0001', '12:30:45', '2555-010-0001', 'x555-010-0001'],
  },
  date: {
    matches: ['1961-03-14', '03/14/1961', '3/4/2001', '11-02-1978', 'March 14, 1961', 'Mar 14 1961', 'Sept 9th, 2020', '2024-02-29'],
    nearMisses: ['2026-13-01', '02/30/1990', '2023-02-29', '1961', '14/14/2000', '1700-01-01', 'Marching 14, 1961', '12/2020', '1961-03-14-7', 'BP 150/95.'],
  },
  'credit-card': {
    matches: ['4111111111111111', '4111 1111 1111 1111', '4111-1111-1111-1111', '378282246310005', '6011000990139424'],
    nearMisses: ['4111111111111112', '411111111111', '4111 1111-1111 1111', '41111111111111111111', '1234 5678 9012 3456'],
  },
  ipv4: {
    matches: ['10.0.0.1', '192.168.1.254', '255.255.255.255', '8.8.8.8'],
    nearMisses: ['256.1.1.1', '1.2.3', '1.2.3.4.5', 'E11.9', '01.02.03.04', '10.0.0.01', 'v1.2.3.4x'],
  },
  ipv6: {
    matches: ['2001:db8::1', '::1', 'fe80::1ff:fe23:4567:890a', '2001:0db8:0000:0000:0000:ff00:0042:8329', '::ffff:192.0.2.1'],
    nearMisses: ['14:30:00', '09:00', '::', 'std::vector', 'a:b:c', '1:2:3:4:5:6:7:8:9', 'fe80:::1'],
  },
  url: {
    matches: ['https://portal.example.org/patients/17?x=1', 'http://example.org', 'www.example.org/a', 'FTP://files.example.org/x'],
    nearMisses: ['http:/x', 'https//example.org', 'mailto:a', 'www', 'example.org'],
  },
};

describe.each(Object.entries(cases))('%s detector', (name, { matches, nearMisses }) => {
  const scanner = only(name as BuiltinDetectorName);
  it.each(matches)('finds %s, alone and inside text', (value) => {
    expect(found(scanner, value)).toEqual([value]);
    expect(found(scanner, `before ${value}, after.`)).toEqual([value]);
  });
  it.each(nearMisses)('leaves near miss %s alone', (value) => {
    expect(found(scanner, value)).toEqual([]);
    expect(found(scanner, `x ${value} y`)).toEqual([]);
  });
});

describe('luhn', () => {
  it('accepts valid and rejects altered numbers', () => {
    expect(luhn('4111111111111111')).toBe(true);
    expect(luhn('79927398713')).toBe(true);
    expect(luhn('79927398710')).toBe(false);
  });
});

describe('all detectors together', () => {
  it('masks every identifier of the clinic fixture notes and summaries', () => {
    expect(all.maskText('Type 2 diabetes; call back at 555-010-0001.')).toBe('Type 2 diabetes; call back at [PHONE].');
    expect(all.maskText('Hypertension follow-up. SSN on file 900-11-0002.')).toBe('Hypertension follow-up. SSN on file [SSN].');
    expect(all.maskText('Referred by Dr. Hale, email chen.liwei@example.org')).toBe('Referred by Dr. Hale, email [EMAIL]');
    expect(all.maskText('Discussed plan; reach at +1-555-010-0003.')).toBe('Discussed plan; reach at [PHONE].');
    expect(all.maskText('A1c 7.9. BP 150/95. ICD J45.909, E11.9, seen 2026-01-05 09:00')).toBe('A1c 7.9. BP 150/95. ICD J45.909, E11.9, seen [DATE] 09:00');
  });

  it('prefers the most specific detector at one position', () => {
    expect(all.maskText('card 4111 1111 1111 1111 ok')).toBe('card [CARD] ok');
    expect(all.maskText('see https://x.example.org/u/ada@example.org now')).toBe('see [URL] now');
    expect(all.maskText('from 10.0.0.1 and 2001:db8::1')).toBe('from [IP] and [IP]');
  });

  it('keeps JSON valid: replacements inside strings hold no quote', () => {
    const json = '{"note":"call 555-010-0001","ssn":"900-11-0001","url":"https://a.example.org/x"}';
    const masked = all.maskText(json);
    expect(JSON.parse(masked)).toEqual({ note: 'call [PHONE]', ssn: '[SSN]', url: '[URL]' });
  });

  it('returns the same string when nothing is found', () => {
    const text = 'nothing to see here: 42 apples, version 1.2.3';
    expect(all.maskText(text)).toBe(text);
  });
});
