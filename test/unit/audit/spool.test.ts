// The spool: append (fsync'd), read in order, commit, reopen after a restart or a torn write, bound.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditSpool } from '../../../src/audit/spool.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'sqlveil-spool-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('AuditSpool', () => {
  it('gives back appended lines in order, in batches, and empties itself once all is committed', () => {
    const spool = new AuditSpool(tempDir(), 1 << 20);
    spool.open();
    expect(spool.append(['{"a":1}', '{"a":2}'])).toEqual({ ok: true });
    expect(spool.append(['{"a":3}'])).toEqual({ ok: true });
    expect(spool.pendingBytes).toBe(24);
    const first = spool.read(2);
    expect(first.lines).toEqual(['{"a":1}', '{"a":2}']);
    expect(spool.read(2).lines).toEqual(first.lines); // read does not move the position
    spool.commit(first.next);
    expect(spool.pendingBytes).toBe(8);
    spool.append(['{"a":4}']);
    const rest = spool.read(10);
    expect(rest.lines).toEqual(['{"a":3}', '{"a":4}']);
    spool.commit(rest.next);
    expect(spool.pendingBytes).toBe(0);
    expect(statSync(join(spool.dir, 'spool.jsonl')).size).toBe(0);
    spool.close();
  });

  it('survives a restart: unsent lines come back, a torn last line is cut off', () => {
    const dir = tempDir();
    const spool = new AuditSpool(dir, 1 << 20);
    spool.open();
    spool.append(['one', 'two', 'three']);
    spool.commit(spool.read(1).next);
    spool.close();
    appendFileSync(join(dir, 'spool.jsonl'), '{"torn":'); // a crash in the middle of a write

    const again = new AuditSpool(dir, 1 << 20);
    again.open();
    expect(again.read(10).lines).toEqual(['two', 'three']);
    expect(readFileSync(join(dir, 'spool.jsonl'), 'utf8')).toBe('one\ntwo\nthree\n');
    again.close();
  });

  it('refuses what would pass its bound, and says so', () => {
    const spool = new AuditSpool(tempDir(), 20);
    spool.open();
    expect(spool.append(['0123456789'])).toEqual({ ok: true });
    expect(spool.append(['0123456789'])).toEqual({ ok: false, reason: 'full', message: 'spool full (11 of 20 bytes)' });
    spool.commit(spool.read(5).next);
    expect(spool.append(['0123456789'])).toEqual({ ok: true });
    spool.close();
  });

  it('reports an unopened spool as an error, not as space', () => {
    const spool = new AuditSpool(tempDir(), 1000);
    expect(spool.append(['x'])).toMatchObject({ ok: false, reason: 'error' });
  });
});
