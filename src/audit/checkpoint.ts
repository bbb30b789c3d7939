// Signed checkpoints: a compact JWS (EdDSA over Ed25519, made with jose) whose payload is the
// canonical JSON of {instance, seq, head, time}. Without the private key nobody can make a
// checkpoint for a rewritten chain, so verify with the public key catches a rewrite.
import type { KeyObject } from 'node:crypto';
import { CompactSign, compactVerify } from 'jose';
import { canonicalJson } from './canonical.js';
import type { ChainHead } from './chain.js';
import { AUDIT_EVENT_VERSION, NO_SESSION, type CheckpointEvent } from './event.js';

export interface CheckpointClaims {
  instance: string;
  seq: number;
  head: string;
  time: string;
}

export async function makeCheckpoint(head: ChainHead, at: string, final: boolean, key: KeyObject | undefined): Promise<CheckpointEvent> {
  const claims: CheckpointClaims = { instance: head.instance, seq: head.seq, head: head.head, time: at };
  const jws = key
    ? await new CompactSign(new TextEncoder().encode(canonicalJson(claims))).setProtectedHeader({ alg: 'EdDSA', typ: 'sqlveil-checkpoint' }).sign(key)
    : null;
  return { v: AUDIT_EVENT_VERSION, type: 'audit.checkpoint', session: NO_SESSION, at, instance: head.instance, seq: head.seq, head: head.head, final, jws };
}

export type CheckpointCheck = { ok: true } | { ok: false; problem: string };

/** Checks the signature and that the signed claims are the ones the checkpoint states. */
export async function verifyCheckpoint(cp: CheckpointEvent, key: KeyObject): Promise<CheckpointCheck> {
  if (!cp.jws) return { ok: false, problem: 'checkpoint is not signed' };
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(cp.jws, key, { algorithms: ['EdDSA', 'Ed25519'] }));
  } catch (err) {
    return { ok: false, problem: `bad signature (${err instanceof Error ? err.message : String(err)})` };
  }
  let claims: Partial<CheckpointClaims>;
  try {
    claims = JSON.parse(new TextDecoder().decode(payload)) as Partial<CheckpointClaims>;
  } catch {
    return { ok: false, problem: 'signed payload is not JSON' };
  }
  if (claims.instance !== cp.instance || claims.seq !== cp.seq || claims.head !== cp.head || claims.time !== cp.at) {
    return { ok: false, problem: 'signed claims differ from the checkpoint fields' };
  }
  return { ok: true };
}
