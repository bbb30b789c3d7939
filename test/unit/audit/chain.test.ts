// The hash chain and its verifier on in-memory sequences: every kind of tampering is found, at its position.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, eventHash, storedEventHash } from '../../../src/audit/canonical.js';
import { AuditChain } from '../../../src/audit/chain.js';
import { makeCheckpoint, verifyCheckpoint } from '../../../src/audit/checkpoint.js';
import { GENESIS_HASH, type ChainedEvent } from '../../../src/audit/event.js';
import { AuditTrail } from '../../../src/audit/trail.js';
import { verdictLine } from '../../../src/audit/verify.js';
import { errorsOf, finalCheckpoint, makeEvents, MemoryTransport, verifyLines } from './helpers.js';

describe('canonical JSON', () => {
  it('sorts keys at every level, drops undefined, keeps arrays in order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined }, '10': 'x', '2': 'y' })).toBe('{"10":"x","2":"y","a":{"d":[3,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson('é"\n')).toBe(JSON.stringify('é"\n'));
  });

  it('hashes a version 1 event the same after a JSON round trip, whatever the key order', () => {
    const { events } = makeEvents(1);
    const v1 = { ...events[0]!, v: 1 as const };
    v1.hash = eventHash(v1);
    const reordered = Object.fromEntries(Object.entries(v1).reverse());
    expect(eventHash(JSON.parse(JSON.stringify(reordered)) as Record<string, unknown>)).toBe(v1.hash);
  });
});

describe('version 2 hashes', () => {
  it('cover the stored bytes without the final hash member; the event object serializes to the same bytes', () => {
    const chain = new AuditChain('gw-b');
    const json = chain.serialize({ type: 'statement', session: 's', at: '2026-01-01T00:00:00.000Z', sql: 'select ?', tables: ['a.b'] });
    const event = JSON.parse(json) as ChainedEvent;
    expect(JSON.stringify(event)).toBe(json);
    expect(event).toMatchObject({ v: 2, type: 'statement', instance: 'gw-b', seq: 0, prevHash: GENESIS_HASH });
    expect(json.endsWith(`,"hash":"${event.hash}"}`)).toBe(true);
    expect(storedEventHash(json)).toBe(event.hash);
    expect(storedEventHash(`${json}\n`)).toBe(event.hash);
    expect(storedEventHash(json.replace('select ?', 'select 1'))).not.toBe(event.hash);
  });

  it('are undefined for text that does not end with a hash member', () => {
    expect(storedEventHash('{"a":1}')).toBeUndefined();
    expect(storedEventHash('{"hash":"00"}')).toBeUndefined();
    expect(storedEventHash('')).toBeUndefined();
  });
});

/** A forger's event: content changed and its hash recomputed the way the chain computes it. */
function rehashed(e: ChainedEvent): ChainedEvent {
  return { ...e, hash: storedEventHash(JSON.stringify({ ...e, hash: '0'.repeat(64) }))! };
}

describe('AuditChain', () => {
  it('numbers events from 0 and links each to the hash of the one before', () => {
    const { events } = makeEvents(4, 'gw-a');
    expect(events.map((e) => e.seq)).toEqual([0, 1, 2, 3]);
    expect(events[0]!.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < 4; i++) expect(events[i]!.prevHash).toBe(events[i - 1]!.hash);
    for (const e of events) {
      expect(e).toMatchObject({ v: 2, instance: 'gw-a' });
      expect(storedEventHash(JSON.stringify(e))).toBe(e.hash);
    }
  });

  it('gives each new chain its own instance id', () => {
    expect(new AuditChain().instance).not.toBe(new AuditChain().instance);
  });
});

describe('checkpoints', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const other = generateKeyPairSync('ed25519');

  it('sign the chain head with Ed25519; only the matching public key verifies', async () => {
    const { chain } = makeEvents(3);
    const cp = await makeCheckpoint(chain.position(), '2026-01-01T00:00:00.000Z', false, privateKey);
    expect(cp.jws).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(await verifyCheckpoint(cp, publicKey)).toEqual({ ok: true });
    expect((await verifyCheckpoint(cp, other.publicKey)).ok).toBe(false);
    expect(await verifyCheckpoint({ ...cp, seq: 99 }, publicKey)).toEqual({ ok: false, problem: 'signed claims differ from the checkpoint fields' });
    expect(await verifyCheckpoint({ ...cp, jws: null }, publicKey)).toEqual({ ok: false, problem: 'checkpoint is not signed' });
  });

  it('the trail writes interval checkpoints only when the head moved, and a final one at close', async () => {
    const transport = new MemoryTransport();
    const trail = new AuditTrail(transport, { chain: new AuditChain('gw-t'), signingKey: privateKey });
    trail.emit({ type: 'session.start', session: 's1', at: '2026-01-01T00:00:00.000Z' });
    await trail.checkpoint(false);
    await trail.checkpoint(false);
    trail.emit({ type: 'session.end', session: 's1', at: '2026-01-01T00:00:01.000Z' });
    await trail.close();
    expect(transport.written.map((e) => `${e.type}:${e.seq}${e.type === 'audit.checkpoint' ? `:${String(e.final)}` : ''}`)).toEqual([
      'session.start:0',
      'audit.checkpoint:0:false',
      'session.end:1',
      'audit.checkpoint:1:true',
    ]);
    const report = await verifyLines(transport.written, publicKey);
    expect(report).toMatchObject({ ok: true, events: 2, signedCheckpoints: 2, findings: [] });
    expect(verdictLine(report, true)).toBe('verify OK: 2 events, 1 instances, 2/2 checkpoints signature-verified, 0 warnings');
  });
});

describe('verify finds tampering, with positions', () => {
  const setup = async (n = 6) => {
    const { chain, events } = makeEvents(n);
    return { events, cp: await finalCheckpoint(chain) };
  };

  it('passes an untouched trail', async () => {
    const { events, cp } = await setup();
    expect(errorsOf(await verifyLines([...events, cp]))).toEqual([]);
  });

  it('altered: content changed, hash kept', async () => {
    const { events, cp } = await setup();
    const lines: (ChainedEvent | string)[] = [...events];
    lines[2] = JSON.stringify(events[2]).replace('select ? as c2', 'select ? as x2');
    expect(errorsOf(await verifyLines([...lines, cp]))).toEqual([{ kind: 'altered', position: 'audit.jsonl:3', message: 'event gw-test#2 was altered: its content does not match its hash' }]);
  });

  it('altered: content changed and hash recomputed breaks the link to the next event', async () => {
    const { events, cp } = await setup();
    const forged = rehashed({ ...events[2]!, sql: 'select 1' });
    const errors = errorsOf(await verifyLines([...events.slice(0, 2), forged, ...events.slice(3), cp]));
    expect(errors).toEqual([
      { kind: 'altered', position: 'audit.jsonl:3', message: expect.stringMatching(/^chain broken between gw-test#2 at audit.jsonl:3 and #3 at audit.jsonl:4/) as string },
    ]);
  });

  it('altered last event (hash recomputed) is caught by the checkpoint head', async () => {
    const { events, cp } = await setup();
    const forged = rehashed({ ...events[5]!, sql: 'select 1' });
    const errors = errorsOf(await verifyLines([...events.slice(0, 5), forged, cp]));
    expect(errors).toEqual([{ kind: 'altered', position: 'audit.jsonl:6', message: 'event gw-test#5 at audit.jsonl:6 differs from the head the checkpoint at audit.jsonl:7 records' }]);
  });

  it('missing: an event deleted from the middle', async () => {
    const { events, cp } = await setup();
    const errors = errorsOf(await verifyLines([...events.slice(0, 2), ...events.slice(3), cp]));
    expect(errors).toEqual([{ kind: 'missing', position: 'audit.jsonl:3', message: 'event gw-test#2 is missing (between audit.jsonl:2 and audit.jsonl:3)' }]);
  });

  it('reordered: two events swapped', async () => {
    const { events, cp } = await setup();
    const swapped = [events[0]!, events[1]!, events[3]!, events[2]!, events[4]!, events[5]!];
    expect(errorsOf(await verifyLines([...swapped, cp]))).toEqual([
      { kind: 'reordered', position: 'audit.jsonl:4', message: 'event gw-test#2 at audit.jsonl:4 comes after #3 at audit.jsonl:3: reordered' },
    ]);
  });

  it('duplicated: an event stored twice', async () => {
    const { events, cp } = await setup();
    expect(errorsOf(await verifyLines([...events.slice(0, 4), events[1]!, ...events.slice(4), cp]))).toEqual([
      { kind: 'duplicated', position: 'audit.jsonl:5', message: 'event gw-test#1 is duplicated: first at audit.jsonl:2' },
    ]);
  });

  it('inserted: a forged event reusing a seq, and one without chain fields', async () => {
    const { events, cp } = await setup();
    const forged = rehashed({ ...events[3]!, sql: 'select ? as innocent', prevHash: events[2]!.hash });
    const plain = JSON.stringify({ type: 'statement', session: 'ses_x', at: '2026-01-01T00:00:00Z', sql: 'select 1' });
    const errors = errorsOf(await verifyLines([...events.slice(0, 4), forged, plain, ...events.slice(4), cp]));
    expect(errors).toEqual([
      { kind: 'inserted', position: 'audit.jsonl:6', message: 'event without chain fields (type statement): not written by a gateway' },
      { kind: 'inserted', position: 'audit.jsonl:5', message: 'event gw-test#3 at audit.jsonl:5 conflicts with audit.jsonl:4: an inserted or replaced event' },
    ]);
  });

  it('inserted: events after the final checkpoint', async () => {
    const { chain, events } = makeEvents(6);
    const early = await makeCheckpoint({ ...chain.position(), seq: 3, head: events[3]!.hash }, '2026-01-01T00:10:00.000Z', true, undefined);
    const errors = errorsOf(await verifyLines([...events.slice(0, 4), early, ...events.slice(4)]));
    expect(errors).toEqual([{ kind: 'inserted', position: 'audit.jsonl:6', message: '2 events of gw-test follow its final checkpoint at audit.jsonl:5: inserted' }]);
  });

  it('truncated tail: the last events gone, the checkpoint still there', async () => {
    const { events, cp } = await setup();
    expect(errorsOf(await verifyLines([...events.slice(0, 4), cp]))).toEqual([
      { kind: 'truncated', position: 'audit.jsonl:5', message: 'tail truncated: events gw-test#4..5 are missing; the checkpoint at audit.jsonl:5 records the chain up to #5' },
    ]);
  });

  it('unreadable lines are errors; a tail after the last interval checkpoint is a warning only', async () => {
    const { chain, events } = makeEvents(4);
    const mid = await makeCheckpoint({ ...chain.position(), seq: 1, head: events[1]!.hash }, '2026-01-01T00:10:00.000Z', false, undefined);
    const report = await verifyLines([events[0]!, events[1]!, mid, events[2]!, '{oops', events[3]!]);
    expect(errorsOf(report)).toEqual([{ kind: 'unreadable', position: 'audit.jsonl:5', message: 'not JSON' }]);
    expect(report.findings.filter((f) => f.severity === 'warning').map((f) => f.kind)).toEqual(['uncovered']);
  });

  it('with the public key, a rewritten chain fails: unsigned or forged checkpoints do not count', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const attacker = generateKeyPairSync('ed25519');
    const { chain, events } = makeEvents(5);
    const genuine = await finalCheckpoint(chain, privateKey);
    expect((await verifyLines([...events, genuine], publicKey)).ok).toBe(true);

    // Rewrite the whole chain from #2 on: self-consistent, but the signed head no longer matches.
    const rewritten = new AuditChain('gw-test');
    const copy = events.map((e, i) => {
      const { v: _v, instance: _i, seq: _s, prevHash: _p, hash: _h, ...body } = e;
      return rewritten.link(i >= 2 ? { ...body, sql: 'select ? as harmless' } : body);
    });
    const errors = errorsOf(await verifyLines([...copy, genuine], publicKey));
    expect(errors).toEqual([{ kind: 'altered', position: 'audit.jsonl:5', message: 'event gw-test#4 at audit.jsonl:5 differs from the head the checkpoint at audit.jsonl:6 records' }]);

    const forgedCp = await finalCheckpoint(rewritten, attacker.privateKey);
    const report = await verifyLines([...copy, forgedCp], publicKey);
    expect(errorsOf(report).map((e) => e.kind)).toEqual(['checkpoint']);
    expect(errorsOf(report)[0]!.message).toMatch(/bad signature/);
  });
});
