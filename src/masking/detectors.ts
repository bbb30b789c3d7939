// Built-in content detectors. Each is a regular expression that finds candidates, and an optional
// check that rejects candidates which only look right (a card number failing Luhn, a 13th month).
// Expressions anchor themselves with lookarounds instead of \b so that a candidate is never a slice
// of a longer number or word; they are compiled with the `u` flag and never match `"` or `\`, so a
// replacement inside a JSON document keeps it valid.
import { isIPv6 } from 'node:net';
import type { BuiltinDetectorName } from '../policy/config/types.js';

export interface Detector {
  /** Detector name, used in counters (`ssn`, `email`, or a rules-file pattern name). */
  name: string;
  /** Regular expression source (compiled with `u`, plus `i` when ignoreCase). */
  source: string;
  ignoreCase: boolean;
  /** Text written in place of a match. */
  replacement: string;
  /** Rejects a candidate the expression found. */
  check?: (match: string) => boolean;
  /** A character every match holds: values without it skip this detector's part of the scan. */
  needs?: Need;
}

/** Cheap facts about a value, tested once per value before the scan. */
export type Need = 'digit' | 'at' | 'colon';

export const builtinDetectorNames: readonly BuiltinDetectorName[] = ['ssn', 'email', 'phone', 'date', 'credit-card', 'ipv4', 'ipv6', 'url'];

/**
 * US Social Security numbers, `123-45-6789`, `123 45 6789` or `123456789`. Area 000 and 666, group
 * 00 and serial 0000 are never valid and are not matched. Areas 900-999 are matched on purpose:
 * they are never issued as SSNs, but ITINs (taxpayer numbers, also identifiers) live there, and so
 * does synthetic test data such as the clinic fixture's `900-11-0001`.
 */
const ssn: Detector = {
  needs: 'digit',
  name: 'ssn',
  source: String.raw`(?<!\d|\d-)(?:\d{3}-\d{2}-\d{4}|\d{3} \d{2} \d{4}|\d{9})(?!\d|-\d)`,
  ignoreCase: false,
  replacement: '[SSN]',
  check: (match) => {
    const digits = match.replace(/\D/g, '');
    const area = digits.slice(0, 3);
    return area !== '000' && area !== '666' && digits.slice(3, 5) !== '00' && digits.slice(5) !== '0000';
  },
};

const label = String.raw`[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?`;

/** Addresses with a dotted domain and an alphabetic top-level domain (`user@localhost` is not matched). */
const email: Detector = {
  needs: 'at',
  name: 'email',
  source: String.raw`(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@${label}(?:\.${label})*\.[A-Za-z]{2,24}(?![A-Za-z0-9-])`,
  ignoreCase: false,
  replacement: '[EMAIL]',
};

/**
 * Phone numbers: North American `555-010-0001`, `(555) 010-0001`, `555.010.0001`, with an optional
 * `+1`/`1` prefix, and international numbers written with a leading `+` (E.164: `+15550100001`,
 * `+44 20 7946 0958`), 8 to 15 digits. Ten bare digits, 7-digit local numbers and ratios such as
 * `150/95` are not matched (too many ordinary numbers look like them).
 */
const phone: Detector = {
  needs: 'digit',
  name: 'phone',
  source:
    String.raw`(?<![\w+])(?:(?:\+?1[-. ]?)?(?:\(\d{3}\)[-. ]?|\d{3}[-. ])\d{3}[-. ]\d{4}` +
    String.raw`|\+[1-9]\d{0,3}(?:[-. ]?\(?\d{1,5}\)?){1,5})(?![\w+]|[-.]\d)`,
  ignoreCase: false,
  replacement: '[PHONE]',
  check: (match) => {
    const digits = match.replace(/\D/g, '').length;
    return match.startsWith('+') ? digits >= 8 && digits <= 15 : digits === 10 || digits === 11;
  },
};

const monthNames = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * Dates (of birth, or any full date: HIPAA treats every date tied to a person except its year as
 * an identifier): ISO `1961-03-14` (also the date part of a timestamp), US `03/14/1961`,
 * `3-14-1961`, and written `March 14, 1961` / `Mar 14 1961`. The day must exist in its month and
 * the year lie in 1800-2199; a year alone, `2026-13-01` or `02/30/1990` is not matched.
 */
const date: Detector = {
  needs: 'digit',
  name: 'date',
  source:
    String.raw`(?<![\d/-])(?:\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4}|\d{1,2}-\d{1,2}-\d{4})(?![\d/]|-\d)` +
    String.raw`|(?<![A-Za-z])(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]{0,6}\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4}(?!\d)`,
  ignoreCase: false,
  replacement: '[DATE]',
  check: (match) => {
    let parts: RegExpExecArray | null;
    if ((parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(match))) return validDate(+parts[1]!, +parts[2]!, +parts[3]!);
    if ((parts = /^(\d{1,2})[/-](\d{1,2})[/-](\d{4})$/.exec(match))) return validDate(+parts[3]!, +parts[1]!, +parts[2]!);
    parts = /^([A-Za-z]+)\.? (\d{1,2})\D*(\d{4})$/.exec(match);
    if (!parts) return false;
    const word = parts[1]!.toLowerCase();
    const month = monthNames.indexOf(word.slice(0, 3)) + 1;
    const fullNames = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
    const known = word.length === 3 || fullNames[month - 1] === word || (word === 'sept' && month === 9);
    return known && validDate(+parts[3]!, month, +parts[2]!);
  },
};

function validDate(year: number, month: number, day: number): boolean {
  if (year < 1800 || year > 2199 || month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] as number;
  return day <= days;
}

/** Payment card numbers: 13-19 digits, optionally in groups split by one space or dash, passing Luhn. */
const creditCard: Detector = {
  needs: 'digit',
  name: 'credit-card',
  source: String.raw`(?<!\d|\d[- ])\d(?:[- ]?\d){12,18}(?!\d|[- ]\d)`,
  ignoreCase: false,
  replacement: '[CARD]',
  check: (match) => {
    const separators = new Set(match.replace(/\d/g, ''));
    return separators.size <= 1 && luhn(match.replace(/\D/g, ''));
  },
};

export function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Dotted-quad IPv4 addresses, octets 0-255 without leading zeros; `1.2.3` and `1.2.3.4.5` are not matched. */
const ipv4: Detector = {
  needs: 'digit',
  name: 'ipv4',
  source: String.raw`(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\w|\.\d)`,
  ignoreCase: false,
  replacement: '[IP]',
  check: (match) => match.split('.').every((octet) => +octet <= 255 && (octet.length === 1 || octet[0] !== '0')),
};

/** IPv6 addresses, full or compressed (`2001:db8::1`, `::1`, `::ffff:192.0.2.1`), checked by node:net. */
const ipv6: Detector = {
  needs: 'colon',
  name: 'ipv6',
  source: String.raw`(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:]|\.\d)`,
  ignoreCase: false,
  replacement: '[IP]',
  check: (match) => /[0-9A-Fa-f]/.test(match) && isIPv6(match),
};

/** http(s)/ftp URLs and bare `www.` host names; trailing sentence punctuation is not part of it. */
const url: Detector = {
  name: 'url',
  source: String.raw`(?<![\w@.])(?:(?:https?|ftp)://|www\.)[^\s"'<>\\]*[^\s"'<>\\.,;:!?)\]}]`,
  ignoreCase: true,
  replacement: '[URL]',
};

const builtins: Record<BuiltinDetectorName, Detector> = {
  ssn,
  email,
  phone,
  date,
  'credit-card': creditCard,
  ipv4,
  ipv6,
  url,
};

/**
 * Order in which detectors are tried at one position: the most specific first, so a card number is
 * not taken for a phone number and a URL's host is not taken for an address.
 */
const precedence: readonly BuiltinDetectorName[] = ['url', 'email', 'credit-card', 'ssn', 'phone', 'date', 'ipv6', 'ipv4'];

export function builtinDetectors(names: readonly BuiltinDetectorName[]): Detector[] {
  const wanted = new Set(names);
  return precedence.filter((name) => wanted.has(name)).map((name) => builtins[name]);
}
