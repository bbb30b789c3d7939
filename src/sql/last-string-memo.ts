// A one-entry memo for per-statement string work. The analysis and the audit's literal redaction
// read the same statement string one after the other (usually the same string object), so the
// second pass costs a comparison. Results are shared: callers treat them as read-only.

/** `fn` with its last result kept for strings up to `maxLength` (a long string is not kept alive). */
export function rememberLast<T>(fn: (sql: string) => T, maxLength: number): (sql: string) => T {
  let lastSql: string | undefined;
  let lastResult: T | undefined;
  return (sql) => {
    if (sql === lastSql) return lastResult as T;
    const result = fn(sql);
    if (sql.length <= maxLength) {
      lastSql = sql;
      lastResult = result;
    } else {
      lastSql = lastResult = undefined;
    }
    return result;
  };
}
