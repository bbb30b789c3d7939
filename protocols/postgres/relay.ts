// The PostgreSQL data phase: relays frames between an authenticated client and its upstream
// connection, both directions, and adapts them to a few hooks (statement, result columns,
// rows, ready). It knows bytes and message order, nothing of policy.
//
// Each client message that the server answers is queued with what answers it, so every
// upstream reply is attributed to its request (PostgreSQL docs, "Extended Query": after an
// error the server discards messages until Sync). Gateway-made replies (denials) wait in the
// same queue and go out in order.
//
// Every row passes one choke point: a result set starts with the plan of the request that
// really produced it, as the server confirmed it (a simple Query's statement by position, or
// an Execute's portal as bound at its BindComplete), and a result whose columns or statement
// the gateway does not know reaches the session as unknown, which refuses it where it masks.
// When a client executes a portal it never described, the gateway describes it itself.
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
import { PreparedRegistry, portalFields, type PortalPlan } from './prepared-registry.js';

/**
 * A statement may run (with at most `maxRows` result rows reaching the client), or is refused
 * with an error. `context` is the session's own: handed back with the statement's result columns.
 */
export type StatementVerdict = { allow: true; maxRows?: number; context?: unknown } | { allow: false; error: ErrorNotice };

/**
 * Server-side names a statement changed (SQL PREPARE, DEALLOCATE, DECLARE, CLOSE, DISCARD ALL):
 * the relay forgets them, so a later Bind or Execute of such a name has no plan it could trust.
 */
export interface NameChanges {
  statements?: readonly string[] | 'all';
  portals?: readonly string[] | 'all';
}

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
   * Rewrites a server ErrorResponse or NoticeResponse (values can be quoted back in them); undefined keeps it.
   * `context` is that of the request the message belongs to (undefined when none or unknown).
   */
  serverMessage?(buf: Buffer, bodyStart: number, end: number, context: unknown): Buffer | undefined;
  /**
   * The server bound or closed a protocol portal of this name: SQL cursors share the namespace, so
   * a FETCH of that name no longer reads what a DECLARE of it did.
   */
  portalReplaced?(name: string): void;
  /** Rewrites a NotificationResponse (another session's NOTIFY payload); undefined keeps it. */
  notification?(buf: Buffer, bodyStart: number, end: number): Buffer | undefined;
  /**
   * End of a result (CommandComplete tag, or undefined for errors and suspended portals) with the rows it
   * carried, the context of its statement and its index in the statement string. A completed statement
   * may answer with the server-side names it changed.
   */
  resultEnd(tag: string | undefined, rows: number, context: unknown, index: number): NameChanges | undefined;
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

/** The gateway's own Describe of a portal the client executes without describing it. */
const describePortal = (name: string): Buffer => new MessageWriter(16 + name.length * 3).begin(FrontendCode.Describe).int8(0x50).cstring(name).end().take();

/** What the client has asked for, as far as deciding what to send goes (the server's answers decide the rest). */
interface ClientView {
  /** Statement name -> the number of its last allowed Parse: a Bind to any other name is refused. */
  statements: Map<string, number>;
  parses: number;
  /** Parses (by number) the client described. */
  describedStatements: Set<number>;
  /** Portal -> the Parse (by number) of the statement of its last Bind. */
  portals: Map<string, number>;
  /** Portals the client (or the gateway) described since their last Bind. */
  describedPortals: Set<string>;
}

export class PgRelay {
  private readonly fromClient: FrameReader;
  private readonly fromServer: FrameReader;
  private readonly queue = new ResponseQueue();
  private readonly prepared = new PreparedRegistry();
  private readonly view: ClientView = { statements: new Map(), parses: 0, describedStatements: new Set(), portals: new Map(), describedPortals: new Set() };
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
      if (entry.kind === Pending.Execute) this.resolveExecute(entry);
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
        const parse = this.view.statements.get(bind.statement);
        if (parse === undefined) {
          this.refuseInBatch(unknownStatement(bind.statement), toClient);
          return undefined;
        }
        this.view.portals.set(bind.portal, parse);
        this.view.describedPortals.delete(bind.portal);
        this.queue.push(Pending.Bind, bind.portal).bind = bind;
        break;
      }
      case FrontendCode.Describe: {
        const t = decodeTarget(buf, bodyStart, end);
        const parse = t.target === 'S' ? this.view.statements.get(t.name) : undefined;
        if (parse !== undefined) this.view.describedStatements.add(parse);
        else if (t.target === 'P') this.view.describedPortals.add(t.name);
        this.queue.push(t.target === 'S' ? Pending.DescribeStatement : Pending.DescribePortal, t.name);
        break;
      }
      case FrontendCode.Execute: {
        const portalName = decodeExecute(buf, bodyStart, end).portal;
        if (!this.clientKnowsColumns(portalName)) {
          // Rows must never stream before their columns are known: ask the server first.
          toServer.addOwn(describePortal(portalName));
          this.queue.push(Pending.DescribePortal, portalName).own = true;
          this.view.describedPortals.add(portalName);
        }
        this.queue.push(Pending.Execute, portalName).startedAt = performance.now();
        break;
      }
      case FrontendCode.Close: {
        const t = decodeTarget(buf, bodyStart, end);
        if (t.target === 'S') {
          const parse = this.view.statements.get(t.name);
          if (parse !== undefined) this.view.describedStatements.delete(parse);
          this.view.statements.delete(t.name);
        } else {
          this.view.portals.delete(t.name);
          this.view.describedPortals.delete(t.name);
        }
        this.queue.push(Pending.Close, t.name).target = t.target;
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
        const v = this.view;
        const previous = v.statements.get(statementName);
        if (previous !== undefined && statementName === '') v.describedStatements.delete(previous);
        v.statements.set(statementName, ++v.parses);
        // The context also tells the session what an error answering this Parse may quote.
        this.queue.push(Pending.Parse, statementName, Infinity, 0, verdict.context).statement = { maxRows: limit, context: verdict.context, fields: undefined };
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

  /** Whether the client will have described what an Execute of this portal returns. */
  private clientKnowsColumns(portal: string): boolean {
    const v = this.view;
    if (v.describedPortals.has(portal)) return true;
    const parse = v.portals.get(portal);
    return parse !== undefined && v.describedStatements.has(parse);
  }

  /** A gateway error inside an extended-protocol batch: like the server, skip to Sync. */
  private refuseInBatch(error: ErrorNotice, toClient: OutputBatch): void {
    this.skipUntilSync = true;
    this.queue.pushReply(errorFrame(error));
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
        // An Execute streams rows with no RowDescription: its plan is its portal's.
        if (!this.inResult) this.startExecuteResult();
        if (this.overLimit()) return;
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
      case BackendCode.RowDescription:
      case BackendCode.NoData: {
        const fields = code === BackendCode.RowDescription ? this.describe(buf, bodyStart, end) : null;
        const head = this.queue.head;
        if (head?.kind === Pending.DescribeStatement) {
          this.prepared.statementDescribed(head.name, fields);
          this.queue.shift();
        } else if (head?.kind === Pending.DescribePortal) {
          this.prepared.portalDescribed(head.name, fields);
          this.queue.shift();
          if (head.own) return; // the gateway's own question: the client did not ask
        } else if (fields !== null) {
          // A simple Query's statements produce their results in order.
          this.startResult(fields, head?.kind === Pending.Query ? head.context : undefined, head?.kind === Pending.Query ? head.results : 0);
        }
        break;
      }
      case BackendCode.ParseComplete: {
        const head = this.queue.shift();
        if (head?.kind === Pending.Parse && head.statement) this.prepared.parsed(head.name, head.statement);
        break;
      }
      case BackendCode.BindComplete: {
        const head = this.queue.shift();
        if (head?.kind === Pending.Bind && head.bind) {
          this.prepared.bound(head.bind.portal, head.bind.statement, head.bind.resultFormats);
          this.hooks.portalReplaced?.(head.bind.portal);
        }
        break;
      }
      case BackendCode.CloseComplete: {
        const head = this.queue.shift();
        if (head?.kind === Pending.Close) {
          this.prepared.closed(head.target ?? 'S', head.name);
          if (head.target === 'P') this.hooks.portalReplaced?.(head.name);
        }
        break;
      }
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
        const head = this.queue.head;
        if (head?.kind === Pending.Execute) this.resolveExecute(head);
        const tag = code === BackendCode.CommandComplete ? readCommandTag(buf, bodyStart, end) : undefined;
        const changes = this.hooks.resultEnd(tag, this.rows, head?.context, head?.kind === Pending.Query ? head.results : 0);
        if (changes) this.forget(changes);
        this.endResult();
        if (head?.kind === Pending.Execute) {
          this.endRequest(head);
          this.finishExecute(this.queue.shift()!);
        }
        else if (head?.kind === Pending.Query && code !== BackendCode.PortalSuspended) head.results++;
        break;
      }
      case BackendCode.ErrorResponse: {
        const head = this.queue.head;
        if (head?.kind === Pending.Execute) this.resolveExecute(head);
        const context = head?.context;
        this.hooks.resultEnd(undefined, this.rows, context, head?.kind === Pending.Query ? head.results : 0);
        this.endResult();
        if (head !== undefined && (head.kind === Pending.Query || head.kind === Pending.FunctionCall || head.kind === Pending.Execute)) {
          head.sqlState ??= readErrorFields(buf, bodyStart, end).get('C');
          if (head.kind === Pending.Execute) this.endRequest(head);
        }
        // Until its Sync the server ignores what the client sends: so must the queue.
        if (!this.queue.failBatch()) this.skipUntilSync = true;
        if (this.forwardMessage(buf, bodyStart, end, toClient, context)) return;
        break;
      }
      case BackendCode.NoticeResponse: {
        const head = this.queue.head;
        if (head?.kind === Pending.Execute) this.resolveExecute(head);
        if (this.forwardMessage(buf, bodyStart, end, toClient, head?.context)) return;
        break;
      }
      case BackendCode.NotificationResponse: {
        const rewritten = this.hooks.notification?.(buf, bodyStart, end);
        if (rewritten === undefined) break;
        toClient.addOwn(rewritten);
        this.emitReadyReplies(toClient);
        return;
      }
      case BackendCode.ReadyForQuery: {
        this.status = readReadyStatus(buf, bodyStart);
        const head = this.queue.head;
        if (head !== undefined && (head.kind === Pending.Query || head.kind === Pending.FunctionCall)) this.endRequest(head);
        if (head?.kind === Pending.Query) this.prepared.simpleQueryRan();
        if (this.status === 'I') this.prepared.transactionEnded();
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
    // A refused result is drained, not cancelled: its rows are bounded by the statement's limits,
    // and a cancel that reaches the server late would hit the client's next query.
    const refused = this.refusal !== undefined;
    this.cut = { entry: head, answered: false, ready: false, cancelled: refused, error: this.refusal };
    // The client will treat the limit error like a server error and skip to its Sync; put the
    // server in the same state, so nothing the client sends before that Sync runs.
    if (head.kind === Pending.Execute && !this.queue.awaitsReady) this.server.write(FAILING_EXECUTE);
    if (refused) return true;
    this.client.pause();
    this.hooks.cancelUpstream().then(
      () => this.cutCancelled(),
      () => this.cutCancelled(),
    );
    return true;
  }

  private finishExecute(entry: PendingEntry): void {
    if (entry.portal) entry.portal.rowsSent = entry.rows;
  }

  /**
   * At an Execute's first answer the server has bound its portal: its plan, row budget and
   * context come from that portal now, not from what the client had sent when it asked.
   */
  private resolveExecute(entry: PendingEntry): PortalPlan | undefined {
    if (entry.portal !== undefined) return entry.portal ?? undefined;
    const portal = this.prepared.portal(entry.name);
    entry.portal = portal ?? null;
    if (portal) {
      entry.limit = portal.statement?.maxRows ?? Infinity;
      entry.rows = entry.rowsBefore = portal.rowsSent;
      entry.context = portal.statement?.context;
    }
    return portal;
  }

  private forget(changes: NameChanges): void {
    const { statements, portals } = changes;
    if (statements === 'all') this.prepared.forgetAll('S');
    else for (const name of statements ?? []) this.prepared.closed('S', name);
    if (portals === 'all') this.prepared.forgetAll('P');
    else for (const name of portals ?? []) this.prepared.closed('P', name);
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
      this.hooks.resultEnd(undefined, this.rows, cut.entry.context, cut.entry.results);
      this.endResult();
      // The rows the client got, without the one that started the cut.
      cut.entry.rows = Math.min(cut.entry.rows, cut.entry.limit);
      cut.entry.sqlState ??= cut.error?.code ?? '54000';
      if (cut.entry.kind === Pending.Execute) this.endRequest(cut.entry);
      toClient.addOwn(errorFrame(cut.error ?? this.hooks.rowLimitExceeded(cut.entry.limit)));
      if (!this.queue.failBatch()) this.skipUntilSync = true;
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

  /**
   * Rows of an Execute: the columns and statement of the portal the server ran. Rows of anything
   * else without a RowDescription, or of a portal the gateway cannot name, reach the session as
   * unknown.
   */
  private startExecuteResult(): void {
    const head = this.queue.head;
    const portal = head?.kind === Pending.Execute ? this.resolveExecute(head) : undefined;
    const fields = portal ? portalFields(portal) : undefined;
    this.startResult(fields ?? undefined, portal?.statement?.context, 0);
  }

  private endResult(): void {
    this.inResult = false;
    this.rows = 0;
    this.rewriter = undefined;
    this.refusal = undefined;
    this.inCopyOut = false;
  }

  /** Sends a server error or notice, rewritten when the session asks; true when it was handled here. */
  private forwardMessage(buf: Buffer, bodyStart: number, end: number, toClient: OutputBatch, context: unknown): boolean {
    const rewritten = this.hooks.serverMessage?.(buf, bodyStart, end, context);
    if (rewritten === undefined) return false;
    toClient.addOwn(rewritten);
    this.emitReadyReplies(toClient);
    return true;
  }
}

function unknownStatement(name: string): ErrorNotice {
  const shown = name === '' ? 'the unnamed prepared statement' : `prepared statement "${name}"`;
  return {
    severity: 'ERROR',
    code: '26000',
    message: `sqlveil: ${shown} was not prepared through the gateway in this session, so it cannot be bound`,
    hint: 'send a Parse of the statement first (SQL-level PREPARE statements cannot be bound through sqlveil)',
  };
}
