// ISO-8601 timestamps for audit events, formatted once per millisecond: a busy gateway stamps
// many events within the same millisecond.
let lastMs = -1;
let lastIso = '';

export function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    lastIso = new Date(ms).toISOString();
  }
  return lastIso;
}
