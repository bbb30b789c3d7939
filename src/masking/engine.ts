// The masking engine of one loaded configuration: rules, detectors and key, compiled once. The
// relay asks it for a plan per row description, a RowMasker per result set, and masks the text
// of errors and notices with it. Dictionaries are refreshed in place (setDictionary), so every
// RowMasker built from this engine sees new words at once.
import { randomBytes } from 'node:crypto';
import type { MaskingConfig, MaskingStrategy } from '../policy/config/types.js';
import { builtinDetectors, builtinDetectorNames, type Detector } from './detectors.js';
import { MaskingRules, type ColumnPlan, type MaskingPlan, type PlanColumn, type PlanContext } from './plan.js';
import { RowMasker } from './row-masker.js';
import { ContentScanner } from './scanner.js';
import { buildMaskFn, type MaskFn } from './strategies.js';

let processKey: Buffer | undefined;

/** hashKey `whenUnset: ephemeral`: one random key per process, kept across reloads. */
function ephemeralKey(): Buffer {
  processKey ??= randomBytes(32);
  return processKey;
}

export class MaskingEngine {
  readonly rules: MaskingRules;
  readonly scanner: ContentScanner;
  private readonly key: Buffer | undefined;
  private readonly closures = new Map<string, MaskFn>();

  constructor(readonly config: MaskingConfig) {
    this.rules = new MaskingRules(config);
    this.scanner = new ContentScanner(detectorsOf(config), config.detectors.dictionaries);
    const hashKey = config.hashKey;
    this.key = hashKey === undefined ? undefined : hashKey.source === 'ephemeral' ? ephemeralKey() : hashKey.key;
  }

  /** An engine for a file without a `masking` section: masks nothing in rows, every built-in detector on messages. */
  static unconfigured(): MaskingEngine {
    return new MaskingEngine({
      onUnknownLineage: 'refuse',
      detectors: { builtin: [...builtinDetectorNames], patterns: [], dictionaries: [] },
      rules: [],
    });
  }

  /** Per output column: keep, or mask with which strategy; or a refusal (see plan.ts). */
  planResult(role: string, columns: readonly PlanColumn[], context?: PlanContext): MaskingPlan {
    return this.rules.plan(role, columns, context);
  }

  /** The cell masker of one result set planned by planResult. */
  rowMasker(plan: Extract<MaskingPlan, { ok: true }>): RowMasker {
    return new RowMasker(plan, (column, onDetect) => this.closureFor(column, onDetect));
  }

  /** Error, notice and warning text (message, detail, hint) with every identifier the detectors find masked. */
  maskMessageText(text: string): string {
    return this.scanner.maskText(text);
  }

  /** Replaces the words of a dictionary named in masking.detectors.dictionaries. */
  setDictionary(name: string, words: Iterable<string>): void {
    this.scanner.setDictionary(name, words);
  }

  private closureFor(column: ColumnPlan, onDetect: (detector: string) => void): MaskFn {
    if (column.decision.action !== 'mask') return (value) => value;
    const strategy: MaskingStrategy = column.decision.strategy;
    if (strategy.kind === 'detect') {
      const scanner = this.scanner;
      if (column.type !== 'json') return (value) => scanner.maskText(value, onDetect);
      // A replacement inside a JSON string keeps the document valid; one in place of a bare
      // number (`{"ssn": 900110001}`) does not: such a document becomes NULL, never raw.
      return (value) => {
        const masked = scanner.maskText(value, onDetect);
        if (masked === value) return value;
        try {
          JSON.parse(masked);
          return masked;
        } catch {
          return null;
        }
      };
    }
    const type = column.type;
    const cacheKey = `${JSON.stringify(strategy)}|${type}`;
    let fn = this.closures.get(cacheKey);
    if (!fn) {
      fn = buildMaskFn(strategy, this.key ? { key: this.key, scanner: this.scanner } : { scanner: this.scanner }, type);
      this.closures.set(cacheKey, fn);
    }
    return fn;
  }
}

function detectorsOf(config: MaskingConfig): Detector[] {
  const patterns: Detector[] = config.detectors.patterns.map((p) => ({
    name: p.name,
    source: p.regex,
    ignoreCase: p.ignoreCase,
    replacement: p.replacement,
  }));
  // Rules-file patterns first: they are the most specific identifiers (an MRN is not a phone number).
  return [...patterns, ...builtinDetectors(config.detectors.builtin)];
}
