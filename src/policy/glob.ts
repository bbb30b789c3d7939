// Shell-style globs over names: `*` any run of characters, `?` one character, `[abc]` / `[a-z]` /
// `[!abc]` one character of (or not of) a set. Everything else matches itself. Compiled globs are
// cached: a rules file holds few patterns and decisions run on every statement.

export type GlobResult = { ok: true; regex: RegExp } | { ok: false; message: string };

const cache = new Map<string, RegExp>();
const cacheLimit = 10_000; // patterns come from rules files; the bound only guards against misuse

/** Compiles `glob`; `ignoreCase` for names whose case the database does not keep apart. */
export function compileGlob(glob: string, ignoreCase = false): GlobResult {
  const key = `${ignoreCase ? 'i' : 's'}:${glob}`;
  const cached = cache.get(key);
  if (cached) return { ok: true, regex: cached };
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i] as string;
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '[') {
      const close = glob.indexOf(']', i + 2); // `[]...]` holds a literal `]`
      if (close < 0) return { ok: false, message: `"[" at position ${i + 1} is not closed with "]"` };
      const body = glob.slice(i + 1, close);
      if (body === '!') return { ok: false, message: `"[!]" at position ${i + 1} is an empty set` };
      source += characterClass(body);
      i = close;
    } else source += escapeRegex(char);
  }
  let regex: RegExp;
  try {
    regex = new RegExp(`^${source}$`, ignoreCase ? 'si' : 's');
  } catch {
    return { ok: false, message: 'a character range runs backwards (write [a-z], not [z-a])' };
  }
  if (cache.size >= cacheLimit) cache.clear();
  cache.set(key, regex);
  return { ok: true, regex };
}

/** True when `name` matches `glob`; an invalid glob matches nothing (config loading reports it). */
export function globMatches(glob: string, name: string, ignoreCase = false): boolean {
  const compiled = compileGlob(glob, ignoreCase);
  return compiled.ok && compiled.regex.test(name);
}

function characterClass(body: string): string {
  const negated = body.startsWith('!');
  const members = (negated ? body.slice(1) : body).replace(/[\\\]^[]/g, (c) => `\\${c}`);
  return `[${negated ? '^' : ''}${members}]`;
}

function escapeRegex(char: string): string {
  return /[.+^${}()|\\/[\]]/.test(char) ? `\\${char}` : char;
}
