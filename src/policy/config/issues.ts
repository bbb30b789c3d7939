// Problems found while loading a rules file, each tied to where it is in the YAML.
import type { GatewayConfig } from './types.js';

export interface ConfigIssue {
  /** Where in the document, like `listeners[0].listen` or `identity.jwks`; empty for the whole file. */
  path: string;
  /** 1-based, when the issue can be tied to a place in the file. */
  line?: number;
  column?: number;
  /** Never contains a secret value (passwords, URL passwords, environment values). */
  message: string;
}

export type LoadResult =
  | { ok: true; config: GatewayConfig; warnings: ConfigIssue[] }
  | { ok: false; errors: ConfigIssue[] };

/** A step into the document: a map key or a sequence index. */
export type PathSegment = string | number;

/**
 * Where an issue points: the value at the path, the key that names it (for unknown keys), or the
 * map that lacks it (for missing keys).
 */
export type Target = 'value' | 'key';

/** `['listeners', 0, 'listen']` -> `listeners[0].listen`; odd keys are quoted so the path stays readable. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Is `inner` the same path as `outer` or somewhere beneath it? */
export function isWithin(inner: readonly PathSegment[], outer: readonly PathSegment[]): boolean {
  return outer.length <= inner.length && outer.every((segment, i) => inner[i] === segment);
}
