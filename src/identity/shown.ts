// Token-derived text in refusal messages: the token is attacker-controlled, so values are
// quoted, stripped of control characters and cut short before a client or log sees them.

const MAX_SHOWN = 64;

/** One value from a token, as it may appear in a message: `'value'`, truncated with an ellipsis. */
export function shown(value: unknown): string {
  if (typeof value !== 'string') return value === undefined ? '(none)' : `(${typeof value})`;
  // eslint-disable-next-line no-control-regex
  const clean = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return `'${clean.length > MAX_SHOWN ? `${clean.slice(0, MAX_SHOWN)}…` : clean}'`;
}

/** A list of token values: `[a, b, … and 3 more]`. */
export function shownList(values: readonly unknown[], max = 10): string {
  const items = values.slice(0, max).map((value) => shown(value));
  if (values.length > max) items.push(`… and ${values.length - max} more`);
  return `[${items.join(', ')}]`;
}

/** Seconds since the epoch as an ISO time, or a placeholder when it is not a usable number. */
export function isoTime(seconds: unknown): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return '(unknown time)';
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? '(unknown time)' : date.toISOString();
}
