// Session settings that would make the server read statement strings differently from the
// gateway's lexer (MySQL's default sql_mode: backslash escapes on, `"` quoting strings; UTF-8).
// With NO_BACKSLASH_ESCAPES, `'a\'; DELETE FROM t; -- '` is a string to the gateway and a DELETE
// to the server; with ANSI_QUOTES, `"..."` names a column instead of being a value; with a
// multi-byte client character set such as GBK or SJIS a backslash can be the second byte of a
// character. A statement that sets any of these to such a value is refused, whatever the policy.

/** Thrown for a statement the gateway must not let through whatever the policy says. */
export class MysqlRefusedStatement extends Error {}

/** sql_mode flags (and the combination modes that include them) that change how strings lex. */
const UNSAFE_MODES = new Set(['NO_BACKSLASH_ESCAPES', 'ANSI_QUOTES', 'ANSI', 'ORACLE', 'MSSQL', 'DB2', 'POSTGRESQL', 'MAXDB']);
const SAFE_CHARSETS = new Set(['utf8', 'utf8mb3', 'utf8mb4', 'ascii']);

/** Variables whose value the gateway checks; lower-case names. */
export const GUARDED_VARIABLES = new Set(['sql_mode', 'character_set_client']);

function refuse(setting: string, value: string | undefined): never {
  throw new MysqlRefusedStatement(
    `sqlveil: ${setting}${value === undefined ? '' : ` = '${value}'`} is not accepted: the gateway reads statements with ` +
      `backslash escapes on, without ANSI_QUOTES, in UTF-8 (sql_mode without NO_BACKSLASH_ESCAPES / ANSI_QUOTES; utf8mb4)`,
  );
}

/**
 * Checks a new value of a guarded variable; `undefined` value means not a constant (refused),
 * `null` means DEFAULT (allowed: the gateway checks the session's starting values at login).
 */
export function checkSetting(variable: string, value: string | null | undefined): void {
  if (value === null) return;
  if (value === undefined) refuse(variable, undefined);
  if (variable === 'sql_mode') {
    if (!mysqlSqlModeIsSafe(value)) refuse(variable, value);
  } else if (variable === 'character_set_client' || variable === 'names') {
    if (!SAFE_CHARSETS.has(value.toLowerCase())) refuse(variable === 'names' ? 'SET NAMES' : variable, value);
  }
}

/**
 * Whether a session may run with this sql_mode (as `SELECT @@sql_mode` returns it): for the
 * gateway to check at login, since the global default may already be unsafe.
 */
export function mysqlSqlModeIsSafe(sqlMode: string): boolean {
  if (/[^A-Za-z0-9_,\s]/.test(sqlMode)) return false; // a numeric bitmask or something odd
  if (/^\s*\d+\s*$/.test(sqlMode)) return false;
  return !sqlMode.split(',').some((mode) => UNSAFE_MODES.has(mode.trim().toUpperCase()));
}

/** Whether a client character set keeps the gateway's reading of the bytes (UTF-8 compatible). */
export function mysqlCharsetIsSafe(charset: string): boolean {
  return SAFE_CHARSETS.has(charset.toLowerCase());
}
