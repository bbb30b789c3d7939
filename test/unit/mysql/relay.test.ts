// The MySQL relay on byte fixtures: response structure with and without DEPRECATE_EOF,
// multi-results, prepared statements and cursors, denials, cuts, pipelining, row rewrites, and
// every split of the server's bytes.
import { EventEmitter } from 'node:events';
import type net from 'node:net';
import { describe, expect, it } from 'vitest';
import { Command } from '../../../protocols/mysql/constants.js';
import { PacketWriter } from '../../../protocols/mysql/packet-writer.js';
import { writeEof, writeErr, writeOk } from '../../../protocols/mysql/generic-packets.js';
import { MysqlRelay, type MysqlRelayHooks, type MysqlVerdict } from '../../../protocols/mysql/relay.js';
import { PacketReader } from '../../../protocols/mysql/packet-reader.js';
import type { ColumnDefinition } from '../../../protocols/mysql/column-definition.js';

class FakeSocket extends EventEmitter {
  readonly written: Buffer[] = [];
  paused = false;
  /** write() reports a full buffer (backpressure) while set. */
  full = false;
  write(b: Buffer): boolean {
    this.written.push(Buffer.from(b));
    return !this.full;
  }
  pause(): this {
    this.paused = true;
    return this;
  }
  resume(): this {
    this.paused = false;
    return this;
  }
  end(): this {
    return this;
  }
  feed(b: Buffer): void {
    this.emit('data', b);
  }
  /** Everything written, as packets: [seq, first byte, payload hex]. */
  packets(): { seq: number; payload: string }[] {
    const r = new PacketReader(1 << 26);
    r.push(Buffer.concat(this.written));
    const out: { seq: number; payload: string }[] = [];
    while (r.next()) out.push({ seq: r.seq, payload: r.buf.toString('hex', r.start, r.end) });
    return out;
  }
  take(): Buffer {
    const b = Buffer.concat(this.written);
    this.written.length = 0;
    return b;
  }
}

interface Calls {
  statements: string[];
  columns: ColumnDefinition[][];
  resultEnds: number[];
  idle: number;
  kills: number;
  /** Runs reported ended: context, rows, SQLSTATE, interrupted. */
  ends: { context: unknown; rows: number; sqlState: string | undefined; interrupted: boolean; execute?: boolean; fetch?: boolean }[];
}

function setup(opts: { deprecateEof: boolean; verdict?: (sql: string) => MysqlVerdict | Promise<MysqlVerdict>; rewrite?: boolean; killDelay?: Promise<void> }) {
  const client = new FakeSocket();
  const server = new FakeSocket();
  const calls: Calls = { statements: [], columns: [], resultEnds: [], idle: 0, kills: 0, ends: [] };
  const hooks: MysqlRelayHooks = {
    statement: (sql) => {
      calls.statements.push(sql);
      return opts.verdict ? opts.verdict(sql) : { allow: true };
    },
    columns: (cols) => {
      calls.columns.push(cols);
      if (!opts.rewrite) return undefined;
      return { rewrite: () => Buffer.from([3, 0x2a, 0x2a, 0x2a]) };
    },
    resultEnd: (rows) => calls.resultEnds.push(rows),
    requestEnd: (context, o) => calls.ends.push({ context, rows: o.rows, sqlState: o.sqlState, interrupted: o.interrupted, ...(o.execute ? { execute: true } : {}), ...(o.fetch ? { fetch: true } : {}) }),
    idle: () => calls.idle++,
    rowLimitExceeded: (limit) => ({ errno: 1104, sqlState: '54000', message: `cut at ${limit}` }),
    killQuery: () => {
      calls.kills++;
      return opts.killDelay ?? Promise.resolve();
    },
    quit: () => undefined,
  };
  const errors: Error[] = [];
  const relay = new MysqlRelay(client as unknown as net.Socket, server as unknown as net.Socket, hooks, { maxClientPayload: 1 << 20, maxServerPayload: 1 << 26, deprecateEof: opts.deprecateEof }, (e) => errors.push(e));
  relay.start();
  return { client, server, calls, relay, errors };
}

const w = new PacketWriter();
function pkt(seq: number, build: (w: PacketWriter) => void): Buffer {
  w.begin(seq);
  build(w);
  w.end();
  return w.take();
}
const query = (sql: string) => pkt(0, (x) => x.int1(Command.QUERY).string(sql));
const colDef = (seq: number, name: string, type = 0xfd) =>
  pkt(seq, (x) => x.lenencString('def').lenencString('clinic').lenencString('t').lenencString('patients').lenencString(name).lenencString(name).lenenc(0x0c).int2(45).int4(80).int1(type).int2(0).int1(0).int2(0));
const textRow = (seq: number, ...cells: string[]) => pkt(seq, (x) => cells.forEach((c) => x.lenencString(c)));
const eof = (seq: number, status = 2) => {
  writeEof(w, seq, status);
  return w.take();
};
const okEnd = (seq: number, status = 2) => {
  writeOk(w, seq, { status }, 0xfe);
  return w.take();
};
const ok = (seq: number, status = 2) => {
  writeOk(w, seq, { status });
  return w.take();
};

/** A text result of two columns and three rows, EOF-style (no DEPRECATE_EOF). */
const classicResult = Buffer.concat([pkt(1, (x) => x.lenenc(2)), colDef(2, 'id'), colDef(3, 'ssn'), eof(4), textRow(5, '1', 'a'), textRow(6, '2', 'b'), textRow(7, '3', 'c'), eof(8)]);

describe('MySQL relay', () => {
  it('forwards a classic (EOF) text result unchanged, for every split of the server bytes', () => {
    for (let i = 1; i < classicResult.length; i++) {
      const t = setup({ deprecateEof: false });
      t.client.feed(query('select id, ssn from patients'));
      expect(t.server.take().equals(query('select id, ssn from patients'))).toBe(true);
      t.server.feed(classicResult.subarray(0, i));
      t.server.feed(classicResult.subarray(i));
      expect(t.client.take().equals(classicResult), `split at ${i}`).toBe(true);
      expect(t.calls.columns.map((c) => c.map((d) => d.orgName))).toEqual([['id', 'ssn']]);
      expect(t.calls.resultEnds).toEqual([3]);
      expect(t.calls.idle).toBe(1);
      expect(t.relay.idle).toBe(true);
    }
  });

  it('follows MORE_RESULTS across result sets under DEPRECATE_EOF', () => {
    const t = setup({ deprecateEof: true });
    t.client.feed(query('select 1; update x; select 2'));
    const response = Buffer.concat([
      pkt(1, (x) => x.lenenc(1)), colDef(2, 'a'), textRow(3, '1'), okEnd(4, 0x0a),
      ok(5, 0x0a),
      pkt(6, (x) => x.lenenc(1)), colDef(7, 'b'), textRow(8, '2'), textRow(9, '3'), okEnd(10, 0x02),
    ]);
    t.server.feed(response);
    expect(t.client.take().equals(response)).toBe(true);
    expect(t.calls.resultEnds).toEqual([1, 2]);
    expect(t.calls.idle).toBe(1);
  });

  it('reports the end of each run with its rows and the SQLSTATE of an ERR; a run cut short by stop() as interrupted', () => {
    const ctx = { statement: 'q' };
    const t = setup({ deprecateEof: true, verdict: () => ({ allow: true, context: ctx }) });
    t.client.feed(query('select 1; select 2'));
    t.server.feed(Buffer.concat([pkt(1, (x) => x.lenenc(1)), colDef(2, 'a'), textRow(3, '1'), okEnd(4, 0x0a), pkt(5, (x) => x.lenenc(1)), colDef(6, 'b'), textRow(7, '2'), textRow(8, '3'), okEnd(9, 0x02)]));
    t.client.feed(query('select nope'));
    t.server.feed(pkt(1, (x) => x.int1(0xff).int2(1054).string('#42S22Unknown column')));
    t.client.feed(query('select sleep(10)'));
    t.relay.stop();
    expect(t.calls.ends).toEqual([
      { context: ctx, rows: 3, sqlState: undefined, interrupted: false },
      { context: ctx, rows: 0, sqlState: '42S22', interrupted: false },
      { context: ctx, rows: 0, sqlState: undefined, interrupted: true },
    ]);
  });

  it('holds pipelined commands until the response in flight is complete', () => {
    const t = setup({ deprecateEof: true });
    t.client.feed(Buffer.concat([query('select 1'), query('select 2')]));
    expect(t.server.take().equals(query('select 1'))).toBe(true);
    expect(t.client.paused).toBe(true);
    t.server.feed(Buffer.concat([pkt(1, (x) => x.lenenc(1)), colDef(2, 'a'), textRow(3, '1'), okEnd(4)]));
    expect(t.server.take().equals(query('select 2'))).toBe(true);
    expect(t.calls.statements).toEqual(['select 1', 'select 2']);
  });

  it('answers a denial with an ERR (sequence 1) and sends nothing upstream; an async decision keeps order', async () => {
    let release!: (v: MysqlVerdict) => void;
    const t = setup({
      deprecateEof: true,
      verdict: (sql) => (sql === 'slow' ? new Promise<MysqlVerdict>((r) => (release = r)) : sql === 'bad' ? { allow: false, error: { errno: 1142, sqlState: '42501', message: 'no' } } : { allow: true }),
    });
    t.client.feed(query('bad'));
    expect(t.server.written).toHaveLength(0);
    const err = t.client.packets();
    expect(err).toHaveLength(1);
    expect(err[0]!.seq).toBe(1);
    expect(err[0]!.payload.startsWith('ff7604')).toBe(true);
    t.client.take();
    t.client.feed(Buffer.concat([query('slow'), query('after')]));
    expect(t.server.written).toHaveLength(0);
    release({ allow: true });
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    expect(t.server.take().equals(query('slow'))).toBe(true); // 'after' waits for slow's response
    t.server.feed(ok(1));
    expect(t.server.take().equals(query('after'))).toBe(true);
  });

  it('cuts rows over the limit: the allowed rows, one ERR, the rest dropped, KILL before the next command', async () => {
    let killed!: () => void;
    const t = setup({ deprecateEof: false, verdict: () => ({ allow: true, maxRows: 2 }), killDelay: new Promise<void>((r) => (killed = r)) });
    t.client.feed(query('select id, ssn from patients'));
    t.server.take();
    t.server.feed(classicResult.subarray(0, classicResult.length - 20)); // up to the third row
    t.client.feed(query('select 9'));
    t.server.feed(classicResult.subarray(classicResult.length - 20));
    const got = t.client.packets();
    expect(got.map((p) => p.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(got[6]!.payload.startsWith('ff5004')).toBe(true); // 1104
    expect(t.calls.kills).toBe(1);
    expect(t.server.written).toHaveLength(0); // the next command waits for the KILL
    killed();
    await new Promise((r) => setImmediate(r));
    expect(t.server.take().equals(query('select 9'))).toBe(true);
  });

  it('rewrites rows keeping their sequence ids', () => {
    const t = setup({ deprecateEof: false, rewrite: true });
    t.client.feed(query('select'));
    t.server.feed(classicResult);
    const got = t.client.packets();
    expect(got.map((p) => p.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(got[4]!.payload).toBe('032a2a2a');
  });

  it('remembers allowed prepared statements, refuses unknown ids, and follows cursors (EOF-style)', () => {
    const t = setup({ deprecateEof: false, verdict: (sql) => ({ allow: true, maxRows: sql.includes('limited') ? 1 : undefined, context: sql }) });
    const prepare = pkt(0, (x) => x.int1(Command.STMT_PREPARE).string('select ssn from patients where id = ?'));
    t.client.feed(prepare);
    t.server.take();
    const prepareOk = Buffer.concat([pkt(1, (x) => x.int1(0).int4(7).int2(1).int2(1).int1(0).int2(0)), colDef(2, '?'), eof(3), colDef(4, 'ssn'), eof(5)]);
    t.server.feed(prepareOk);
    expect(t.client.take().equals(prepareOk)).toBe(true);
    expect(t.relay.idle).toBe(true);
    // EXECUTE of an id never prepared: refused here.
    t.client.feed(pkt(0, (x) => x.int1(Command.STMT_EXECUTE).int4(8).int1(0).int4(1)));
    expect(t.server.written).toHaveLength(0);
    expect(t.client.packets()[0]!.payload.startsWith('ffdb04')).toBe(true); // 1243
    t.client.take();
    // EXECUTE with a read-only cursor: the response ends at the EOF carrying CURSOR_EXISTS.
    const execute = pkt(0, (x) => x.int1(Command.STMT_EXECUTE).int4(7).int1(1).int4(1));
    t.client.feed(execute);
    expect(t.server.take().equals(execute)).toBe(true);
    t.server.feed(Buffer.concat([pkt(1, (x) => x.lenenc(1)), colDef(2, 'ssn'), eof(3, 0x42)]));
    expect(t.relay.idle).toBe(true);
    t.client.take();
    // FETCH: binary rows with the cursor's columns, then EOF.
    const fetch = pkt(0, (x) => x.int1(Command.STMT_FETCH).int4(7).int4(10));
    t.client.feed(fetch);
    expect(t.server.take().equals(fetch)).toBe(true);
    const rows = Buffer.concat([pkt(1, (x) => x.int1(0).int1(0).lenencString('900-11-0001')), pkt(2, (x) => x.int1(0).int1(0).lenencString('900-11-0002')), eof(3, 0x82)]);
    t.server.feed(rows);
    expect(t.client.take().equals(rows)).toBe(true);
    expect(t.calls.columns.at(-1)!.map((c) => c.name)).toEqual(['ssn']);
    expect(t.calls.resultEnds.at(-1)).toBe(2);
    // The audit hears of the execution (no rows: the cursor holds them) and of the fetch (its rows).
    const sql = 'select ssn from patients where id = ?';
    expect(t.calls.ends).toEqual([
      { context: sql, rows: 0, sqlState: undefined, interrupted: false, execute: true },
      { context: sql, rows: 2, sqlState: undefined, interrupted: false, fetch: true },
    ]);
    // CLOSE forgets the statement: a later EXECUTE is refused without reaching the server.
    t.client.feed(pkt(0, (x) => x.int1(Command.STMT_CLOSE).int4(7)));
    t.server.take();
    t.client.feed(execute);
    expect(t.server.written).toHaveLength(0);
  });

  it('refuses a LOCAL INFILE request: an empty file upstream, an ERR to the client', () => {
    const t = setup({ deprecateEof: true });
    t.client.feed(query('load data local infile "x" into table t'));
    t.server.take();
    t.server.feed(pkt(1, (x) => x.int1(0xfb).string('x')));
    expect(t.server.packets()).toEqual([{ seq: 2, payload: '' }]);
    t.server.feed(ok(3));
    const got = t.client.packets();
    expect(got).toHaveLength(1);
    expect(got[0]!.seq).toBe(1);
    expect(Buffer.from(got[0]!.payload, 'hex').toString()).toMatch(/LOAD DATA LOCAL INFILE is not allowed/);
    expect(t.relay.idle).toBe(true);
  });

  it('refuses COM_CHANGE_USER and unknown commands without reaching the server', () => {
    const t = setup({ deprecateEof: true });
    t.client.feed(pkt(0, (x) => x.int1(Command.CHANGE_USER).cstring('root')));
    t.client.feed(pkt(0, (x) => x.int1(Command.BINLOG_DUMP)));
    expect(t.server.written).toHaveLength(0);
    const got = t.client.packets().map((p) => Buffer.from(p.payload, 'hex').readUInt16LE(1));
    expect(got).toEqual([1235, 1047]);
  });

  it('treats a command packet with a non-zero sequence id as a protocol error', () => {
    const t = setup({ deprecateEof: true });
    t.client.feed(pkt(3, (x) => x.int1(Command.PING)));
    expect(t.errors[0]?.message).toMatch(/out of order/);
  });

  it('pauses the server while the client cannot take more, and resumes on drain', () => {
    const t = setup({ deprecateEof: false });
    t.client.feed(query('select'));
    t.client.full = true;
    t.server.feed(classicResult.subarray(0, 40));
    expect(t.server.paused).toBe(true);
    t.client.full = false;
    t.client.emit('drain');
    expect(t.server.paused).toBe(false);
    t.server.feed(classicResult.subarray(40));
    expect(t.client.take().equals(classicResult)).toBe(true);
  });

  it('pauses the client while the server cannot take more', () => {
    const t = setup({ deprecateEof: true });
    t.server.full = true;
    t.client.feed(query('select 1'));
    expect(t.client.paused).toBe(true);
    t.server.emit('drain');
    t.server.feed(ok(1));
    expect(t.client.paused).toBe(false);
  });

  it('forwards SEND_LONG_DATA only for a prepared statement, with no reply either way', () => {
    const t = setup({ deprecateEof: true });
    t.client.feed(pkt(0, (x) => x.int1(Command.STMT_PREPARE).string('insert into t values (?)')));
    t.server.take();
    t.server.feed(Buffer.concat([pkt(1, (x) => x.int1(0).int4(3).int2(0).int2(1).int1(0).int2(0)), colDef(2, '?')]));
    expect(t.relay.idle).toBe(true);
    const known = pkt(0, (x) => x.int1(Command.STMT_SEND_LONG_DATA).int4(3).int2(0).string('chunk'));
    const unknown = pkt(0, (x) => x.int1(Command.STMT_SEND_LONG_DATA).int4(4).int2(0).string('chunk'));
    t.client.take();
    t.client.feed(Buffer.concat([known, unknown]));
    expect(t.server.take().equals(known)).toBe(true);
    expect(t.client.written).toHaveLength(0);
    expect(t.relay.idle).toBe(true);
  });

  it('decides COM_INIT_DB and COM_FIELD_LIST as the statements they stand for, and reads their replies', () => {
    const t = setup({ deprecateEof: true });
    t.client.feed(pkt(0, (x) => x.int1(Command.INIT_DB).string('my`db')));
    t.server.feed(ok(1));
    t.client.feed(pkt(0, (x) => x.int1(Command.FIELD_LIST).cstring('patients').string('%')));
    t.server.feed(Buffer.concat([colDef(1, 'id'), colDef(2, 'ssn'), eof(3)]));
    t.client.feed(pkt(0, (x) => x.int1(Command.SET_OPTION).int2(0)));
    t.server.feed(eof(1));
    expect(t.calls.statements).toEqual(['USE `my``db`', 'SHOW COLUMNS FROM `patients`']);
    expect(t.relay.idle).toBe(true);
    expect(t.server.packets().map((p) => p.payload.slice(0, 2))).toEqual(['02', '04', '1b']);
  });

  it('passes server errors through and ends the response', () => {
    const t = setup({ deprecateEof: true });
    t.client.feed(query('select * from nope'));
    writeErr(w, 1, { errno: 1146, sqlState: '42S02', message: "Table 'nope' doesn't exist" });
    const err = w.take();
    t.server.feed(err);
    expect(t.client.take().equals(err)).toBe(true);
    expect(t.relay.idle).toBe(true);
  });
});

describe('MySQL relay: results bind to the statement that produced them', () => {
  function binding(deprecateEof: boolean) {
    const indexes: number[] = [];
    const oks: number[] = [];
    const refused: string[] = [];
    const ctx = { statement: 'multi' };
    const t = setup({ deprecateEof, verdict: () => ({ allow: true, context: ctx }) });
    const hooks = (t.relay as unknown as { hooks: MysqlRelayHooks }).hooks;
    hooks.columns = (_cols, _format, _context, index) => {
      indexes.push(index);
      return undefined;
    };
    hooks.statementOk = (context, index) => {
      expect(context).toBe(ctx);
      oks.push(index);
    };
    hooks.refused = (what) => refused.push(what);
    return { ...t, indexes, oks, refused };
  }

  it('counts OK packets and result sets alike (SET; SELECT; DO; SELECT), DEPRECATE_EOF and classic EOF', () => {
    for (const deprecateEof of [true, false]) {
      const t = binding(deprecateEof);
      t.client.feed(query('set @a = 1; select 1; do 1; select 2'));
      const result = (seq: number, status: number) =>
        deprecateEof
          ? [pkt(seq, (x) => x.lenenc(1)), colDef(seq + 1, 'a'), textRow(seq + 2, '1'), okEnd(seq + 3, status)]
          : [pkt(seq, (x) => x.lenenc(1)), colDef(seq + 1, 'a'), eof(seq + 2), textRow(seq + 3, '1'), eof(seq + 4, status)];
      t.server.feed(Buffer.concat([ok(1, 0x0a), ...result(2, 0x0a), ok(8, 0x0a), ...result(9, 0x02)]));
      expect(t.indexes, `deprecateEof ${deprecateEof}`).toEqual([1, 3]);
      expect(t.oks).toEqual([0, 2]);
      expect(t.calls.idle).toBe(1);
    }
  });

  it('an ERR ends the string: the next command starts from statement 0 again', () => {
    const t = binding(true);
    t.client.feed(query('set @a = 1; select nope; select 2'));
    t.server.feed(Buffer.concat([ok(1, 0x0a), pkt(2, (x) => x.int1(0xff).int2(1054).string('#42S22Unknown column'))]));
    t.client.feed(query('select 3'));
    t.server.feed(Buffer.concat([pkt(1, (x) => x.lenenc(1)), colDef(2, 'a'), textRow(3, '3'), okEnd(4)]));
    expect(t.oks).toEqual([0]);
    expect(t.indexes).toEqual([0]);
  });

  it('reports its own refusals to the session (COM_CHANGE_USER, COM_PROCESS_KILL, unknown commands and statement ids)', () => {
    const t = binding(true);
    t.client.feed(pkt(0, (x) => x.int1(Command.CHANGE_USER).string('x')));
    t.client.feed(pkt(0, (x) => x.int1(Command.PROCESS_KILL).int4(5)));
    t.client.feed(pkt(0, (x) => x.int1(0x1d)));
    t.client.feed(pkt(0, (x) => x.int1(Command.STMT_EXECUTE).int4(77).int1(0).int4(1)));
    expect(t.refused).toEqual(['COM_CHANGE_USER', 'COM_PROCESS_KILL', 'COM 0x1d', 'COM_STMT_EXECUTE of an unknown statement']);
    expect(t.server.written).toHaveLength(0);
  });

  it('a refused PREPARE leaves no "last prepared statement" behind (MariaDB id 0xffffffff)', () => {
    const t = binding(true);
    t.client.feed(pkt(0, (x) => x.int1(Command.STMT_PREPARE).string('select 1')));
    t.server.feed(pkt(1, (x) => x.int1(0).int4(1).int2(0).int2(0).int1(0).int2(0)));
    t.server.take();
    t.client.feed(pkt(0, (x) => x.int1(Command.STMT_PREPARE).string('select nope')));
    t.server.feed(pkt(1, (x) => x.int1(0xff).int2(1054).string('#42S22Unknown column')));
    t.server.take();
    t.client.feed(pkt(0, (x) => x.int1(Command.STMT_EXECUTE).int4(0xffffffff).int1(0).int4(1)));
    expect(t.server.written).toHaveLength(0);
    expect(t.refused).toEqual(['COM_STMT_EXECUTE of an unknown statement']);
  });
});
