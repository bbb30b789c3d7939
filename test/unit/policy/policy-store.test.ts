// Hot reload: a valid change swaps the policy, an invalid one keeps the old and says why (with
// lines), changes outside `policy` are reported as needing a restart, and the watch survives
// editors that replace the file by renaming a new one over it.
import { once } from 'node:events';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../../src/policy/config/load.js';
import type { GatewayConfig } from '../../../src/policy/config/types.js';
import { decideStatement } from '../../../src/policy/decide.js';
import { PolicyStore, type PolicyLogger, type PolicyRejected, type PolicyReloaded } from '../../../src/policy/policy-store.js';
import { createLogger } from '../../../src/log.js';
import { lineOf, minimalWithoutPolicy, publicJwks, tempDir, type TempDir } from '../config/helpers.js';
import { analysis, statement } from './helpers.js';

const policyAllowing = (kinds: string) => `policy:\n  roles:\n    agent:\n      allow: [${kinds}]\n      maxRows: 10\n`;
const rules = (kinds: string) => `${minimalWithoutPolicy}${policyAllowing(kinds)}`;

interface Logged {
  level: 'info' | 'warn' | 'error';
  obj: object;
  msg: string;
}

let tmp: TempDir;
let file: string;
let store: PolicyStore;
let logged: Logged[];

function recordingLogger(): PolicyLogger {
  const at = (level: Logged['level']) => (obj: object, msg: string) => void logged.push({ level, obj, msg });
  return { info: at('info'), warn: at('warn'), error: at('error') };
}

async function start(text: string): Promise<PolicyStore> {
  file = tmp.file('rules.yaml', text);
  const loaded = await loadConfigFile(file, {});
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  store = new PolicyStore(loaded.config, recordingLogger(), { debounceMs: 20 });
  return store;
}

/** The next event of `name`, or a failure after two seconds. */
async function next<E extends 'reloaded' | 'rejected'>(name: E): Promise<E extends 'reloaded' ? PolicyReloaded : PolicyRejected> {
  const timeout = AbortSignal.timeout(2000);
  const [event] = await once(store, name, { signal: timeout });
  return event;
}

const canDelete = () => decideStatement(store.current(), 'agent', analysis(statement({ kind: 'delete', command: 'DELETE' }))).action;

beforeEach(() => {
  tmp = tempDir();
  tmp.file('jwks.json', publicJwks);
  logged = [];
});
afterEach(() => {
  store?.close();
  tmp.remove();
});

describe('PolicyStore', () => {
  it('serves the starting policy at version 1', async () => {
    await start(rules('select'));
    expect(store.version).toBe(1);
    expect(store.current()?.roles.agent?.allow).toEqual(['select']);
    expect(store.roles().map((r) => r.name)).toEqual(['agent']);
    expect(canDelete()).toBe('deny');
  });

  it('swaps in a valid change to the watched file', async () => {
    await start(rules('select'));
    store.watch(file, {});
    const reloaded = next('reloaded');
    writeFileSync(file, rules('select, delete'));
    expect(await reloaded).toEqual({ version: 2, file, policyChanged: true, restartNeeded: [], warnings: [] });
    expect(store.version).toBe(2);
    expect(canDelete()).toBe('allow');
    expect(logged).toEqual([{ level: 'info', obj: { file, version: 2, policyChanged: true, mode: 'enforce', roles: ['agent'] }, msg: 'policy reloaded' }]);
  });

  it('keeps the old policy when the new file is invalid, logging every error with its line', async () => {
    await start(rules('select'));
    store.watch(file, {});
    const rejected = next('rejected');
    const broken = rules('select, delet').replace('maxRows: 10', 'maxRows: ten');
    writeFileSync(file, broken);
    const event = await rejected;
    expect(event.version).toBe(1);
    expect(event.errors).toEqual([
      expect.objectContaining({ path: 'policy.roles.agent.allow[1]', line: lineOf(broken, 'delet'), message: expect.stringMatching(/must be one of/) }),
      expect.objectContaining({ path: 'policy.roles.agent.maxRows', line: lineOf(broken, 'maxRows'), message: 'must be an integer' }),
    ]);
    expect(store.version).toBe(1);
    expect(canDelete()).toBe('deny');
    expect(logged.map((l) => [l.level, l.msg])).toEqual([
      ['error', expect.stringMatching(/^rules file rejected: must be one of/)],
      ['error', 'rules file rejected: must be an integer'],
      ['error', 'policy reload rejected (2 errors): keeping policy version 1'],
    ]);
    expect(logged[0]?.obj).toMatchObject({ file, path: 'policy.roles.agent.allow[1]', line: lineOf(broken, 'delet') });
  });

  it('applies the policy but not other sections, and says they need a restart', async () => {
    await start(rules('select'));
    store.watch(file, {});
    const reloaded = next('reloaded');
    writeFileSync(file, rules('select, delete').replace('127.0.0.1:6432', '127.0.0.1:7432'));
    expect(await reloaded).toMatchObject({ version: 2, policyChanged: true, restartNeeded: ['listeners'] });
    expect(canDelete()).toBe('allow');
    expect(logged).toContainEqual({ level: 'warn', obj: { file, sections: ['listeners'] }, msg: 'rules file changes to listeners need a restart and were not applied' });
  });

  it('follows a file replaced by rename, again and again', async () => {
    await start(rules('select'));
    store.watch(file, {});
    for (const [i, kinds] of ['select, delete', 'select', 'select, delete'].entries()) {
      const reloaded = next('reloaded');
      const replacement = join(tmp.dir, `.rules.yaml.${i}.tmp`);
      writeFileSync(replacement, rules(kinds));
      renameSync(replacement, file);
      expect((await reloaded).version).toBe(i + 2);
      expect(canDelete()).toBe(kinds.includes('delete') ? 'allow' : 'deny');
    }
    // And an in-place write after the renames is still seen.
    const reloaded = next('reloaded');
    writeFileSync(file, rules('select, update'));
    expect((await reloaded).version).toBe(5);
  });

  it('reloads on request even when the file is unchanged, and reports a missing file', async () => {
    await start(rules('select'));
    const outcome = await store.reload();
    expect(outcome).toMatchObject({ ok: true, version: 2, policyChanged: false, restartNeeded: [] });
    rmSync(file);
    const missing = await store.reload();
    expect(missing).toMatchObject({ ok: false, version: 2, errors: [{ path: '', message: `${file} does not exist` }] });
    expect(store.current()?.roles.agent?.allow).toEqual(['select']);
  });

  it('runs reloads one at a time, in order', async () => {
    await start(rules('select'));
    const versions = await Promise.all([store.reload(), store.reload(), store.reload()]);
    expect(versions.map((v) => v.version)).toEqual([2, 3, 4]);
  });

  it('goes from no policy to a policy and back', async () => {
    await start(minimalWithoutPolicy);
    expect(store.current()).toBeUndefined();
    expect(canDelete()).toBe('allow');
    writeFileSync(file, rules('select'));
    expect(await store.reload()).toMatchObject({ ok: true, policyChanged: true });
    expect(canDelete()).toBe('deny');
    writeFileSync(file, minimalWithoutPolicy);
    const outcome = await store.reload();
    expect(outcome).toMatchObject({ ok: true, warnings: [expect.objectContaining({ message: expect.stringMatching(/^NO STATEMENT POLICY/) })] });
    expect(store.current()).toBeUndefined();
  });

  it('takes the gateway logger as it is', () => {
    const config = { source: join(tmp.dir, 'rules.yaml'), roles: [] } as unknown as GatewayConfig;
    store = new PolicyStore(config, createLogger('silent'));
    expect(store.current()).toBeUndefined();
  });
});
