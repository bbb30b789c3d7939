// The PostgreSQL data phase: relays frames between an authenticated client and its upstream
// connection, both directions, and adapts them to a few hooks (statement, result columns,
// rows, ready). It knows bytes and message order, nothing of policy.
//
// Each client message that the server answers is queued with what answers it, so every
// upstream reply is attributed to its request (PostgreSQL docs, "Extended Query": after an
// error the server discards messages until Sync). Gateway-made replies (denials) wait in the
// same queue and go out in order.
import type net from 'node:net';
import { BackendCode, FrontendCode, type TransactionStatus } from './codes.js';
import { FrameReader, ProtocolError } from './frame-reader.js';
import { OutputBatch } from './output-batch.js';
import {
  decodeBindTarget,
  decodeExecute,
  decodeParse,
  decodeQuery,
  decodeTarget,
} from './frontend-messages.js';
import { readCommandTag, readErrorFields, readReadyStatus, readRowDescription, type FieldDescription } from './backend-messages.js';
import { errorFrame, type ErrorNotice } from './errors.js';
import { writeReadyForQuery } from './backend-messages.js';
import { MessageWriter } from './writer.js';
import { ResponseQueue, Pending, type PendingEntry } from './response-queue.js';
import { PreparedRegistry } from './prepared-registry.js';

/**
 * A statement may run (with at most `maxRows` result rows reaching the client), or is refused
 * with an error. `context` is the session's own: handed back with the statement's result columns.
 */
export type StatementVerdict = { allow: true; maxRows?: number; context?: unknown } | { allow: false; error: ErrorNotice };

/** A result set the session will not let through: its rows are withheld and the client gets this error. */
export interface ResultRefusal {
  refuse: ErrorNotice;
}

/** Rewrites DataRow frames of one result set; returns a new frame, or undefined to keep the row as it is. */
export interface RowRewriter {
  rewrite(frame: Buffer, bodyStart: number, end: number): Buffer | undefined;
}

/** How a statement's run ended: a simple Query string, or one Execute of a prepared statement. */
export interface RequestOutcome {
  /** Rows sent to the client (every result of a Query string). */
  rows: number;
  /** performance.now() when the request was read from the client. */
  startedAt: number;
  /** SQLSTATE of the error that ended it (the server's, or 54000 for a cut result). */
  sqlState: string | undefined;
  execute: boolean;
  /** The relay stopped (the session ended) before the run did. */
  interrupted: boolean;
}

export interface RelayHooks {
  /** A statement the client wants run: a simple Query string or a Parse. May answer later. */
  statement(sql: string, via: 'simple' | 'parse', statementName: string): StatementVerdict | Promise<StatementVerdict>;
  /** A FunctionCall message (calls a function by OID, outside SQL). */
  functionCall(): StatementVerdict;
  /**
   * Column layout of a result set about to stream (undefined when the gateway could not learn
   * it), with the context of the statement that produced it and the result's index within the
   * statement string; returns a rewriter, a refusal, or undefined to pass rows as they are.
   */
  columns(fields: FieldDescription[] | undefined, context: unknown, index: number): RowRewriter | ResultRefusal | undefined;
  /**
   * Rewrites a server ErrorResponse or NoticeResponse (values can be quoted back in them);
   * `context` is the verdict context of the request it belongs to (undefined: unknown). Undefined keeps it.
   */
  serverMessage?(buf: Buffer, bodyStart: number, end: number, context: unknown): Buffer | undefined;
  /** End of a result (CommandComplete tag, or undefined for errors and suspended portals) with the rows it carried. */
  resultEnd(tag: string | undefined, rows: number): void;
  /** The server is ready for the next query. */
  ready(status: TransactionStatus): void;
  /** A run ended: a Query string (at ReadyForQuery), or an Execute; `context` is the statement's verdict context (runs without one are not reported). */
  requestEnd(context: unknown, outcome: RequestOutcome): void;
  /** The error a client gets when a result is cut at its row limit. */
  rowLimitExceeded(limit: number): ErrorNotice;
  /** Asks the upstream to cancel the running query (a CancelRequest on a new connection). */
  cancelUpstream(): Promise<void>;
}

export interface RelayLimits {
  maxClientMessageBytes: number;
  maxServerMessageBytes: number;
}

/**
 * A result being cut at its row limit: the client gets an error in place of the rest, and
 * everything the server sends until ReadyForQuery is dropped. Client messages wait until the
 * cancel has reached the server, so it cannot hit the client's next query.
 */
interface Cut {
  entry: PendingEntry;
  /** The limit error has been sent. */
  answered: boolean;
  /** ReadyForQuery has arrived: nothing more to drop. */
  ready: boolean;
  /** The CancelRequest has been delivered. */
  cancelled: boolean;
  /** The error sent in place of the rest; the row limit error when undefined. */
  error?: ErrorNotice;
}


/** Execute of a portal that cannot exist: makes the server fail the batch and skip to Sync. */
const FAILING_EXECUTE = new MessageWriter(64).begin(FrontendCode.Execute).cstring('sqlveil: batch cut at its row limit').int32(0).end().take();

export class PgRelay {
  private readonly fromClient: FrameReader;
  private readonly fromServer: FrameReader;
  private readonly queue = new ResponseQueue();
  private readonly prepared = new PreparedRegistry();
  /** Skip client messages until Sync after a gateway-side error in an extended-protocol batch. */
  private skipUntilSync = false;
  private waitingVerdict = false;
  private cut: Cut | undefined;
  private rewriter: RowRewriter | undefined;
  /** The current result set is refused: its first row starts a cut with this error. */
  private refusal: ErrorNotice | undefined;
  /** A result set is streaming (its columns are known to the hooks). */
  private inResult = false;
  private rows = 0;
  private inCopyOut = false;
  private status: TransactionStatus = 'I';
  private closed = false;
  private stopped = false;
  private readonly toServerBatch = new OutputBatch();
  private readonly toClientBatch = new OutputBatch();
  /** The last RowDescription and its decoding: a repeated query shape skips the decode. */
  private lastDescription: Buffer | undefined;
  private lastFields: FieldDescription[] = [];

  constructor(
    private readonly client: net.Socket,
    private readonly server: net.Socket,
    private readonly hooks: RelayHooks,
    limits: RelayLimits,
    private readonly onFatal: (err: Error, side: 'client' | 'server') => void,
  ) {
    this.fromClient = new FrameReader(limits.maxClientMessageBytes);
    this.fromServer = new FrameReader(limits.maxServerMessageBytes);
  }

  /** Starts relaying; `pending` holds client bytes that arrived before the upstream was ready. */
  start(pending?: Buffer): void {
    this.client.on('data', (chunk: Buffer) => this.onClientData(chunk));
    this.server.on('data', (chunk: Buffer) => this.onServerData(chunk));
    if (pending && pending.length > 0) this.onClientData(pending);
  }

  get transactionStatus(): TransactionStatus {
    return this.status;
  }

  /** True when no request is in flight: the client has every reply it asked for. */
  get idle(): boolean {
    return this.queue.size === 0 && !this.clientHeld && this.fromClient.holding === 0;
  }

  stop(): void {
    this.closed = true;
    if (this.stopped) return;
    this.stopped = true;
    // Runs the session will never see end are audited as interrupted.
    for (const entry of this.queue.pending()) {
      if (entry.kind === Pending.Query || entry.kind === Pending.FunctionCall || entry.kind === Pending.Execute) this.endRequest(entry, true);
    }
  }

  private endRequest(entry: PendingEntry, interrupted = false): void {
    if (entry.startedAt === 0 || entry.context === undefined) return; // already reported, or nothing to report to
    const startedAt = entry.startedAt;
    entry.startedAt = 0;
    this.hooks.requestEnd(entry.context, {
      rows: entry.rows - entry.rowsBefore,
      startedAt,
      sqlState: entry.sqlState,
      execute: entry.kind === Pending.Execute,
      interrupted,
    });
  }

  // ---- client -> server ----

  /** Client messages wait while a decision is pending or a cut result's cancel is in flight. */
  private get clientHeld(): boolean {
    return this.waitingVerdict || (this.cut !== undefined && !this.cut.cancelled);
  }

  private onClientData(chunk: Buffer): void {
    if (this.closed) return;
    this.fromClient.push(chunk);
    this.drainClient();
  }

  private drainClient(): void {
    const toServer = this.toServerBatch;
    const toClient = this.toClientBatch;
    const r = this.fromClient;
    try {
      while (!this.clientHeld && r.next()) {
        const verdict = this.clientFrame(r, toServer, toClient);
        if (verdict instanceof Promise) {
          // Hold everything behind this message until the decision arrives, in order.
          this.waitingVerdict = true;
          this.client.pause();
          const frame = r.assembled ? r.buf : Buffer.from(r.buf.subarray(r.frameStart, r.end));
          const code = r.code;
          verdict.then(
            (v) => this.resumeAfterVerdict(code, frame, v),
            (err: unknown) => this.onFatal(err instanceof Error ? err : new Error(String(err)), 'client'),
          );
          break;
        }
      }
    } catch (err) {
      this.flush(toServer, toClient);
      this.onFatal(err instanceof Error ? err : new Error(String(err)), 'client');
      return;
    }
    this.flush(toServer, toClient);
  }

  private resumeAfterVerdict(code: number, frame: Buffer, verdict: StatementVerdict): void {
    if (this.closed) return;
    this.waitingVerdict = false;
    const toServer = this.toServerBatch;
    const toClient = this.toClientBatch;
    // Rare path (a decision that took time): the Parse is decoded again for its name.
    const name = code === FrontendCode.Parse ? decodeParse(frame, 5, frame.length).statement : '';
    this.applyVerdict(code, frame, 0, frame.length, name, verdict, toServer, toClient);
    this.flush(toServer, toClient);
    this.client.resume();
    this.drainClient();
  }

  private flush(toServer: OutputBatch, toClient: OutputBatch): void {
    if (!toServer.empty && !toServer.flushTo(this.server)) this.backpressure(this.client, this.server);
    if (!toClient.empty && !toClient.flushTo(this.client)) this.backpressure(this.server, this.client);
  }

  /** Stops reading `source` until `sink` has drained: memory stays flat whatever the result size. */
  private backpressure(source: net.Socket, sink: net.Socket): void {
    source.pause();
    sink.once('drain', () => {
      if (source !== this.client || !this.clientHeld) source.resume();
    });
  }

  /** Handles one client frame; returns a pending verdict when the hook answers asynchronously. */
  private clientFrame(r: FrameReader, toServer: OutputBatch, toClient: OutputBatch): Promise<StatementVerdict> | undefined {
    const { code, buf, bodyStart, end, frameStart } = r;
    if (this.skipUntilSync) {
      if (code === FrontendCode.Sync) {
        this.skipUntilSync = false;
        this.queue.push(Pending.Sync, '');
        toServer.add(buf, frameStart, end);
      }
      return undefined;
    }
    switch (code) {
      case FrontendCode.Query: {
        const v = this.hooks.statement(decodeQuery(buf, bodyStart, end), 'simple', '');
        if (v instanceof Promise) return v;
        this.applyVerdict(code, buf, frameStart, end, '', v, toServer, toClient);
        return undefined;
      }
      case FrontendCode.Parse: {
        const parse = decodeParse(buf, bodyStart, end);
        const v = this.hooks.statement(parse.sql, 'parse', parse.statement);
        if (v instanceof Promise) return v;
        this.applyVerdict(code, buf, frameStart, end, parse.statement, v, toServer, toClient);
        return undefined;
      }
      case FrontendCode.FunctionCall:
        this.applyVerdict(code, buf, frameStart, end, '', this.hooks.functionCall(), toServer, toClient);
        return undefined;
      case FrontendCode.Bind: {
        const bind = decodeBindTarget(buf, bodyStart, end);
        this.prepared.bound(bind);
        this.queue.push(Pending.Bind, bind.portal);
        break;
      }
      case FrontendCode.Describe: {
        const t = decodeTarget(buf, bodyStart, end);
        this.queue.push(t.target === 'S' ? Pending.DescribeStatement : Pending.DescribePortal, t.name);
        break;
      }
      case FrontendCode.Execute: {
        const portalName = decodeExecute(buf, bodyStart, end).portal;
        const budget = this.prepared.executeBudget(portalName);
        this.queue.push(Pending.Execute, portalName, budget.limit, budget.rowsSent, this.prepared.portalContext(portalName)).startedAt = performance.now();
        break;
      }
      case FrontendCode.Close: {
        const t = decodeTarget(buf, bodyStart, end);
        this.prepared.closed(t.target, t.name);
        this.queue.push(Pending.Close, t.name);
        break;
      }
      case FrontendCode.Sync:
        this.queue.push(Pending.Sync, '');
        break;
      case FrontendCode.Terminate:
        toServer.add(buf, frameStart, end);
        this.flush(toServer, toClient);
        this.server.end();
        this.client.end();
        this.closed = true;
        return undefined;
      case FrontendCode.Flush:
      case FrontendCode.CopyData:
      case FrontendCode.CopyDone:
      case FrontendCode.CopyFail:
      case FrontendCode.Password: // SASL steps cannot occur after login; the server will reject it
        break;
      default:
        throw new ProtocolError(`unknown frontend message type '${String.fromCharCode(code)}'`);
    }
    toServer.add(buf, frameStart, end);
    return undefined;
  }

  private applyVerdict(
    code: number,
    buf: Buffer,
    start: number,
    end: number,
    /** The prepared statement's name, for a Parse. */
    statementName: string,
    verdict: StatementVerdict,
    toServer: OutputBatch,
    toClient: OutputBatch,
  ): void {
    if (verdict.allow) {
      const limit = verdict.maxRows ?? Infinity;
      if (code === FrontendCode.Parse) {
        this.prepared.parsed(statementName, limit, verdict.context);
        this.queue.push(Pending.Parse, statementName);
      } else {
        this.queue.push(code === FrontendCode.Query ? Pending.Query : Pending.FunctionCall, '', limit, 0, verdict.context).startedAt = performance.now();
      }
      toServer.add(buf, start, end);
      return;
    }
    // A denial answers like the server would: an error, then (outside a batch) ReadyForQuery.
    const reply: Buffer[] = [errorFrame(verdict.error)];
    if (code === FrontendCode.Parse) {
      this.skipUntilSync = true;
    } else {
      reply.push(writeReadyForQuery(new MessageWriter(8), this.status).take());
    }
    this.queue.pushReply(Buffer.concat(reply));
    this.emitReadyReplies(toClient);
  }

  /** Sends gateway-made replies that are now at the head of the queue. */
  private emitReadyReplies(toClient: OutputBatch): void {
    let reply: Buffer | undefined;
    while ((reply = this.queue.takeReply()) !== undefined) toClient.addOwn(reply);
  }

  // ---- server -> client ----

  private onServerData(chunk: Buffer): void {
    if (this.closed) return;
    const r = this.fromServer;
    r.push(chunk);
    const toClient = this.toClientBatch;
    try {
      while (r.next()) this.serverFrame(r, toClient);
    } catch (err) {
      toClient.flushTo(this.client);
      this.onFatal(err instanceof Error ? err : new Error(String(err)), 'server');
      return;
    }
    if (!toClient.empty && !toClient.flushTo(this.client)) this.backpressure(this.server, this.client);
  }

  private serverFrame(r: FrameReader, toClient: OutputBatch): void {
    const { code, buf, bodyStart, end, frameStart } = r;
    if (this.cut && this.cutFrame(code, buf, bodyStart, toClient)) return;
    switch (code) {
      case BackendCode.DataRow: {
        if (this.overLimit()) return;
        // An Execute of a statement described earlier streams rows with no RowDescription.
        if (!this.inResult) this.startExecuteResult();
        this.rows++;
        const rewritten = this.rewriter?.rewrite(buf, bodyStart, end);
        if (rewritten) {
          toClient.addOwn(rewritten);
          return;
        }
        break;
      }
      case BackendCode.CopyData:
        if (this.inCopyOut) {
          if (this.overLimit()) return;
          this.rows++;
        }
        break;
      case BackendCode.RowDescription: {
        const fields = this.describe(buf, bodyStart, end);
        const head = this.queue.head;
        if (head?.kind === Pending.DescribeStatement) {
          this.prepared.described(head.name, fields);
          this.queue.shift();
        } else if (head?.kind === Pending.DescribePortal) {
          this.queue.shift();
          this.startResult(fields, this.prepared.portalContext(head.name), 0);
        } else if (head?.kind === Pending.Execute) {
          this.startResult(fields, this.prepared.portalContext(head.name), 0);
        } else {
          this.startResult(fields, head?.context, head?.results ?? 0);
        }
        break;
      }
      case BackendCode.NoData:
      case BackendCode.ParseComplete:
      case BackendCode.BindComplete:
      case BackendCode.CloseComplete:
        this.queue.shift();
        break;
      case BackendCode.ParameterDescription:
        break; // the RowDescription or NoData that follows completes the Describe
      case BackendCode.CopyOutResponse:
        this.inCopyOut = true;
        this.rows = 0;
        break;
      case BackendCode.CopyDone:
        this.inCopyOut = false;
        break;
      case BackendCode.CommandComplete:
      case BackendCode.EmptyQueryResponse:
      case BackendCode.PortalSuspended: {
        this.hooks.resultEnd(code === BackendCode.CommandComplete ? readCommandTag(buf, bodyStart, end) : undefined, this.rows);
        this.endResult();
        const head = this.queue.head;
        if (head?.kind === Pending.Execute) {
          this.endRequest(head);
          this.finishExecute(this.queue.shift()!);
        }
        else if (head?.kind === Pending.Query && code !== BackendCode.PortalSuspended) head.results++;
        break;
      }
      case BackendCode.ErrorResponse: {
        this.hooks.resultEnd(undefined, this.rows);
        this.endResult();
        const head = this.queue.head;
        if (head !== undefined && (head.kind === Pending.Query || head.kind === Pending.FunctionCall || head.kind === Pending.Execute)) {
          head.sqlState ??= readErrorFields(buf, bodyStart, end).get('C');
          if (head.kind === Pending.Execute) this.endRequest(head);
        }
        this.queue.failBatch();
        if (this.forwardMessage(buf, bodyStart, end, toClient)) return;
        break;
      }
      case BackendCode.NoticeResponse:
        if (this.forwardMessage(buf, bodyStart, end, toClient)) return;
        break;
      case BackendCode.ReadyForQuery: {
        this.status = readReadyStatus(buf, bodyStart);
        const head = this.queue.head;
        if (head !== undefined && (head.kind === Pending.Query || head.kind === Pending.FunctionCall)) this.endRequest(head);
        this.queue.shiftThroughReady();
        toClient.add(buf, frameStart, end);
        this.hooks.ready(this.status);
        this.emitReadyReplies(toClient);
        return;
      }
      default:
        break; // notices, notifications, parameter status, copy responses: forwarded as they are
    }
    toClient.add(buf, frameStart, end);
    this.emitReadyReplies(toClient);
  }

  private describe(buf: Buffer, bodyStart: number, end: number): FieldDescription[] {
    const last = this.lastDescription;
    if (last && last.length === end - bodyStart && buf.compare(last, 0, last.length, bodyStart, end) === 0) return this.lastFields;
    this.lastFields = readRowDescription(buf, bodyStart, end);
    this.lastDescription = Buffer.from(buf.subarray(bodyStart, end));
    return this.lastFields;
  }

  /** Counts a row against its request's limit; true (and the cut begins) when it is one too many. */
  private overLimit(): boolean {
    const head = this.queue.head;
    if (head === undefined || ++head.rows <= head.limit) return false;
    this.cut = { entry: head, answered: false, ready: false, cancelled: false, error: this.refusal };
    this.client.pause();
    // The client will treat the limit error like a server error and skip to its Sync; put the
    // server in the same state, so nothing the client sends before that Sync runs.
    if (head.kind === Pending.Execute && !this.queue.awaitsReady) this.server.write(FAILING_EXECUTE);
    this.hooks.cancelUpstream().then(
      () => this.cutCancelled(),
      () => this.cutCancelled(),
    );
    return true;
  }

  private finishExecute(entry: PendingEntry): void {
    this.prepared.executed(entry.name, entry.rows);
  }

  /**
   * While a result is cut: rows are dropped, its end (or the server's cancel error) becomes the
   * gateway's limit error, and whatever else the server sends up to ReadyForQuery is dropped,
   * so the client sees exactly the rows it may have and then one error. Returns true when the
   * frame was handled here.
   */
  private cutFrame(code: number, buf: Buffer, bodyStart: number, toClient: OutputBatch): boolean {
    const cut = this.cut!;
    if (code === BackendCode.ReadyForQuery) {
      cut.ready = true;
      if (cut.cancelled) this.cut = undefined;
      return false; // forwarded as usual
    }
    if (code === BackendCode.NoticeResponse || code === BackendCode.ParameterStatus || code === BackendCode.NotificationResponse) return false;
    if (cut.answered) return true;
    if (
      code === BackendCode.CommandComplete ||
      code === BackendCode.ErrorResponse ||
      code === BackendCode.PortalSuspended ||
      code === BackendCode.CopyDone ||
      code === BackendCode.EmptyQueryResponse
    ) {
      cut.answered = true;
      this.hooks.resultEnd(undefined, this.rows);
      this.endResult();
      // The rows the client got, without the one that started the cut.
      cut.entry.rows = Math.min(cut.entry.rows, cut.entry.limit);
      cut.entry.sqlState ??= cut.error?.code ?? '54000';
      if (cut.entry.kind === Pending.Execute) this.endRequest(cut.entry);
      toClient.addOwn(errorFrame(cut.error ?? this.hooks.rowLimitExceeded(cut.entry.limit)));
      this.queue.failBatch();
      if (cut.entry.kind === Pending.Execute) this.finishExecute(cut.entry);
    }
    return true;
  }

  private cutCancelled(): void {
    const cut = this.cut;
    if (!cut || this.closed) return;
    cut.cancelled = true;
    if (cut.ready) this.cut = undefined;
    this.client.resume();
    this.drainClient();
  }

  private startResult(fields: FieldDescription[] | undefined, context: unknown, index: number): void {
    this.inResult = true;
    this.rows = 0;
    const plan = this.hooks.columns(fields, context, index);
    if (plan !== undefined && 'refuse' in plan) {
      this.rewriter = undefined;
      this.refusal = plan.refuse;
      // The next row of this request starts a cut that sends the refusal instead.
      const head = this.queue.head;
      if (head) head.limit = head.rows;
    } else {
      this.rewriter = plan;
    }
  }

  /** Rows of an Execute of a statement described earlier: its columns come from the registry. */
  private startExecuteResult(): void {
    const head = this.queue.head;
    if (head?.kind === Pending.Execute) this.startResult(this.prepared.portalFields(head.name), this.prepared.portalContext(head.name), 0);
    else this.startResult(undefined, undefined, 0);
  }

  private endResult(): void {
    this.inResult = false;
    this.rows = 0;
    this.rewriter = undefined;
    this.refusal = undefined;
    this.inCopyOut = false;
  }

  /** Sends a server error or notice, rewritten when the session asks; true when it was handled here. */
  private forwardMessage(buf: Buffer, bodyStart: number, end: number, toClient: OutputBatch): boolean {
    const rewritten = this.hooks.serverMessage?.(buf, bodyStart, end, this.queue.head?.context);
    if (rewritten === undefined) return false;
    toClient.addOwn(rewritten);
    this.emitReadyReplies(toClient);
    return true;
  }
}
