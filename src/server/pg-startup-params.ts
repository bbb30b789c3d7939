// Which startup parameters a client may pass to the upstream (PostgreSQL docs, "StartupMessage"
// and the `options` parameter of libpq). Any setting can be given at startup, and some would
// undo what the gateway relies on: `standard_conforming_strings=off` or a non-UTF-8
// `client_encoding` change how statements are lexed (so the gateway would decide on a different
// statement than the server runs), `role` / `session_authorization` change privileges. Only an
// allow-list passes; `search_path` passes and becomes the session's starting path.
import { parseSearchPath } from '../sql/pg-search-path.js';

export type StartupParamsCheck =
  | { ok: true; forward: Record<string, string>; searchPath?: string[]; settings: string[] }
  | { ok: false; message: string; hint: string };

/** Settings a client may choose, lower-case, with a check of the value where it matters. */
const ALLOWED: Record<string, ((value: string) => boolean) | true> = {
  application_name: true,
  client_encoding: (v) => /^(utf-?8|unicode)$/i.test(v.trim()),
  datestyle: true,
  timezone: true,
  intervalstyle: true,
  extra_float_digits: true,
  search_path: true,
  statement_timeout: true,
  lock_timeout: true,
  idle_in_transaction_session_timeout: true,
  standard_conforming_strings: (v) => /^(on|true|yes|1)$/i.test(v.trim()),
  bytea_output: true,
  geqo: true,
  jit: true,
  work_mem: true,
};

/** Parameters that belong to the gateway (identity, routing, tracing): never forwarded. */
export function checkStartupParams(params: ReadonlyMap<string, string>, gatewayParams: ReadonlySet<string>): StartupParamsCheck {
  const forward: Record<string, string> = {};
  const settings: [string, string][] = [];
  for (const [name, value] of params) {
    if (gatewayParams.has(name)) continue;
    if (name === 'options') {
      const parsed = parseOptions(value);
      if (parsed === undefined) return refuse(`the startup options "${value.slice(0, 80)}" cannot be read`);
      settings.push(...parsed);
    } else {
      settings.push([name, value]);
    }
  }
  let searchPath: string[] | undefined;
  const names: string[] = [];
  for (const [name, value] of settings) {
    const key = name.toLowerCase().replace(/-/g, '_');
    names.push(key);
    const check = ALLOWED[key];
    if (check === undefined) return refuse(`the startup setting ${name} is not allowed through sqlveil`);
    if (check !== true && !check(value)) return refuse(`the startup setting ${name}=${value.slice(0, 40)} is not allowed through sqlveil`);
    if (key === 'search_path') searchPath = parseSearchPath(value);
  }
  for (const [name, value] of params) if (!gatewayParams.has(name)) forward[name] = value;
  // `names`: what the role's settings allow list then decides on (policy.roles.<role>.settings).
  return searchPath === undefined ? { ok: true, forward, settings: names } : { ok: true, forward, searchPath, settings: names };
}

function refuse(message: string): StartupParamsCheck {
  return {
    ok: false,
    message,
    hint: 'connect without it (client_encoding must be UTF8, standard_conforming_strings on; role changes are not possible), or use SET inside the session',
  };
}

/**
 * libpq's `options`: command-line switches `-c name=value` or `--name=value`, separated by
 * spaces, a backslash escaping the next character. Undefined for anything else.
 */
export function parseOptions(text: string): [string, string][] | undefined {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  const out: [string, string][] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    let setting: string | undefined;
    if (w === '-c') setting = words[++i];
    else if (w.startsWith('-c')) setting = w.slice(2);
    else if (w.startsWith('--')) setting = w.slice(2);
    if (setting === undefined) return undefined;
    const eq = setting.indexOf('=');
    if (eq <= 0) return undefined;
    out.push([setting.slice(0, eq), setting.slice(eq + 1)]);
  }
  return out;
}
