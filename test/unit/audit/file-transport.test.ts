// The JSON-lines transport reports an unwritable file: not writable under block, writable (and
// counting drops) under drop-and-alert.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { JsonLinesTransport } from '../../../src/audit/file-transport.js';
import { AuditChain } from '../../../src/audit/chain.js';

const dir = mkdtempSync(join(tmpdir(), 'sqlveil-ft-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('JsonLinesTransport', () => {
  it.each(['block', 'drop-and-alert'] as const)('onFailure %s: a file that cannot be opened', async (onFailure) => {
    const path = join(dir, `is-a-directory-${onFailure}`);
    mkdirSync(path);
    const t = new JsonLinesTransport(path, { onFailure, flushMs: 1 });
    await vi.waitFor(() => expect(t.health().state).toBe('failed'));
    expect(t.writable()).toBe(onFailure === 'drop-and-alert');
    t.write({ type: 'session.start', session: 's', instance: 'f', json: new AuditChain('f').serialize({ type: 'session.start', session: 's', at: '2026-01-01T00:00:00.000Z' }) });
    expect(t.health()).toMatchObject({ dropped: 1, writable: onFailure === 'drop-and-alert' });
    expect(t.health().lastError).toMatch(/EISDIR/);
    await t.close(); // does not hang on the errored stream
  });
});
