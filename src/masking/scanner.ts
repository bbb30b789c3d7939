// Finds identifiers in free text and masks them: one pass of a combined expression over the value
// finds candidate positions for every pattern detector at once; at a candidate, each detector's
// own sticky expression and check decide (first that holds wins), then the scan resumes after the
// match. A second pass over the words looks them up in the name dictionaries (one map lookup each).
import type { Detector, Need } from './detectors.js';

export interface Span {
  start: number;
  end: number;
  detector: string;
  replacement: string;
}

interface CompiledDetector {
  detector: Detector;
  sticky: RegExp;
}

/** The detectors that can match a value with some set of Needs, and their combined expression. */
interface ScanSet {
  detectors: CompiledDetector[];
  candidates: RegExp | undefined;
}

const needBits: Record<Need, number> = { digit: 1, at: 2, colon: 4 };

/** Which Needs `text` meets, as bits. */
function needsMet(text: string): number {
  let bits = 0;
  if (/\d/.test(text)) bits |= needBits.digit;
  if (text.includes('@')) bits |= needBits.at;
  if (text.includes(':')) bits |= needBits.colon;
  return bits;
}

interface DictionaryWord {
  /** Lower case, as lowerUnit folds it. */
  word: string;
  dictionary: string;
  replacement: string;
}

interface DictionaryEntry {
  replacement: string;
  minLength: number;
  words: Set<string>;
}

export class ContentScanner {
  private readonly detectors: CompiledDetector[];
  /** By the Needs a value meets: most values lack `@` or `:`, so most scans skip those detectors. */
  private readonly scanSets = new Map<number, ScanSet>();
  private readonly dictionaries = new Map<string, DictionaryEntry>();
  /** Every dictionary word by its hash (wordHash): scanning allocates nothing for words that miss. */
  private words = new Map<number, DictionaryWord[]>();
  private longestWord = 0;

  constructor(detectors: readonly Detector[], dictionaries: readonly { name: string; words: readonly string[]; minLength: number; replacement: string }[] = []) {
    this.detectors = detectors.map((detector) => ({
      detector,
      sticky: new RegExp(detector.source, `uy${detector.ignoreCase ? 'i' : ''}`),
    }));
    for (const dictionary of dictionaries) {
      this.dictionaries.set(dictionary.name, { replacement: dictionary.replacement, minLength: dictionary.minLength, words: new Set() });
      this.setDictionary(dictionary.name, dictionary.words);
    }
  }

  /** Replaces the words of dictionary `name` (each entry split into words, matched ignoring case). */
  setDictionary(name: string, entries: Iterable<string>): void {
    const dictionary = this.dictionaries.get(name);
    if (!dictionary) throw new Error(`no dictionary named "${name}" in masking.detectors.dictionaries`);
    const words = new Set<string>();
    for (const entry of entries) {
      for (const word of splitWords(entry)) if (word.length >= dictionary.minLength) words.add(lowerWord(word));
    }
    dictionary.words = words;
    const merged = new Map<number, DictionaryWord[]>();
    const seen = new Set<string>();
    let longest = 0;
    for (const [dictName, dict] of this.dictionaries) {
      for (const word of dict.words) {
        if (seen.has(word)) continue;
        seen.add(word);
        const hash = wordHash(word, 0, word.length);
        const bucket = merged.get(hash);
        const entry = { word, dictionary: dictName, replacement: dict.replacement };
        if (bucket) bucket.push(entry);
        else merged.set(hash, [entry]);
        longest = Math.max(longest, word.length);
      }
    }
    this.words = merged;
    this.longestWord = longest;
  }

  dictionaryNames(): string[] {
    return [...this.dictionaries.keys()];
  }

  /** The identifiers found in `text`, in order, not overlapping. */
  find(text: string): Span[] {
    const spans = this.findPatterns(text);
    if (this.words.size === 0) return spans;
    const names = this.findWords(text);
    if (names.length === 0) return spans;
    if (spans.length === 0) return names;
    return mergeSpans(spans, names);
  }

  /** `text` with every identifier found replaced; the same string when nothing was found. */
  maskText(text: string, onFound?: (detector: string) => void): string {
    const spans = this.find(text);
    if (spans.length === 0) return text;
    let out = '';
    let at = 0;
    for (const span of spans) {
      out += text.slice(at, span.start) + span.replacement;
      at = span.end;
      onFound?.(span.detector);
    }
    return out + text.slice(at);
  }

  private scanSet(bits: number): ScanSet {
    let set = this.scanSets.get(bits);
    if (!set) {
      const detectors = this.detectors.filter(({ detector }) => detector.needs === undefined || (bits & needBits[detector.needs]) !== 0);
      // The combined expression may be broader than each detector (ignore case for all when one
      // needs it): it only proposes positions, the detector's own expression decides.
      const ignoreCase = detectors.some((d) => d.detector.ignoreCase);
      const source = detectors.map((d) => `(?:${d.detector.source})`).join('|');
      set = { detectors, candidates: detectors.length === 0 ? undefined : new RegExp(source, `gu${ignoreCase ? 'i' : ''}`) };
      this.scanSets.set(bits, set);
    }
    return set;
  }

  private findPatterns(text: string): Span[] {
    const spans: Span[] = [];
    const { detectors, candidates } = this.scanSet(needsMet(text));
    if (!candidates) return spans;
    candidates.lastIndex = 0;
    let candidate: RegExpExecArray | null;
    while ((candidate = candidates.exec(text)) !== null) {
      const start = candidate.index;
      const span = matchAt(detectors, text, start);
      if (span) {
        spans.push(span);
        candidates.lastIndex = span.end;
      } else {
        candidates.lastIndex = start + 1;
      }
    }
    return spans;
  }

  private findWords(text: string): Span[] {
    const spans: Span[] = [];
    const length = text.length;
    let start = -1;
    let hash = FNV_OFFSET;
    for (let i = 0; i <= length; i++) {
      const code = i < length ? text.charCodeAt(i) : 32;
      if (code < 128 ? ((code | 32) >= 97 && (code | 32) <= 122) : isLetter(code, text, i)) {
        if (start < 0) {
          start = i;
          hash = FNV_OFFSET;
        }
        hash = Math.imul(hash ^ lowerUnit(code), FNV_PRIME);
        continue;
      }
      if (start < 0) continue;
      if (i - start <= this.longestWord) {
        const bucket = this.words.get(hash >>> 0);
        const hit = bucket && bucket.find((entry) => sameWord(entry.word, text, start, i));
        if (hit) spans.push({ start, end: i, detector: hit.dictionary, replacement: hit.replacement });
      }
      start = -1;
    }
    return spans;
  }
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** One UTF-16 unit in lower case (per unit, so scanning needs no string). */
function lowerUnit(code: number): number {
  if (code < 128) return code >= 65 && code <= 90 ? code | 32 : code;
  const lower = String.fromCharCode(code).toLowerCase();
  return lower.length === 1 ? lower.charCodeAt(0) : code;
}

function lowerWord(word: string): string {
  let out = '';
  for (let i = 0; i < word.length; i++) out += String.fromCharCode(lowerUnit(word.charCodeAt(i)));
  return out;
}

/** FNV-1a over the lower-cased units of text[start, end). */
function wordHash(text: string, start: number, end: number): number {
  let hash = FNV_OFFSET;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ lowerUnit(text.charCodeAt(i)), FNV_PRIME);
  return hash >>> 0;
}

function sameWord(word: string, text: string, start: number, end: number): boolean {
  if (word.length !== end - start) return false;
  for (let i = 0; i < word.length; i++) if (word.charCodeAt(i) !== lowerUnit(text.charCodeAt(start + i))) return false;
  return true;
}

const nonAsciiLetter = /[\p{L}\p{M}]/u;

/**
 * Adds the words of a dictionary entry to `into`, in lower case, as setDictionary reads them:
 * for callers that gather a large dictionary as its entries stream in.
 */
export function addDictionaryWords(entry: string, into: Set<string>): void {
  for (const word of splitWords(entry)) into.add(lowerWord(word));
}

/**
 * Words are runs of letters (and combining marks): `Quintero-Smith` is two words and `O'Hale` is
 * `O` and `Hale`, so a name inside a compound is found and only that name is masked. Characters
 * outside the Basic Multilingual Plane (emoji, rare scripts) separate words.
 */
function splitWords(text: string): string[] {
  const words: string[] = [];
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    if (i < text.length && isLetter(text.charCodeAt(i), text, i)) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      words.push(text.slice(start, i));
      start = -1;
    }
  }
  return words;
}

function isLetter(code: number, text: string, at: number): boolean {
  if (code < 128) return (code >= 97 && code <= 122) || (code >= 65 && code <= 90);
  if (code >= 0xd800 && code <= 0xdfff) return false;
  return nonAsciiLetter.test(text[at] as string);
}

function matchAt(detectors: readonly CompiledDetector[], text: string, start: number): Span | undefined {
  for (const { detector, sticky } of detectors) {
    sticky.lastIndex = start;
    const match = sticky.exec(text);
    if (!match || match[0].length === 0) continue;
    if (detector.check && !detector.check(match[0])) continue;
    return { start, end: start + match[0].length, detector: detector.name, replacement: detector.replacement };
  }
  return undefined;
}

/** Pattern spans win over name spans they overlap (they are longer and more specific). */
function mergeSpans(patterns: Span[], names: Span[]): Span[] {
  const out: Span[] = [];
  let i = 0;
  for (const name of names) {
    while (i < patterns.length && (patterns[i] as Span).end <= name.start) out.push(patterns[i++] as Span);
    const next = patterns[i];
    if (next && next.start < name.end) continue; // overlaps a pattern span
    if (out.length > 0 && (out[out.length - 1] as Span).end > name.start) continue;
    out.push(name);
  }
  while (i < patterns.length) out.push(patterns[i++] as Span);
  return out;
}
