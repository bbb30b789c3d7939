// Loads a rules file: YAML -> environment interpolation -> JSON Schema -> semantic checks ->
// GatewayConfig. Every problem found is reported with its path and line; bad input never throws.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { buildConfig } from './build.js';
import { BuildContext } from './build-context.js';
import { describeFsError } from './files.js';
import { interpolateDocument, type Env } from './interpolate.js';
import { IssueLog } from './issue-log.js';
import type { ConfigIssue, LoadResult } from './issues.js';
import type { RawConfig } from './raw.js';
import { validateSchema } from './validate-schema.js';

export type { ConfigIssue, LoadResult } from './issues.js';
export type { Env } from './interpolate.js';

export async function loadConfigFile(path: string, env: Env = process.env): Promise<LoadResult> {
  const source = resolve(path);
  let text: string;
  try {
    text = await readFile(source, 'utf8');
  } catch (err) {
    return { ok: false, errors: [{ path: '', message: describeFsError(source, err) }] };
  }
  return parseConfigText(text, source, env);
}

/** `sourcePath` places relative file paths (and becomes `config.source`); the file itself is not read. */
export function parseConfigText(text: string, sourcePath: string, env: Env = process.env): LoadResult {
  try {
    return parse(text, resolve(sourcePath), env);
  } catch (err) {
    // A bug here must still surface as a report, not a crash; the message carries no input text.
    const what = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    return { ok: false, errors: [{ path: '', message: `internal error while loading the rules file (${what})` }] };
  }
}

function parse(text: string, source: string, env: Env): LoadResult {
  const lineCounter = new LineCounter();
  // prettyErrors off: the pretty form quotes the offending source line, which may hold a secret.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const log = new IssueLog(doc, lineCounter);
  for (const error of doc.errors) log.errorAtOffset(error.pos[0], `YAML: ${error.message}`);
  if (log.errors.length > 0) return failure(log.errors);
  for (const warning of doc.warnings) log.warnAtOffset(warning.pos[0], `YAML: ${warning.message}`);

  const interpolation = interpolateDocument(doc, env);
  for (const error of interpolation.errors) log.error(error.path, error.message);
  const notExpanded = interpolation.errors.map((error) => error.path);

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    log.errorAtOffset(0, `YAML: ${err instanceof Error ? err.message : String(err)}`);
    return failure(log.errors);
  }
  if (data === null || data === undefined) {
    log.errorAtOffset(0, 'the file is empty: a rules file starts with "version: 1"');
    return failure(log.errors);
  }

  const schemaFailures = validateSchema(data, log, notExpanded);
  const ctx = new BuildContext(log, dirname(source), [...schemaFailures, ...notExpanded], interpolation.fromEnv);
  const config = buildConfig(data as RawConfig, source, ctx);
  if (!config && log.errors.length === 0) log.errorAtOffset(0, 'the rules file is incomplete');
  if (log.errors.length > 0 || !config) return failure(log.errors);
  return { ok: true, config, warnings: inFileOrder(log.warnings) };
}

function failure(errors: ConfigIssue[]): LoadResult {
  return { ok: false, errors: inFileOrder(errors) };
}

function inFileOrder(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}
