// Shared fixtures for the config tests: a temporary directory holding a JWKS file and a rules file.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Env } from '../../../src/policy/config/interpolate.js';
import type { ConfigIssue, LoadResult } from '../../../src/policy/config/issues.js';
import { parseConfigText } from '../../../src/policy/config/load.js';
import type { GatewayConfig } from '../../../src/policy/config/types.js';

export const publicJwks = JSON.stringify({
  keys: [{ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', kid: 'test' }],
});

export interface TempDir {
  dir: string;
  /** Writes `content` to `name` inside the directory and returns its absolute path. */
  file(name: string, content: string): string;
  remove(): void;
}

export function tempDir(): TempDir {
  const dir = mkdtempSync(join(tmpdir(), 'sqlveil-config-'));
  return {
    dir,
    file(name, content) {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The policy section closing `minimal`; tests that write their own policy remove it. */
export const minimalPolicy = `policy:
  roles:
    agent:
      allow: [select]
`;

/** A small valid rules file; tests replace lines of it. */
export const minimal = `version: 1
listeners:
  - name: pg
    protocol: postgres
    listen: 127.0.0.1:6432
    upstream: pg
    cleartextPassword: tls-or-loopback
upstreams:
  - name: pg
    url: postgres://postgres@127.0.0.1:5432/test
identity:
  issuer: https://idp.example/
  audience: sqlveil
  jwks: ./jwks.json
roles:
  - name: agent
    groups: [agents]
${minimalPolicy}`;

/** `minimal` without its policy section. */
export const minimalWithoutPolicy = minimal.replace(minimalPolicy, '');

/** Parses `yaml` as if it were `rules.yaml` in `dir`. */
export function parseIn(dir: string, yaml: string, env: Env = {}): LoadResult {
  return parseConfigText(yaml, join(dir, 'rules.yaml'), env);
}

export function expectOk(result: LoadResult): GatewayConfig {
  if (!result.ok) expect.fail(`expected a valid config, got:\n${result.errors.map(show).join('\n')}`);
  return result.config;
}

export function expectErrors(result: LoadResult): ConfigIssue[] {
  if (result.ok) expect.fail('expected errors, the config loaded');
  return result.errors;
}

/** The one error at `path` (fails when there is none or several). */
export function errorAt(result: LoadResult, path: string): ConfigIssue {
  const errors = expectErrors(result).filter((e) => e.path === path);
  if (errors.length !== 1) {
    expect.fail(`expected one error at ${path}, got:\n${expectErrors(result).map(show).join('\n')}`);
  }
  return errors[0] as ConfigIssue;
}

/** 1-based line of the `occurrence`-th line of `yaml` containing `text`. */
export function lineOf(yaml: string, text: string, occurrence = 1): number {
  let seen = 0;
  const index = yaml.split('\n').findIndex((line) => line.includes(text) && ++seen === occurrence);
  if (index < 0) throw new Error(`"${text}" (occurrence ${occurrence}) not in the YAML`);
  return index + 1;
}

export function show(issue: ConfigIssue): string {
  return `${issue.line ?? '?'}:${issue.column ?? '?'} ${issue.path}: ${issue.message}`;
}
