// Which strategy hides more. When several protected columns feed one output column, or several
// rules match one column, the strictest wins.
import type { MaskingStrategy, MaskingStrategyName } from '../policy/config/types.js';

/**
 * null > redact > hash > partial = email = generalize = format > detect. `hash` hides the value but
 * keeps equality; the format-keeping four keep part of the value or its shape; `detect` keeps
 * everything its detectors do not recognise.
 */
export const strictness: Record<MaskingStrategyName, number> = {
  null: 6,
  redact: 5,
  hash: 4,
  partial: 3,
  email: 3,
  generalize: 3,
  format: 3,
  detect: 2,
};

/**
 * The strategy for a derived value (an expression, aggregate, cast, serialisation, ...) over
 * columns whose strictest strategy is `strictest`. Strategies that keep part of a value or its
 * shape assume the value they get is the column's own: `partial` on `reverse(ssn)` shows the first
 * digits, `detect` on `replace(notes, '-', '')` misses every SSN, `email` on `upper(email)` keeps the
 * domain of anything, and `hash` of `left(ssn, 3)` gives a token per area. So derived values are
 * redacted (or stay NULL when a source is nulled): the agent learns that a value exists, never its
 * content.
 */
export function derivedStrategy(strictest: MaskingStrategy): MaskingStrategy {
  if (strictest.kind === 'null') return strictest;
  if (strictest.kind === 'redact') return strictest;
  return { kind: 'redact', text: '***' };
}
