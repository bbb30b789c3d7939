// Durations as people write them in a rules file: `60s`, `15m`, `1h30m`, `500ms`, `7d`.

export type ParsedDuration = { ok: true; ms: number } | { ok: false; message: string };

const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const whole = /^(?:\d+(?:ms|s|m|h|d))+$/;
const part = /(\d+)(ms|s|m|h|d)/g;
const maxMs = 365 * 86_400_000; // beyond a year is a typo, and far beyond it overflows timers

export function parseDuration(text: string): ParsedDuration {
  const compact = text.trim();
  if (!whole.test(compact)) {
    const hint = /^\d+$/.test(compact) ? ` (add a unit: ${compact}s, ${compact}m, ...)` : '';
    return { ok: false, message: `"${text}" is not a duration: write a number and a unit (ms, s, m, h, d), e.g. 60s, 15m, 1h30m${hint}` };
  }
  let ms = 0;
  for (const [, amount, unit] of compact.matchAll(part)) ms += Number(amount) * (unitMs[unit as string] ?? 0);
  if (ms <= 0) return { ok: false, message: `"${text}" is zero: give a positive duration` };
  if (ms > maxMs) return { ok: false, message: `"${text}" is longer than a year` };
  return { ok: true, ms };
}
