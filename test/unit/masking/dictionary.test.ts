// The names dictionary: whole words, any case, refreshed at run time.
import { describe, expect, it } from 'vitest';
import { builtinDetectors } from '../../../src/masking/detectors.js';
import { ContentScanner } from '../../../src/masking/scanner.js';

const names = () => new ContentScanner([], [{ name: 'patient-names', words: ['Ada Quintero', 'Chen Liwei'], minLength: 3, replacement: '[NAME]' }]);

describe('dictionary detector', () => {
  it('masks every word of every entry, whole-word, ignoring case', () => {
    const scanner = names();
    expect(scanner.maskText('Patient Ada Quintero reports fatigue.')).toBe('Patient [NAME] [NAME] reports fatigue.');
    expect(scanner.maskText('ADA called; quintero too; liwei, CHEN.')).toBe('[NAME] called; [NAME] too; [NAME], [NAME].');
  });

  it('leaves near misses: words containing a name, other names', () => {
    const scanner = names();
    for (const text of ['Adamant Quinteros', 'Canada', 'Chenoweth', 'Dr. Hale', 'adaq']) expect(scanner.maskText(text)).toBe(text);
  });

  it('masks the name inside a compound', () => {
    expect(names().maskText("Quintero-Smith and Ada's chart, O'Quintero")).toBe("[NAME]-Smith and [NAME]'s chart, O'[NAME]");
  });

  it('separates words at digits, emoji and punctuation', () => {
    expect(names().maskText('ada2 😀Ada😀 (Liwei)')).toBe('[NAME]2 😀[NAME]😀 ([NAME])');
  });

  it('ignores words below minLength', () => {
    const scanner = new ContentScanner([], [{ name: 'n', words: ['Al Bo Emeka'], minLength: 3, replacement: '[NAME]' }]);
    expect(scanner.maskText('Al and Bo met Emeka')).toBe('Al and Bo met [NAME]');
  });

  it('is replaced by setDictionary (the periodic refresh)', () => {
    const scanner = names();
    scanner.setDictionary('patient-names', ['Emeka Ndu']);
    expect(scanner.maskText('Ada saw Emeka Ndu')).toBe('Ada saw [NAME] [NAME]');
    expect(() => scanner.setDictionary('nope', [])).toThrow(/no dictionary named "nope"/);
  });

  it('handles accented and non-Latin names', () => {
    const scanner = new ContentScanner([], [{ name: 'n', words: ['José Ñúñez', 'Дмитрий'], minLength: 3, replacement: '[NAME]' }]);
    expect(scanner.maskText('josé ÑÚÑEZ and дмитрий')).toBe('[NAME] [NAME] and [NAME]');
  });

  it('gives way to a pattern detector that covers the same text', () => {
    const scanner = new ContentScanner(builtinDetectors(['email']), [{ name: 'n', words: ['Ada Quintero'], minLength: 3, replacement: '[NAME]' }]);
    expect(scanner.maskText('Ada at ada.quintero@example.org')).toBe('[NAME] at [EMAIL]');
  });
});

describe('custom pattern detectors', () => {
  it('run with the built-ins in one scan, first', () => {
    const mrn = { name: 'mrn', source: String.raw`MRN-\d{6}`, ignoreCase: false, replacement: '[MRN]' };
    const scanner = new ContentScanner([mrn, ...builtinDetectors(['ssn', 'phone'])]);
    expect(scanner.maskText('MRN-000001 / 900-11-0001 / MRN-12345 / mrn-000001')).toBe('[MRN] / [SSN] / MRN-12345 / mrn-000001');
    const ci = new ContentScanner([{ ...mrn, ignoreCase: true }]);
    expect(ci.maskText('mrn-000001')).toBe('[MRN]');
  });
});
