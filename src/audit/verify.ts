// Checks stored audit events against their chains and checkpoints. Records are added in the order
// of their stream (a topic partition by offset, or a file by line); finish() reports, with exact
// positions, every altered, missing, reordered, duplicated or inserted event and a truncated tail.
import type { KeyObject } from 'node:crypto';
import { eventHash, storedEventHash } from './canonical.js';
import { verifyCheckpoint } from './checkpoint.js';
import { GENESIS_HASH, isCheckpoint, type CheckpointEvent } from './event.js';

export interface StoredRecord {
  /** Human-readable place: `topic/partition@offset` or `file:line`. */
  position: string;
  /** The unit whose order is meaningful: `topic/partition`, or the file. */
  stream: string;
  /** Offset or line number within the stream. */
  index: number;
  raw: string;
}

export type FindingKind = 'altered' | 'missing' | 'reordered' | 'duplicated' | 'inserted' | 'truncated' | 'unreadable' | 'checkpoint' | 'uncovered';

export interface Finding {
  severity: 'error' | 'warning';
  kind: FindingKind;
  instance?: string;
  seq?: number;
  position?: string;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  records: number;
  events: number;
  instances: number;
  checkpoints: number;
  signedCheckpoints: number;
  findings: Finding[];
}

interface Entry {
  seq: number;
  hash: string;
  prevHash: string;
  /** The stored hash is the hash of the stored content. */
  intact: boolean;
  position: string;
  stream: string;
  index: number;
}

interface InstanceState {
  entries: Map<number, Entry[]>;
  checkpoints: Map<string, { cp: CheckpointEvent; position: string }>;
}

const MAX_LISTED = 1000;

export class ChainVerifier {
  private readonly instances = new Map<string, InstanceState>();
  private readonly findings: Finding[] = [];
  private records = 0;
  private events = 0;

  add(record: StoredRecord): void {
    this.records++;
    let value: unknown;
    try {
      value = JSON.parse(record.raw);
    } catch {
      this.report({ severity: 'error', kind: 'unreadable', position: record.position, message: 'not JSON' });
      return;
    }
    if (!isObject(value)) {
      this.report({ severity: 'error', kind: 'unreadable', position: record.position, message: 'not a JSON object' });
      return;
    }
    if (isCheckpoint(value)) return this.addCheckpoint(value as unknown as CheckpointEvent, record);
    const { instance, seq, hash, prevHash } = value;
    if (typeof instance !== 'string' || !Number.isSafeInteger(seq) || typeof hash !== 'string' || typeof prevHash !== 'string') {
      this.report({ severity: 'error', kind: 'inserted', position: record.position, message: `event without chain fields (type ${String(value.type)}): not written by a gateway` });
      return;
    }
    this.events++;
    const entry: Entry = { seq: seq as number, hash, prevHash, intact: (value.v === 1 ? eventHash(value) : storedEventHash(record.raw)) === hash, position: record.position, stream: record.stream, index: record.index };
    if (!entry.intact) {
      this.report({ severity: 'error', kind: 'altered', instance, seq: entry.seq, position: record.position, message: `event ${instance}#${entry.seq} was altered: its content does not match its hash` });
    }
    const state = this.stateOf(instance);
    let list = state.entries.get(entry.seq);
    if (!list) state.entries.set(entry.seq, (list = []));
    list.push(entry);
  }

  private addCheckpoint(cp: CheckpointEvent, record: StoredRecord): void {
    if (typeof cp.instance !== 'string' || !Number.isSafeInteger(cp.seq) || typeof cp.head !== 'string') {
      this.report({ severity: 'error', kind: 'checkpoint', position: record.position, message: 'malformed checkpoint' });
      return;
    }
    // The same checkpoint is written to every topic: keep one of each.
    const state = this.stateOf(cp.instance);
    const key = `${cp.seq}|${cp.head}|${String(cp.jws)}|${String(cp.final)}|${cp.at}`;
    if (!state.checkpoints.has(key)) state.checkpoints.set(key, { cp, position: record.position });
  }

  private stateOf(instance: string): InstanceState {
    let state = this.instances.get(instance);
    if (!state) this.instances.set(instance, (state = { entries: new Map(), checkpoints: new Map() }));
    return state;
  }

  private report(finding: Finding): void {
    this.findings.push(finding);
  }

  /** With a public key, only checkpoints it signed count; without one, the chain alone is checked. */
  async finish(publicKey?: KeyObject): Promise<VerifyReport> {
    let checkpoints = 0;
    let signed = 0;
    for (const [instance, state] of this.instances) {
      const trusted: { cp: CheckpointEvent; position: string }[] = [];
      for (const c of state.checkpoints.values()) {
        checkpoints++;
        if (!publicKey) {
          trusted.push(c);
          continue;
        }
        const check = await verifyCheckpoint(c.cp, publicKey);
        if (check.ok) {
          signed++;
          trusted.push(c);
        } else {
          this.report({ severity: 'error', kind: 'checkpoint', instance, seq: c.cp.seq, position: c.position, message: `checkpoint of ${instance} at seq ${c.cp.seq}: ${check.problem}` });
        }
      }
      this.checkInstance(instance, state, trusted, publicKey !== undefined);
    }
    const errors = this.findings.filter((f) => f.severity === 'error').length;
    return { ok: errors === 0, records: this.records, events: this.events, instances: this.instances.size, checkpoints, signedCheckpoints: signed, findings: this.findings };
  }

  private checkInstance(instance: string, state: InstanceState, checkpoints: { cp: CheckpointEvent; position: string }[], keyed: boolean): void {
    const seqs = [...state.entries.keys()].sort((a, b) => a - b);
    const chosen = new Map<number, Entry>();

    // One event per seq: exact copies are duplicates; a different event with a taken seq is inserted.
    for (const seq of seqs) {
      const list = state.entries.get(seq)!;
      const prev = chosen.get(seq - 1);
      const genuine = list.find((e) => e.intact && (!prev || e.prevHash === prev.hash)) ?? list.find((e) => e.intact) ?? list[0]!;
      chosen.set(seq, genuine);
      for (const e of list) {
        if (e === genuine) continue;
        if (e.hash === genuine.hash && e.intact) {
          this.report({ severity: 'error', kind: 'duplicated', instance, seq, position: e.position, message: `event ${instance}#${seq} is duplicated: first at ${genuine.position}` });
        } else if (e.intact) {
          this.report({ severity: 'error', kind: 'inserted', instance, seq, position: e.position, message: `event ${instance}#${seq} at ${e.position} conflicts with ${genuine.position}: an inserted or replaced event` });
        }
      }
    }

    // Gaps and links.
    let missingListed = 0;
    for (let i = 0; i < seqs.length; i++) {
      const seq = seqs[i]!;
      const entry = chosen.get(seq)!;
      if (i === 0 && seq > 0) {
        this.report({ severity: 'error', kind: 'missing', instance, seq: 0, position: entry.position, message: `events ${instance}#0..${seq - 1} are missing (before ${entry.position}; deleted, or past the topic retention)` });
      }
      if (i === 0 && seq === 0 && entry.prevHash !== GENESIS_HASH) {
        this.report({ severity: 'error', kind: 'inserted', instance, seq, position: entry.position, message: `event ${instance}#0 does not start a chain (prevHash is not the genesis value)` });
      }
      if (i === 0) continue;
      const before = seqs[i - 1]!;
      const prev = chosen.get(before)!;
      if (seq > before + 1) {
        if (missingListed++ < MAX_LISTED) {
          const range = seq === before + 2 ? `event ${instance}#${before + 1} is` : `events ${instance}#${before + 1}..${seq - 1} are`;
          this.report({ severity: 'error', kind: 'missing', instance, seq: before + 1, position: entry.position, message: `${range} missing (between ${prev.position} and ${entry.position})` });
        }
        continue;
      }
      if (entry.prevHash !== prev.hash && entry.intact && prev.intact) {
        this.report({
          severity: 'error',
          kind: 'altered',
          instance,
          seq: before,
          position: prev.position,
          message: `chain broken between ${instance}#${before} at ${prev.position} and #${seq} at ${entry.position}: #${before} was altered (hash recomputed) or replaced`,
        });
      }
    }

    this.checkOrder(instance, state, chosen);
    this.checkCheckpoints(instance, seqs, chosen, checkpoints, keyed);
  }

  /** Within one stream an instance's events must appear in seq order. */
  private checkOrder(instance: string, state: InstanceState, chosen: Map<number, Entry>): void {
    const byStream = new Map<string, Entry[]>();
    for (const list of state.entries.values()) {
      for (const e of list) {
        let s = byStream.get(e.stream);
        if (!s) byStream.set(e.stream, (s = []));
        s.push(e);
      }
    }
    for (const list of byStream.values()) {
      list.sort((a, b) => a.index - b.index);
      let highest: Entry | undefined;
      for (const e of list) {
        // Extra copies were reported as duplicated or inserted; only the kept event counts here.
        if (chosen.get(e.seq) !== e) continue;
        if (highest && e.seq < highest.seq) {
          this.report({ severity: 'error', kind: 'reordered', instance, seq: e.seq, position: e.position, message: `event ${instance}#${e.seq} at ${e.position} comes after #${highest.seq} at ${highest.position}: reordered` });
        }
        if (!highest || e.seq > highest.seq) highest = e;
      }
    }
  }

  private checkCheckpoints(instance: string, seqs: number[], chosen: Map<number, Entry>, checkpoints: { cp: CheckpointEvent; position: string }[], keyed: boolean): void {
    const last = seqs.length > 0 ? seqs[seqs.length - 1]! : -1;
    let best: { cp: CheckpointEvent; position: string } | undefined;
    for (const c of checkpoints) {
      if (!best || c.cp.seq > best.cp.seq || (c.cp.seq === best.cp.seq && c.cp.final)) best = c;
      if (c.cp.seq < 0 || c.cp.seq > last) continue;
      const at = chosen.get(c.cp.seq);
      if (at && at.hash !== c.cp.head) {
        this.report({ severity: 'error', kind: 'altered', instance, seq: c.cp.seq, position: at.position, message: `event ${instance}#${c.cp.seq} at ${at.position} differs from the head the checkpoint at ${c.position} records` });
      }
    }
    const signedWord = keyed ? 'signed checkpoint' : 'checkpoint';
    if (!best) {
      if (seqs.length > 0) {
        this.report({ severity: 'warning', kind: 'uncovered', instance, message: `instance ${instance}: no ${signedWord}; its ${seqs.length} events are checked by the chain only (a truncated tail cannot be seen)` });
      }
      return;
    }
    if (best.cp.seq > last) {
      const from = last + 1;
      const range = from === best.cp.seq ? `event ${instance}#${from} is` : `events ${instance}#${from}..${best.cp.seq} are`;
      this.report({
        severity: 'error',
        kind: 'truncated',
        instance,
        seq: from,
        position: best.position,
        message: `tail truncated: ${range} missing; the ${signedWord} at ${best.position} records the chain up to #${best.cp.seq}`,
      });
      return;
    }
    const after = seqs.filter((s) => s > best.cp.seq);
    if (after.length === 0) return;
    if (best.cp.final) {
      const first = chosen.get(after[0]!)!;
      this.report({ severity: 'error', kind: 'inserted', instance, seq: after[0], position: first.position, message: `${after.length} events of ${instance} follow its final checkpoint at ${best.position}: inserted` });
    } else {
      this.report({
        severity: 'warning',
        kind: 'uncovered',
        instance,
        seq: after[0],
        message: `instance ${instance}: ${after.length} events after its last ${signedWord} (#${best.cp.seq}) and no shutdown checkpoint (still running, or stopped without one): a truncated tail there cannot be seen`,
      });
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The one-line verdict the CLI prints last. */
export function verdictLine(report: VerifyReport, keyed: boolean): string {
  const errors = report.findings.filter((f) => f.severity === 'error').length;
  const warnings = report.findings.length - errors;
  const cps = keyed ? `${report.signedCheckpoints}/${report.checkpoints} checkpoints signature-verified` : `${report.checkpoints} checkpoints (signatures not checked: no --public-key)`;
  const summary = `${report.events} events, ${report.instances} instances, ${cps}, ${warnings} warnings`;
  return report.ok ? `verify OK: ${summary}` : `verify FAILED: ${errors} problems; ${summary}`;
}
