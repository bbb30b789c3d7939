// Masking strategies: each rule's strategy is turned once into a closure over a string value, so the
// per-cell path does no configuration dispatch. A closure returns the masked text, or null for NULL.
import type { MaskingStrategy } from '../policy/config/types.js';
import { digestByte, digestHex, hmacSha256 } from './keyed-hash.js';
import type { ContentScanner } from './scanner.js';
import type { ValueType } from './value-types.js';

export type MaskFn = (value: string) => string | null;

/** What strategies need besides their options: the HMAC key and the content scanner. */
export interface StrategyDeps {
  /** Key of `hash` and `format`; required by those two. */
  key?: Buffer;
  /** Scanner of `detect`; required by it. */
  scanner?: ContentScanner;
}

/** The closure of `strategy` for a column of `type` (only `generalize` writes type-shaped output). */
export function buildMaskFn(strategy: MaskingStrategy, deps: StrategyDeps, type: ValueType = 'text'): MaskFn {
  switch (strategy.kind) {
    case 'null':
      return () => null;
    case 'redact': {
      const text = strategy.text;
      return () => text;
    }
    case 'partial':
      return partialMask(strategy.keepFirst, strategy.keepLast, strategy.maskChar);
    case 'email':
      return emailMask(strategy.keepDomain, strategy.maskChar);
    case 'hash':
      return hashMask(requireKey(deps, 'hash'), strategy.prefix, strategy.length);
    case 'generalize':
      return generalizeMask(strategy, type);
    case 'format':
      return formatMask(requireKey(deps, 'format'));
    case 'detect': {
      const scanner = deps.scanner;
      if (!scanner) throw new Error('detect needs a content scanner');
      return (value) => scanner.maskText(value);
    }
  }
}

function requireKey(deps: StrategyDeps, strategy: string): Buffer {
  if (!deps.key) throw new Error(`${strategy} needs a key (masking.hashKey)`);
  return deps.key;
}

const isAlphanumeric = (code: number): boolean =>
  (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code > 127;

/**
 * Keeps the first/last N characters, masks every other letter or digit and keeps punctuation, so
 * `900-11-0001` with keepLast 4 becomes `***-**-0001`. A value too short to hide anything once the
 * kept characters are taken out is masked whole: a partial mask never shows a whole value.
 */
export function partialMask(keepFirst: number, keepLast: number, maskChar: string): MaskFn {
  return (value) => {
    const chars = Array.from(value);
    const hidden = chars.length - keepFirst - keepLast;
    const fullMask = hidden < Math.max(1, Math.ceil(chars.length / 3));
    let out = '';
    for (let i = 0; i < chars.length; i++) {
      const char = chars[i] as string;
      const kept = !fullMask && (i < keepFirst || i >= chars.length - keepLast);
      out += kept || !isAlphanumeric(char.codePointAt(0) ?? 0) ? char : maskChar;
    }
    return out;
  };
}

/** `ada.quintero@example.org` -> `***@example.org` (keepDomain) or `***@***`; a non-address is masked whole. */
export function emailMask(keepDomain: boolean, maskChar: string): MaskFn {
  const local = maskChar.repeat(3);
  return (value) => {
    const at = value.lastIndexOf('@');
    if (at <= 0 || at === value.length - 1 || !keepDomain) return `${local}@${local}`;
    return `${local}${value.slice(at)}`;
  };
}

/**
 * `h_` + the first `length` hex digits of HMAC-SHA256(key, value): equal values give equal tokens
 * (joins, GROUP BY and DISTINCT still work) in every column masked with the same key, and nobody
 * without the key can test a guess.
 */
export function hashMask(key: Buffer, prefix: string, length: number): MaskFn {
  const hmac = hmacSha256(key);
  return (value) => prefix + digestHex(hmac(value), length);
}

/**
 * Same shape, other content: each digit becomes a digit, each ASCII letter a letter of the same
 * case, everything else is kept. The replacement digits and letters come from HMAC-SHA256(key,
 * value), so equal inputs give equal outputs (deterministic; joins keep working) and the mapping
 * cannot be inverted or tested without the key. Distinct inputs may collide (it is a hash).
 */
export function formatMask(key: Buffer): MaskFn {
  const hmac = hmacSha256(key);
  return (value) => {
    let stream = hmac(`format:${value}`);
    let block = 0;
    let at = 0;
    let out = '';
    for (const char of value) {
      const code = char.charCodeAt(0);
      const digit = code >= 48 && code <= 57;
      const upper = code >= 65 && code <= 90;
      const lower = code >= 97 && code <= 122;
      if (!digit && !upper && !lower) {
        out += char;
        continue;
      }
      if (at === 32) {
        block++;
        stream = hmac(`format:${block}:${value}`);
        at = 0;
      }
      const byte = digestByte(stream, at++);
      if (digit) out += String.fromCharCode(48 + (byte % 10));
      else out += String.fromCharCode((upper ? 65 : 97) + (byte % 26));
    }
    return out;
  };
}

const isoDate = /^(\d{4})-(\d{2})-(\d{2})(.*)$/s;
const usDate = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;

/**
 * Keeps a coarse version of the value, written for the column's type. Dates (`year`, `month`):
 * text columns get `1961` / `1961-03`; date and timestamp columns get the first day of the period
 * (`1961-01-01`, `2026-01-01 00:00:00+00`) so the value still parses as its type. `zip3`: the first
 * three digits of a ZIP code. `band`: numbers in `width`-wide bands, `30-39` in text and the lower
 * bound `30` in numeric columns; values at or above `max` become `90+` (text) or `90` (HIPAA: ages
 * over 89 are one group). A value the strategy does not recognise becomes NULL (never raw).
 */
export function generalizeMask(strategy: Extract<MaskingStrategy, { kind: 'generalize' }>, type: ValueType): MaskFn {
  switch (strategy.to) {
    case 'year':
    case 'month':
      return dateGeneralizer(strategy.to, type);
    case 'zip3':
      return (value) => {
        const match = /^\s*(\d{3})\d{2}(?:-\d{4})?\s*$/.exec(value);
        return match ? (match[1] as string) : null;
      };
    case 'band':
      return bandGeneralizer(strategy.width, strategy.max, type === 'integer' || type === 'decimal');
  }
}

function dateGeneralizer(to: 'year' | 'month', type: ValueType): MaskFn {
  const typed = type === 'date' || type === 'timestamp';
  return (value) => {
    let year: string;
    let month: string;
    let rest = '';
    const iso = isoDate.exec(value);
    const us = iso ? null : usDate.exec(value);
    if (iso) [, year, month, , rest] = iso as unknown as [string, string, string, string, string];
    else if (us) [year, month] = [us[3] as string, (us[1] as string).padStart(2, '0')];
    else if (/^\d{4}$/.test(value) && !typed) return value;
    else return null;
    if (!typed) return to === 'year' ? year : `${year}-${month}`;
    const day = `${year}-${to === 'year' ? '01' : month}-01`;
    if (type === 'date') return day;
    // timestamptz keeps its zone offset so the text still parses; the time of day goes
    const zone = /(?:[+-]\d{2}(?::?\d{2})?|Z)$/.exec(rest.trim());
    return `${day} 00:00:00${zone && /\d{2}:\d{2}/.test(rest) ? zone[0] : ''}`;
  };
}

function bandGeneralizer(width: number, max: number | undefined, numeric: boolean): MaskFn {
  return (value) => {
    const text = value.trim();
    if (!/^-?\d+(?:\.\d+)?$/.test(text)) return null;
    const number = Number(text);
    if (max !== undefined && number >= max) return numeric ? String(max) : `${max}+`;
    const low = Math.floor(number / width) * width;
    return numeric ? String(low) : `${low}-${low + width - 1}`;
  };
}
