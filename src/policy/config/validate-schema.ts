// Checks the parsed rules file against the JSON Schema and words ajv's errors for people.
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { IssueLog } from './issue-log.js';
import { isWithin, type PathSegment } from './issues.js';
import { configSchema } from './schema.js';

// ajv is CommonJS: under NodeNext its default export arrives as the module object.
const Ajv = AjvModule.default;

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  // coerceTypes: environment values are text, so `connectTimeoutMs: ${TIMEOUT:-5000}` must work.
  // verbose: gives each error its schema, used to suggest the key a typo meant.
  compiled ??= new Ajv({ allErrors: true, coerceTypes: true, allowUnionTypes: true, verbose: true }).compile(
    configSchema,
  );
  return compiled;
}

/**
 * Validates (and coerces, in place) `data`. Logs every schema error and returns the paths whose
 * values do not have their declared shape, so later checks can skip what is already reported.
 * Errors at or under `alreadyReported` (values whose interpolation failed) are not logged again.
 */
export function validateSchema(
  data: unknown,
  log: IssueLog,
  alreadyReported: readonly PathSegment[][] = [],
): PathSegment[][] {
  const validate = validator();
  if (validate(data)) return [];
  const failed: PathSegment[][] = [];
  const seen = new Set<string>();
  for (const error of validate.errors ?? []) {
    const at = toPath(error.instancePath, data);
    const { path, message, target } = describe(error, at);
    const key = `${path.join('\u0000')}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    // An unknown key leaves the rest of its map well-typed: later checks may still look at it.
    if (error.keyword !== 'additionalProperties') failed.push(path);
    if (!alreadyReported.some((reported) => isWithin(path, reported))) log.error(path, message, target);
  }
  return failed;
}

function describe(error: ErrorObject, at: PathSegment[]): { path: PathSegment[]; message: string; target?: 'key' } {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': {
      const key = String(params.missingProperty);
      return { path: [...at, key], message: `missing required key "${key}"` };
    }
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const guess = closest(key, known);
      return {
        path: [...at, key],
        message: `unknown key "${key}"${guess ? ` (did you mean "${guess}"?)` : ''}`,
        target: 'key',
      };
    }
    case 'enum':
      return { path: at, message: `must be one of: ${(params.allowedValues as unknown[]).join(', ')}` };
    case 'const':
      return { path: at, message: `must be ${JSON.stringify(params.allowedValue)}` };
    case 'type':
      return { path: at, message: `must be ${typeNames(params.type)}` };
    case 'minItems':
      return { path: at, message: `must have at least ${Number(params.limit)} item${params.limit === 1 ? '' : 's'}` };
    case 'minLength':
      return {
        path: at,
        message: params.limit === 1 ? 'must not be empty' : `must be at least ${Number(params.limit)} characters`,
      };
    case 'maxLength':
      return { path: at, message: `must be at most ${Number(params.limit)} characters` };
    case 'pattern':
      return { path: at, message: 'must start with a letter or digit and contain only letters, digits, "_", "." and "-"' };
    case 'uniqueItems': {
      const [first, second] = [Number(params.i), Number(params.j)].sort((a, b) => a - b);
      return { path: at, message: `lists the same value twice (items ${first} and ${second})` };
    }
    default:
      return { path: at, message: error.message ?? 'is invalid' };
  }
}

function typeNames(type: unknown): string {
  const names: Record<string, string> = {
    object: 'a map',
    array: 'a list',
    string: 'a string',
    integer: 'an integer',
    number: 'a number',
    boolean: 'true or false',
  };
  return String(type)
    .split(',')
    .map((t) => names[t] ?? t)
    .join(' or ');
}

/** JSON pointer -> path; a segment is an index when the data there is a list. */
function toPath(pointer: string, data: unknown): PathSegment[] {
  if (pointer === '') return [];
  const path: PathSegment[] = [];
  let node = data;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const step: PathSegment = Array.isArray(node) ? Number(segment) : segment;
    path.push(step);
    node = node !== null && typeof node === 'object' ? (node as Record<PathSegment, unknown>)[step] : undefined;
  }
  return path;
}

/** The known key a typo most likely meant, if any is close enough. */
function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
