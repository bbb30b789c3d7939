// The MySQL command phase: relays packets between an authenticated client and its upstream
// connection and adapts them to a few hooks (statement, result columns, rows, idle). It knows
// bytes and the order of packets (MySQL docs, "Command Phase"), nothing of policy.
//
// MySQL is one command, then its whole response: the relay follows each response's structure
// (result sets, column definitions, rows, EOF/OK, MORE_RESULTS) so it knows which rows belong
// to which columns, when a response ends, and where a cut result must stop. Client commands
// that arrive while a response is in flight wait, in order.
import type net from 'node:net';
import { OutputBatch } from '../postgres/output-batch.js';
import { Command, ErrorCode, Header, ServerStatus } from './constants.js';
import { readColumnDefinition } from './column-definition.js';
import { ColumnShapeCache, expectResponse, type Expect, type ResponseKind } from './expected-response.js';
import type { MysqlRelayHooks, MysqlRelayOptions, MysqlRowRewriter, MysqlVerdict } from './relay-hooks.js';
import { endStatus, isEndOfRows, readErr, readOk, writeErr, type ErrPacket } from './generic-packets.js';
import { MysqlProtocolError, PacketReader } from './packet-reader.js';
import { PacketWriter } from './packet-writer.js';
import { PayloadReader } from './payload-reader.js';
import { readExecuteFlags, readPrepareOk, readStatementId } from './prepared.js';
import { StatementRegistry, type PreparedEntry } from './statement-registry.js';

export type { MysqlRelayHooks, MysqlRelayOptions, MysqlResultRefusal, MysqlRowRewriter, MysqlVerdict } from './relay-hooks.js';

const PREPARE_STATEMENT = 'prepare';

export class MysqlRelay {
  private readonly fromClient: PacketReader;
  private readonly fromServer: PacketReader;
  private readonly statements = new StatementRegistry();
  private readonly toServer = new OutputBatch();
  private readonly toClient = new OutputBatch();
  private readonly writer = new PacketWriter(256);
  private expect: Expect | undefined;
  private waitingVerdict = false;
  /** A KILL QUERY for a cut result is in flight: the next command waits for it. */
  private killing = false;
  private rewriter: MysqlRowRewriter | undefined;
  private closed = false;
  private resumeClient = false;
  private clientPaused = false;
  private readonly shapes = new ColumnShapeCache();

  constructor(
    private readonly client: net.Socket,
    private readonly server: net.Socket,
    private readonly hooks: MysqlRelayHooks,
    private readonly options: MysqlRelayOptions,
    private readonly onFatal: (err: Error, side: 'client' | 'server') => void,
  ) {
    this.fromClient = new PacketReader(options.maxClientPayload);
    this.fromServer = new PacketReader(options.maxServerPayload);
  }

  /** Starts relaying; `pending` holds client bytes that arrived before the upstream was ready. */
  start(pending?: Buffer): void {
    this.client.on('data', (chunk: Buffer) => this.onClientData(chunk));
    this.server.on('data', (chunk: Buffer) => this.onServerData(chunk));
    if (pending && pending.length > 0) this.onClientData(pending);
  }

  /** True when no command is in flight. */
  get idle(): boolean {
    return this.expect === undefined && !this.waitingVerdict && !this.killing && this.fromClient.holding === 0;
  }

  stop(): void {
    this.closed = true;
    // A run the session will never see end is audited as interrupted.
    if (this.expect) this.endRequest(this.expect, true);
  }

  /** Reports the end of a statement's run, or of a cursor FETCH (its rows); not of a PREPARE or a command outside SQL. */
  private endRequest(e: Expect, interrupted = false): void {
    if (e.startedAt === 0 || e.context === undefined || e.kind === 'prepare') return;
    const startedAt = e.startedAt;
    e.startedAt = 0;
    const fetch = e.kind === 'fetch';
    this.hooks.requestEnd(e.context, { rows: e.totalRows, startedAt, sqlState: e.sqlState, execute: e.entry !== undefined && !fetch, fetch, interrupted });
  }

  // ---- client -> server ----

  private get clientHeld(): boolean {
    return this.waitingVerdict || this.expect !== undefined || this.killing;
  }

  private onClientData(chunk: Buffer): void {
    if (this.closed) return;
    this.fromClient.push(chunk);
    if (this.clientHeld) {
      // A pipelining client: stop reading until the response in flight is complete.
      this.pauseClient();
      return;
    }
    this.drainClient();
  }

  private pauseClient(): void {
    if (this.clientPaused) return;
    this.clientPaused = true;
    this.client.pause();
  }

  private resumeClientSocket(): void {
    if (!this.clientPaused) return;
    this.clientPaused = false;
    this.client.resume();
  }

  private drainClient(): void {
    const r = this.fromClient;
    try {
      while (!this.clientHeld && !this.closed && r.next()) {
        if (r.seq !== 0) throw new MysqlProtocolError(`command packet out of order (sequence id ${r.seq})`);
        const verdict = this.command(r);
        if (verdict) {
          // Hold everything behind this command until the decision arrives.
          this.waitingVerdict = true;
          this.pauseClient();
          const wire = Buffer.from(r.wire.subarray(r.wireStart, r.wireEnd));
          const { command, lastSeq } = { command: r.first, lastSeq: r.lastSeq };
          verdict.promise.then(
            (v) => this.resumeAfterVerdict(command, lastSeq, wire, verdict.via, v),
            (err: unknown) => this.onFatal(err instanceof Error ? err : new Error(String(err)), 'client'),
          );
          break;
        }
      }
    } catch (err) {
      this.flush();
      this.onFatal(err instanceof Error ? err : new Error(String(err)), 'client');
      return;
    }
    this.flush();
    if (!this.clientHeld) this.resumeClientSocket();
    else if (this.fromClient.unread > 0) this.pauseClient(); // a pipelining client waits for the response in flight
  }

  private resumeAfterVerdict(command: number, lastSeq: number, wire: Buffer, via: string, v: MysqlVerdict): void {
    if (this.closed) return;
    this.waitingVerdict = false;
    this.applyVerdict(command, lastSeq, wire, 0, wire.length, via === PREPARE_STATEMENT ? 'prepare' : 'query', v);
    this.flush();
    this.drainClient();
  }

  private flush(): void {
    if (!this.toServer.empty && !this.toServer.flushTo(this.server)) this.backpressure(this.client, this.server);
    if (!this.toClient.empty && !this.toClient.flushTo(this.client)) this.backpressure(this.server, this.client);
  }

  /** Stops reading `source` until `sink` has drained: memory stays flat whatever the result size. */
  private backpressure(source: net.Socket, sink: net.Socket): void {
    if (source === this.client) this.pauseClient();
    else source.pause();
    sink.once('drain', () => {
      if (source === this.client) {
        if (!this.clientHeld) this.resumeClientSocket();
      } else source.resume();
    });
  }

  /** A command the relay refuses itself: the client gets an ERR, the session audits it. */
  private refuseCommand(what: string, lastSeq: number, err: ErrPacket): void {
    this.hooks.refused?.(what, err, undefined);
    this.refuse(lastSeq, err);
  }

  /** An ERR for the client in place of the response to its command. */
  private refuse(lastSeq: number, err: ErrPacket): void {
    writeErr(this.writer, lastSeq + 1, err);
    this.toClient.addOwn(this.writer.take());
  }

  /** Handles one client command; returns a pending decision when a hook answers later. */
  private command(r: PacketReader): { promise: Promise<MysqlVerdict>; via: string } | undefined {
    const { buf, start, end, lastSeq } = r;
    const cmd = r.first;
    switch (cmd) {
      case Command.QUERY:
      case Command.STMT_PREPARE: {
        const via = cmd === Command.QUERY ? 'query' : 'prepare';
        const v = this.hooks.statement(buf.toString('utf8', start + 1, end), via);
        if (v instanceof Promise) return { promise: v, via };
        this.applyVerdict(cmd, lastSeq, r.wire, r.wireStart, r.wireEnd, via, v);
        return undefined;
      }
      case Command.INIT_DB: {
        const db = buf.toString('utf8', start + 1, end);
        const v = this.hooks.statement(`USE ${quoteIdentifier(db)}`, 'init-db');
        if (v instanceof Promise) return { promise: v, via: 'init-db' };
        this.applyVerdict(cmd, lastSeq, r.wire, r.wireStart, r.wireEnd, 'query', v);
        return undefined;
      }
      case Command.FIELD_LIST: {
        const table = new PayloadReader(buf, start + 1, end).cstringOrRest();
        const v = this.hooks.statement(`SHOW COLUMNS FROM ${quoteIdentifier(table)}`, 'field-list');
        if (v instanceof Promise) return { promise: v, via: 'field-list' };
        this.applyVerdict(cmd, lastSeq, r.wire, r.wireStart, r.wireEnd, 'query', v);
        return undefined;
      }
      case Command.STMT_EXECUTE:
      case Command.STMT_FETCH:
      case Command.STMT_RESET: {
        const entry = this.statements.get(readStatementId(buf, start, end));
        if (!entry) {
          this.refuseCommand(`COM_STMT_${cmd === Command.STMT_EXECUTE ? 'EXECUTE' : cmd === Command.STMT_FETCH ? 'FETCH' : 'RESET'} of an unknown statement`, lastSeq, unknownStatement());
          return undefined;
        }
        if (cmd === Command.STMT_RESET) this.send(r, 'single', lastSeq, entry);
        else if (cmd === Command.STMT_FETCH) {
          const e = this.send(r, 'fetch', lastSeq, entry);
          e.phase = 'rows';
          e.format = 'binary';
          e.columns = entry.cursorColumns ?? [];
          e.rowsBefore = entry.cursorRows;
          this.startRows(e);
        } else {
          const e = this.send(r, 'results', lastSeq, entry);
          e.format = 'binary';
          e.cursor = (readExecuteFlags(buf, start, end) & 0x01) !== 0;
          entry.cursorColumns = undefined;
          entry.cursorRows = 0;
        }
        return undefined;
      }
      case Command.STMT_CLOSE:
      case Command.STMT_SEND_LONG_DATA: {
        // No response. An unknown id is dropped: its EXECUTE will be refused anyway.
        const id = readStatementId(buf, start, end);
        if (!this.statements.get(id)) return undefined;
        if (cmd === Command.STMT_CLOSE) this.statements.closed(id);
        this.toServer.add(r.wire, r.wireStart, r.wireEnd);
        return undefined;
      }
      case Command.PING:
      case Command.STATISTICS:
      case Command.SET_OPTION:
        this.send(r, 'single', lastSeq, undefined);
        return undefined;
      case Command.RESET_CONNECTION:
        // The server drops its prepared statements; so does the gateway.
        this.statements.clear();
        this.send(r, 'single', lastSeq, undefined);
        return undefined;
      case Command.QUIT:
        this.toServer.add(r.wire, r.wireStart, r.wireEnd);
        this.flush();
        this.closed = true;
        this.hooks.quit();
        return undefined;
      case Command.CHANGE_USER:
        this.refuseCommand('COM_CHANGE_USER', lastSeq, {
          errno: ErrorCode.NOT_SUPPORTED_YET,
          sqlState: '0A000',
          message: 'sqlveil: COM_CHANGE_USER is not supported: the session identity is its token. Open a new connection with the other token.',
        });
        return undefined;
      case Command.PROCESS_KILL:
        this.refuseCommand('COM_PROCESS_KILL', lastSeq, { errno: ErrorCode.NOT_SUPPORTED_YET, sqlState: '0A000', message: 'sqlveil: COM_PROCESS_KILL is not supported: send the statement KILL QUERY <id> instead' });
        return undefined;
      default:
        this.refuseCommand(`COM 0x${cmd.toString(16)}`, lastSeq, { errno: ErrorCode.UNKNOWN_COM, sqlState: '08S01', message: `sqlveil: command 0x${cmd.toString(16)} is not supported through the gateway` });
        return undefined;
    }
  }

  private applyVerdict(cmd: number, lastSeq: number, wire: Buffer, wireStart: number, wireEnd: number, via: 'query' | 'prepare', v: MysqlVerdict): void {
    if (!v.allow) {
      this.refuse(lastSeq, v.error);
      return;
    }
    const limit = v.maxRows ?? Infinity;
    let e: Expect;
    if (v.replaceSql !== undefined && cmd === Command.QUERY) {
      this.writer.begin(0).int1(Command.QUERY).string(v.replaceSql).end();
      this.toServer.addOwn(this.writer.take());
      e = this.expectFor('results', lastSeq, undefined);
    } else {
      this.toServer.add(wire, wireStart, wireEnd);
      const kind: ResponseKind = cmd === Command.FIELD_LIST ? 'field-list' : cmd === Command.INIT_DB ? 'single' : via === 'prepare' ? 'prepare' : 'results';
      e = this.expectFor(kind, lastSeq, undefined);
    }
    e.limit = limit;
    e.context = v.context;
  }

  /** Forwards a command and expects its response. */
  private send(r: PacketReader, kind: ResponseKind, lastSeq: number, entry: PreparedEntry | undefined): Expect {
    this.toServer.add(r.wire, r.wireStart, r.wireEnd);
    const e = this.expectFor(kind, lastSeq, entry);
    if (entry) e.limit = entry.limit;
    return e;
  }

  private expectFor(kind: ResponseKind, lastSeq: number, entry: PreparedEntry | undefined): Expect {
    const e = expectResponse(kind, lastSeq, entry);
    this.expect = e;
    return e;
  }

  // ---- server -> client ----

  private onServerData(chunk: Buffer): void {
    if (this.closed) return;
    const r = this.fromServer;
    r.push(chunk);
    try {
      while (r.next()) this.serverPacket(r);
    } catch (err) {
      this.toClient.flushTo(this.client);
      this.onFatal(err instanceof Error ? err : new Error(String(err)), 'server');
      return;
    }
    if (!this.toClient.empty && !this.toClient.flushTo(this.client)) this.backpressure(this.server, this.client);
    if (this.resumeClient) {
      this.resumeClient = false;
      this.drainClient();
    }
  }

  private forward(r: PacketReader, e: Expect): void {
    // An ERR ends the response: its SQLSTATE goes to the run's audit event, kept or not.
    const err = r.first === Header.ERR ? readErr(r.buf, r.start, r.end) : undefined;
    if (err) e.sqlState ??= err.sqlState;
    if (e.discard) return;
    if (err && this.hooks.serverError && this.forwardErr(r, err, e.context)) {
      e.clientSeq = r.lastSeq;
      return;
    }
    this.toClient.add(r.wire, r.wireStart, r.wireEnd);
    e.clientSeq = r.lastSeq;
  }

  /** An ERR from the server, rewritten when the session asks (same sequence id); true when sent here. */
  private forwardErr(r: PacketReader, err: ErrPacket, context: unknown): boolean {
    const rewritten = this.hooks.serverError!(err, context);
    if (!rewritten) return false;
    writeErr(this.writer, r.seq, rewritten);
    this.toClient.addOwn(this.writer.take());
    return true;
  }

  private serverPacket(r: PacketReader): void {
    const e = this.expect;
    if (!e) {
      // Unsolicited (a server going away says why): the client reads it as an error.
      this.toClient.add(r.wire, r.wireStart, r.wireEnd);
      return;
    }
    const { buf, start, end } = r;
    const head = r.first;
    switch (e.phase) {
      case 'first':
        return this.firstPacket(r, e, head);
      case 'columns': {
        e.columns.push(this.shapes.definition(buf, start, end, e.columns.length));
        this.forward(r, e);
        if (e.columns.length < e.columnCount) return;
        e.columns = this.shapes.shape(e.columns);
        if (this.options.deprecateEof) this.startRows(e);
        else e.phase = 'columns-eof';
        return;
      }
      case 'columns-eof': {
        const status = endStatus(buf, start, end, false);
        this.forward(r, e);
        if (e.cursor && status & ServerStatus.CURSOR_EXISTS) {
          if (e.entry) e.entry.cursorColumns = e.columns;
          return this.done(e);
        }
        this.startRows(e);
        return;
      }
      case 'rows':
        return this.rowPacket(r, e, head);
      case 'prepare-params':
      case 'prepare-columns':
        return this.preparePacket(r, e);
      case 'prepare-params-eof':
      case 'prepare-columns-eof':
        this.forward(r, e);
        if (e.phase === 'prepare-params-eof' && e.columnCount > 0) {
          e.phase = 'prepare-columns';
          return;
        }
        return this.done(e);
    }
  }

  private firstPacket(r: PacketReader, e: Expect, head: number): void {
    const { buf, start, end } = r;
    if (e.kind === 'single') {
      // COM_INIT_DB's OK confirms its USE; a COM_STMT_RESET's OK runs nothing.
      if (head === Header.OK && e.entry === undefined) this.statementOk(e);
      this.forward(r, e);
      return this.done(e);
    }
    if (head === Header.ERR) {
      if (e.kind === 'prepare') this.statements.prepareFailed();
      this.forward(r, e);
      return this.done(e);
    }
    if (e.kind === 'field-list') {
      // Column definitions until EOF.
      if (head === Header.EOF && r.length < 0xffffff) {
        this.forward(r, e);
        return this.done(e);
      }
      readColumnDefinition(buf, start, end);
      this.forward(r, e);
      return;
    }
    if (e.kind === 'prepare') {
      const ok = readPrepareOk(buf, start, end);
      this.statements.prepared(ok.statementId, e.limit, e.context);
      this.forward(r, e);
      e.prepareId = ok.statementId;
      e.params = ok.params;
      e.columnCount = ok.columns;
      if (ok.params > 0) e.phase = 'prepare-params';
      else if (ok.columns > 0) e.phase = 'prepare-columns';
      else return this.done(e);
      return;
    }
    if (head === Header.OK) {
      const status = readOk(buf, start, end).status;
      this.statementOk(e);
      this.forward(r, e);
      if (!(status & ServerStatus.MORE_RESULTS_EXISTS)) this.done(e);
      return;
    }
    if (head === Header.LOCAL_INFILE) {
      // LOAD DATA LOCAL INFILE: the server asks the client for a file. Refused: the server gets an
      // empty file, the client an error, and the rest of the response is dropped.
      this.writer.begin(r.lastSeq + 1).end();
      this.toServer.addOwn(this.writer.take());
      this.toServer.flushTo(this.server);
      if (!e.discard) {
        const err = { errno: ErrorCode.NOT_ALLOWED_COMMAND, sqlState: '42000', message: 'sqlveil: LOAD DATA LOCAL INFILE is not allowed through the gateway: the client would send a local file (hint: load the file on the database server instead)' };
        this.hooks.refused?.('LOCAL INFILE request', err, e.context);
        this.refuse(e.clientSeq, err);
        e.sqlState ??= err.sqlState;
        e.discard = true;
      }
      return;
    }
    e.columnCount = new PayloadReader(buf, start, end).lenencInt();
    e.columns = [];
    e.rows = 0;
    e.phase = 'columns';
    this.forward(r, e);
  }

  /** An OK answered the current statement of the string: the session learns it ran (a USE switches only now). */
  private statementOk(e: Expect): void {
    if (e.context !== undefined && e.kind !== 'fetch') this.hooks.statementOk?.(e.context, e.statement);
    e.statement++;
  }

  private preparePacket(r: PacketReader, e: Expect): void {
    this.forward(r, e);
    if (e.phase === 'prepare-params') {
      if (--e.params > 0) return;
      if (!this.options.deprecateEof) e.phase = 'prepare-params-eof';
      else if (e.columnCount > 0) e.phase = 'prepare-columns';
      else this.done(e);
      return;
    }
    if (--e.columnCount > 0) return;
    if (!this.options.deprecateEof) e.phase = 'prepare-columns-eof';
    else this.done(e);
  }

  private startRows(e: Expect): void {
    e.phase = 'rows';
    e.rows = 0;
    this.rewriter = undefined;
    if (e.discard) return;
    const index = e.kind === 'fetch' ? 0 : e.statement;
    const hook = this.hooks.columns(e.columns, e.format, e.context, index);
    if (hook && 'refuse' in hook) return this.stopResponse(e, hook.refuse);
    this.rewriter = hook;
  }

  private rowPacket(r: PacketReader, e: Expect, head: number): void {
    const { buf, start, end } = r;
    if (head === Header.ERR || isEndOfRows(buf, start, end)) {
      const status = head === Header.ERR ? 0 : endStatus(buf, start, end, this.options.deprecateEof);
      if (!e.discard) {
        this.hooks.resultEnd(e.rows);
        e.totalRows += e.rows;
      }
      this.rewriter = undefined;
      if (e.kind === 'fetch' && e.entry) e.entry.cursorRows += e.rows;
      this.forward(r, e);
      if (head !== Header.ERR && e.kind === 'results' && e.cursor && status & ServerStatus.CURSOR_EXISTS && e.entry) {
        e.entry.cursorColumns = e.columns;
      }
      if (head !== Header.ERR && status & ServerStatus.MORE_RESULTS_EXISTS) {
        e.statement++; // this result set was one statement's answer: the next answer is the next statement's
        e.phase = 'first';
        return;
      }
      return this.done(e);
    }
    if (e.discard) return;
    if (e.rowsBefore + e.rows + 1 > e.limit) return this.cut(e);
    e.rows++;
    const rewritten = this.rewriter?.rewrite(buf, start, end);
    if (!rewritten) return this.forward(r, e);
    const next = this.writer.begin(r.seq).bytes(rewritten).end();
    if (next !== ((r.lastSeq + 1) & 0xff)) throw new MysqlProtocolError('a rewritten row changed its number of packets (16 MiB boundary)');
    this.toClient.addOwn(this.writer.take());
    e.clientSeq = r.lastSeq;
  }

  /** A row over the limit: the client gets the limit error now; the rest of the response is read and dropped. */
  private cut(e: Expect): void {
    this.hooks.resultEnd(e.rows);
    e.totalRows += e.rows;
    this.stopResponse(e, this.hooks.rowLimitExceeded(e.limit));
  }

  /** The client gets `err` in place of the rest of the response, which is read and dropped; the statement is killed upstream. */
  private stopResponse(e: Expect, err: ErrPacket): void {
    e.discard = true;
    e.sqlState ??= err.sqlState;
    this.rewriter = undefined;
    this.refuse(e.clientSeq, err);
    if (e.kind === 'fetch') return; // a cursor fetch is bounded: read it to its end
    this.killing = true;
    this.hooks.killQuery().then(
      () => this.killed(),
      () => this.killed(),
    );
  }

  private killed(): void {
    this.killing = false;
    if (this.closed || this.expect) return;
    this.drainClient();
  }

  private done(e: Expect): void {
    this.endRequest(e);
    this.expect = undefined;
    this.rewriter = undefined;
    this.hooks.idle();
    if (!this.killing) this.resumeClient = true;
  }
}

function unknownStatement(): ErrPacket {
  return { errno: ErrorCode.UNKNOWN_STMT_HANDLER, sqlState: 'HY000', message: 'sqlveil: unknown prepared statement handler: the statement was not prepared, or its preparation was refused' };
}

/** A backquoted identifier (MySQL docs, "Schema Object Names"). */
export function quoteIdentifier(name: string): string {
  return '`' + name.replace(/`/g, '``') + '`';
}
