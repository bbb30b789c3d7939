// `masking`: which columns are masked for which roles and how, the content detectors, and the key
// of `hash`/`format`. Checks what the schema cannot: globs, regular expressions, role names,
// options that do not fit the rule's strategy, and where the key comes from (never a literal).
import { builtinDetectorNames } from '../../masking/detectors.js';
import { compileGlob } from '../glob.js';
import { isRecord, quoteNames, type BuildContext } from './build-context.js';
import { parseDuration } from './durations.js';
import { readSecretFile } from './files.js';
import type { PathSegment } from './issues.js';
import type {
  BuiltinDetectorName,
  DictionaryConfig,
  MaskingConfig,
  MaskingRule,
  MaskingStrategy,
  MaskingStrategyName,
  PatternDetectorConfig,
} from './types.js';

/** The `masking` section once it matches the schema (src/masking/rules-schema.ts). */
export interface RawMasking {
  onUnknownLineage?: 'refuse' | 'mask' | 'allow';
  hashKey?: { value?: string; file?: string; whenUnset?: 'error' | 'ephemeral' };
  detectors?: {
    builtin?: BuiltinDetectorName[];
    patterns?: { name: string; regex: string; ignoreCase?: boolean; replacement?: string }[];
    dictionaries?: {
      name: string;
      words?: string[];
      minLength?: number;
      replacement?: string;
      refresh?: { query: string; upstream?: string; every?: string };
    }[];
  };
  rules?: RawMaskingRule[];
}

export interface RawMaskingRule {
  name: string;
  columns: string[];
  roles?: string[];
  except?: string[];
  strategy: MaskingStrategyName;
  filter?: 'deny' | 'allow';
  text?: string;
  keepFirst?: number;
  keepLast?: number;
  maskChar?: string;
  keepDomain?: boolean;
  prefix?: string;
  length?: number;
  to?: 'year' | 'month' | 'zip3' | 'band';
  width?: number;
  max?: number;
}

/** Options each strategy reads; any other option on a rule is an error (it would be ignored). */
const optionsOf: Record<MaskingStrategyName, readonly string[]> = {
  redact: ['text'],
  null: [],
  partial: ['keepFirst', 'keepLast', 'maskChar'],
  email: ['keepDomain', 'maskChar'],
  hash: ['prefix', 'length'],
  generalize: ['to', 'width', 'max'],
  format: [],
  detect: [],
};
const allOptions = new Set(Object.values(optionsOf).flat());

const minKeyBytes = 16;

export function buildMasking(
  raw: unknown,
  roleNames: ReadonlySet<string>,
  upstreamNames: ReadonlySet<string>,
  ctx: BuildContext,
): MaskingConfig | undefined {
  if (raw === undefined || !isRecord(raw) || ctx.rejected(['masking'])) return undefined;
  // `masking: {}` is the same as no section: nothing configured, nothing masked.
  if (Object.keys(raw as object).length === 0) return undefined;
  const masking = raw as RawMasking;
  const detectors = masking.detectors ?? {};
  const at = (...path: PathSegment[]) => ['masking', ...path];

  const config: MaskingConfig = {
    onUnknownLineage: masking.onUnknownLineage ?? 'refuse',
    detectors: {
      builtin: ctx.usable(at('detectors', 'builtin')) ? (detectors.builtin ?? [...builtinDetectorNames]) : [],
      patterns: ctx.usable(at('detectors', 'patterns')) ? buildPatterns(detectors.patterns ?? [], at('detectors', 'patterns'), ctx) : [],
      dictionaries: ctx.usable(at('detectors', 'dictionaries'))
        ? buildDictionaries(detectors.dictionaries ?? [], upstreamNames, at('detectors', 'dictionaries'), ctx)
        : [],
    },
    rules: ctx.rejected(at('rules')) ? [] : buildRules(masking.rules ?? [], roleNames, ctx),
  };
  checkDetectorNames(config, ctx);

  const needsKey = config.rules.findIndex((r) => r.strategy.kind === 'hash' || r.strategy.kind === 'format');
  const hashKey = ctx.rejected(at('hashKey')) ? undefined : buildHashKey(masking.hashKey, ctx);
  if (hashKey) config.hashKey = hashKey;
  else if (needsKey >= 0 && !ctx.rejected(at('hashKey')) && !ctx.log.errors.some((e) => e.path.startsWith('masking.hashKey'))) {
    const strategy = config.rules[needsKey]?.strategy.kind;
    ctx.log.error(at('rules', needsKey, 'strategy'), `${strategy} needs a key: set masking.hashKey.value to \${VAR} or masking.hashKey.file`);
  }
  if (config.onUnknownLineage === 'allow') {
    ctx.log.warn(at('onUnknownLineage'), 'onUnknownLineage: allow lets derived columns the gateway cannot trace leave unmasked');
  }
  return config;
}

function buildRules(raws: readonly RawMaskingRule[], roleNames: ReadonlySet<string>, ctx: BuildContext): MaskingRule[] {
  const seen = new Map<string, number>();
  const rules: MaskingRule[] = [];
  raws.forEach((raw, i) => {
    const path: PathSegment[] = ['masking', 'rules', i];
    if (!isRecord(raw) || ctx.rejected(path)) return;
    const usable = (key: string) => ctx.usable([...path, key]);
    if (usable('name')) {
      const earlier = seen.get(raw.name);
      if (earlier === undefined) seen.set(raw.name, i);
      else ctx.log.error([...path, 'name'], `duplicate masking rule name "${raw.name}" (also masking.rules[${earlier}])`);
    }
    const columns = usable('columns') ? raw.columns : [];
    columns.forEach((glob, j) => {
      const problem = checkColumnGlob(glob);
      if (problem) ctx.log.error([...path, 'columns', j], problem);
    });
    for (const key of ['roles', 'except'] as const) {
      (usable(key) ? (raw[key] ?? []) : []).forEach((role, j) => {
        if (!roleNames.has(role)) ctx.log.error([...path, key, j], `no role named "${role}" (roles: ${quoteNames(roleNames)})`);
      });
    }
    // A strategy the schema rejected is reported there; the rule is left out.
    if (!usable('strategy')) return;
    for (const option of Object.keys(raw)) {
      if (allOptions.has(option) && !optionsOf[raw.strategy].includes(option)) {
        const fits = Object.entries(optionsOf).filter(([, options]) => options.includes(option)).map(([name]) => name);
        ctx.log.error([...path, option], `${option} is not an option of strategy ${raw.strategy} (it belongs to ${fits.join(', ')})`, 'key');
      }
    }
    const strategy = buildStrategy(raw, path, ctx);
    const rule: MaskingRule = { name: raw.name, columns, except: usable('except') ? (raw.except ?? []) : [], strategy };
    rule.filter = usable('filter') && raw.filter === 'allow' ? 'allow' : 'deny';
    if (raw.roles !== undefined && usable('roles')) rule.roles = raw.roles;
    rules.push(rule);
  });
  return rules;
}

function buildStrategy(raw: RawMaskingRule, path: PathSegment[], ctx: BuildContext): MaskingStrategy {
  switch (raw.strategy) {
    case 'redact':
      return { kind: 'redact', text: raw.text ?? '***' };
    case 'null':
    case 'format':
    case 'detect':
      return { kind: raw.strategy };
    case 'partial': {
      const partial = { kind: 'partial', keepFirst: raw.keepFirst ?? 0, keepLast: raw.keepLast ?? 4, maskChar: raw.maskChar ?? '*' } as const;
      if (partial.keepFirst + partial.keepLast === 0) ctx.log.warn(path, 'partial keeps nothing (keepFirst and keepLast are 0): use redact');
      return partial;
    }
    case 'email':
      return { kind: 'email', keepDomain: raw.keepDomain ?? true, maskChar: raw.maskChar ?? '*' };
    case 'hash':
      return { kind: 'hash', prefix: raw.prefix ?? 'h_', length: raw.length ?? 16 };
    case 'generalize': {
      if (raw.to === undefined) {
        ctx.log.error(path, 'generalize needs `to`: year, month, zip3 or band', 'value');
        return { kind: 'null' };
      }
      const generalize: MaskingStrategy = { kind: 'generalize', to: raw.to, width: raw.width ?? 10 };
      if (raw.max !== undefined) generalize.max = raw.max;
      if (raw.to !== 'band' && (raw.width !== undefined || raw.max !== undefined)) {
        ctx.log.error([...path, raw.width !== undefined ? 'width' : 'max'], `width and max apply to to: band, not to: ${raw.to}`, 'key');
      }
      return generalize;
    }
  }
}

/** Undefined when `glob` is a valid `schema.table.column` pattern, else why not. */
export function checkColumnGlob(glob: string): string | undefined {
  const parts = glob.split('.');
  if (parts.length !== 3 || parts.some((part) => part === '')) {
    return `"${glob}" is not schema.table.column: write e.g. "clinic.patients.ssn", "*.patients.ssn" or "clinic.*.email"`;
  }
  for (const part of parts) {
    const compiled = compileGlob(part, true);
    if (!compiled.ok) return `"${glob}": ${compiled.message}`;
  }
  return undefined;
}

function buildPatterns(raws: NonNullable<RawMasking['detectors']>['patterns'] & object, at: PathSegment[], ctx: BuildContext): PatternDetectorConfig[] {
  return raws.flatMap((raw, i) => {
    const path = [...at, i];
    if (!isRecord(raw) || ctx.rejected(path)) return [];
    const problem = checkDetectorRegex(raw.regex, raw.ignoreCase ?? false);
    if (problem) {
      ctx.log.error([...path, 'regex'], problem);
      return [];
    }
    const replacement = checkReplacement(raw.replacement, [...path, 'replacement'], ctx) ?? `[${raw.name.toUpperCase()}]`;
    return [{ name: raw.name, regex: raw.regex, ignoreCase: raw.ignoreCase ?? false, replacement }];
  });
}

/** Undefined when `source` compiles and can join the combined expression, else why not. */
export function checkDetectorRegex(source: string, ignoreCase: boolean): string | undefined {
  let regex: RegExp;
  try {
    regex = new RegExp(source, `u${ignoreCase ? 'i' : ''}`);
  } catch (err) {
    const reason = err instanceof Error ? err.message.replace(/^Invalid regular expression: /, '') : String(err);
    return `not a valid regular expression (JavaScript syntax, u flag): ${reason}`;
  }
  // Detectors run as one combined expression: back references and named groups would refer to
  // the wrong group there.
  if (/\\[1-9]|\\k<|\(\?<[A-Za-z]/.test(source)) return 'back references and named groups are not supported in detector patterns: use (?:...)';
  if (regex.test('')) return 'the expression matches the empty string: it would mask nothing and loop on every position';
  return undefined;
}

function buildDictionaries(
  raws: NonNullable<RawMasking['detectors']>['dictionaries'] & object,
  upstreamNames: ReadonlySet<string>,
  at: PathSegment[],
  ctx: BuildContext,
): DictionaryConfig[] {
  return raws.flatMap((raw, i) => {
    const path = [...at, i];
    if (!isRecord(raw) || ctx.rejected(path)) return [];
    const dictionary: DictionaryConfig = {
      name: raw.name,
      words: raw.words ?? [],
      minLength: raw.minLength ?? 3,
      replacement: checkReplacement(raw.replacement, [...path, 'replacement'], ctx) ?? '[NAME]',
    };
    if (raw.refresh && ctx.usable([...path, 'refresh'])) {
      const every = parseDuration(raw.refresh.every ?? '10m');
      if (!every.ok) ctx.log.error([...path, 'refresh', 'every'], every.message);
      if (raw.refresh.upstream !== undefined && !upstreamNames.has(raw.refresh.upstream)) {
        const message = `no upstream named "${raw.refresh.upstream}" (upstreams: ${quoteNames(upstreamNames)})`;
        ctx.log.error([...path, 'refresh', 'upstream'], message);
      }
      dictionary.refresh = { query: raw.refresh.query, everyMs: every.ok ? every.ms : 0 };
      if (raw.refresh.upstream !== undefined) dictionary.refresh.upstream = raw.refresh.upstream;
    }
    return [dictionary];
  });
}

/** A replacement lands inside JSON values too: a quote or backslash would break them. */
function checkReplacement(text: string | undefined, path: PathSegment[], ctx: BuildContext): string | undefined {
  if (text === undefined || !ctx.usable(path)) return undefined;
  if (/["\\]/.test(text)) ctx.log.error(path, 'must not contain " or \\ (replacements are written inside JSON values too)');
  return text;
}

/** Detector names appear in counters and audit: they must be unique across every kind. */
function checkDetectorNames(config: MaskingConfig, ctx: BuildContext): void {
  const taken = new Set<string>(builtinDetectorNames);
  config.detectors.patterns.forEach((p, i) => claimName(p.name, ['masking', 'detectors', 'patterns', i, 'name'], taken, ctx));
  config.detectors.dictionaries.forEach((d, i) => claimName(d.name, ['masking', 'detectors', 'dictionaries', i, 'name'], taken, ctx));
}

function claimName(name: string, path: PathSegment[], taken: Set<string>, ctx: BuildContext): void {
  if (taken.has(name)) ctx.log.error(path, `detector name "${name}" is already used (built-in or another pattern or dictionary)`);
  taken.add(name);
}

function buildHashKey(raw: RawMasking['hashKey'], ctx: BuildContext): MaskingConfig['hashKey'] {
  if (raw === undefined) return undefined;
  const at: PathSegment[] = ['masking', 'hashKey'];
  const value = raw.value || undefined;
  const file = raw.file || undefined;
  if (value !== undefined && file !== undefined) {
    ctx.log.error([...at, 'file'], 'give value or file, not both');
    return undefined;
  }
  if (value !== undefined) {
    if (!ctx.fromEnvironment([...at, 'value'])) {
      ctx.log.error([...at, 'value'], 'the key is written in this file: take it from the environment with ${VAR}, or use file');
      return undefined;
    }
    return keyOf(Buffer.from(value, 'utf8'), 'value', [...at, 'value'], ctx);
  }
  if (file !== undefined) {
    const read = readSecretFile(ctx.resolve(file));
    if (!read.ok) {
      ctx.log.error([...at, 'file'], `file: ${read.message}`);
      return undefined;
    }
    return keyOf(Buffer.from(read.text, 'utf8'), 'file', [...at, 'file'], ctx);
  }
  if (raw.whenUnset === 'ephemeral') return { source: 'ephemeral' };
  ctx.log.error(at, 'no key: set value to ${VAR} or file (or whenUnset: ephemeral for a random key per process)');
  return undefined;
}

function keyOf(key: Buffer, source: 'value' | 'file', path: PathSegment[], ctx: BuildContext): MaskingConfig['hashKey'] {
  if (key.length >= minKeyBytes) return { source, key };
  ctx.log.error(path, `the key is ${key.length} bytes: use at least ${minKeyBytes} (e.g. 32 random bytes, base64)`);
  return undefined;
}
