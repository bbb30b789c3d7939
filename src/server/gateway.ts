// The running gateway: one TCP server per listener, the admin endpoint, shared registries.
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import type { GatewayConfig, ListenerConfig } from '../policy/config/types.js';
import { JwtVerifier } from '../identity/jwt-verifier.js';
import type { TokenVerifier } from '../identity/types.js';
import { GatewayMetrics } from '../admin/metrics.js';
import { startAdminServer } from '../admin/http.js';
import { ReadinessCheck } from '../admin/readiness.js';
import type { AuditSink } from '../audit/sink.js';
import { createThreadedAuditSink } from '../audit/threaded-sink.js';
import { isoNow } from '../audit/clock.js';
import { allowAllGate, type PipelineParts, type StatementGate } from '../session/pipeline.js';
import { PolicyGate } from '../session/policy-gate.js';
import { startApprovals, type GatewayApprovals } from '../approvals/setup.js';
import { PolicyStore } from '../policy/policy-store.js';
import { createPgAnalyzer } from '../sql/pg-analyzer.js';
import { createMysqlAnalyzer } from '../sql/mysql-analyzer.js';
import { GatewayMasking } from './masking-setup.js';
import type { Logger } from '../log.js';
import { CancelRegistry } from './cancel-registry.js';
import type { ListenerContext } from './listener-context.js';
import { PgClientConnection } from './pg-connection.js';
import { MysqlClientConnection } from './mysql-connection.js';
import { MysqlSessionRegistry } from './mysql-sessions.js';
import { probeRoleLogins } from './upstream-login.js';

export interface GatewayOptions {
  log: Logger;
  /** Environment the rules file is interpolated with on reload (default: process.env). */
  env?: Record<string, string | undefined>;
  /** Watch the rules file and apply policy changes as it changes (SIGHUP reloads either way). */
  watchRules?: boolean;
  /** Replaces the configured token verifier (tests of pure parts only). */
  verifier?: TokenVerifier;
  audit?: AuditSink;
  /** Replaces the statement gate built from the rules file (embedding and tests). */
  gate?: StatementGate;
}

export interface BoundListener {
  name: string;
  protocol: string;
  address: net.AddressInfo;
}

export class Gateway {
  readonly metrics = new GatewayMetrics();
  private readonly cancels = new CancelRegistry();
  private readonly servers: net.Server[] = [];
  private readonly connections = new Set<PgClientConnection | MysqlClientConnection>();
  /** The gateway's MySQL connection ids (what a KILL names), across its MySQL listeners. */
  private readonly mysqlSessions = new MysqlSessionRegistry();
  private admin: http.Server | undefined;
  /** Just-in-time approvals, shared through Kafka when brokers are configured. */
  private approvals: GatewayApprovals | undefined;
  /** Result masking, with the catalogs and dictionaries it reads from the upstreams. */
  private readonly masking: GatewayMasking;
  private audit: AuditSink;
  private parts: PipelineParts;
  private verifier: TokenVerifier;
  readonly policy: PolicyStore;
  /** What the rules file is interpolated with, now and on reload. */
  private readonly env: Record<string, string | undefined>;
  readonly listeners: BoundListener[] = [];
  private ready = false;

  constructor(
    private config: GatewayConfig,
    private readonly opts: GatewayOptions,
  ) {
    this.audit = opts.audit ?? createThreadedAuditSink(config.audit, { log: opts.log, cells: this.metrics.auditCells() });
    this.env = opts.env ?? process.env;
    this.policy = new PolicyStore(config, opts.log, { env: this.env });
    this.policy.on('reloaded', (e) => {
      this.metrics.policyReload('applied');
      this.audit.emit({ type: 'policy.reloaded', session: '-', at: isoNow(), version: e.version, file: e.file });
    });
    this.policy.on('rejected', (e) => {
      this.metrics.policyReload('rejected');
      this.audit.emit({ type: 'policy.rejected', session: '-', at: isoNow(), version: e.version, file: e.file, errors: e.errors.length });
    });
    this.masking = new GatewayMasking(config, () => this.policy.masking(), (u) => (u.tls.caFile ? readFileSync(u.tls.caFile) : undefined), opts.log);
    this.parts = { gate: opts.gate ?? allowAllGate, results: this.masking.results, audit: this.audit, metrics: this.metrics, ...(config.audit.redactLiterals ? {} : { redact: false as const }) };
    this.verifier = opts.verifier ?? new JwtVerifier(config.identity, config.roles);
  }

  async start(): Promise<void> {
    if (!this.opts.gate) {
      // The parser is WebAssembly: load it once before the first client.
      const postgres = await createPgAnalyzer();
      const mysql = await createMysqlAnalyzer();
      this.masking.mysqlAnalyzer = mysql;
      this.approvals = await startApprovals(this.config, { audit: this.audit, log: this.opts.log, policy: () => this.policy.current() });
      this.parts = { ...this.parts, gate: new PolicyGate({ analyzers: { postgres, mysql }, policy: () => this.policy.current(), approvals: this.approvals.service }) };
    }
    await this.masking.start();
    if (this.opts.watchRules) this.policy.watch(this.config.source, this.env);
    for (const l of this.config.listeners) {
      await this.listen(l);
    }
    if (this.config.admin) {
      const readiness = new ReadinessCheck(this.config.upstreams, () => [
        ...(this.ready ? [] : ['listeners not bound yet']),
        ...(this.audit.writable() ? [] : ['audit trail not writable: statements are refused']),
      ]);
      this.admin = await startAdminServer(this.config.admin.host, this.config.admin.port, { metrics: this.metrics, ready: () => readiness.check(), approvals: this.approvals });
    }
    this.ready = true;
  }

  private contextFor(l: ListenerConfig): ListenerContext {
    const upstream = this.config.upstreams.find((u) => u.name === l.upstream);
    if (!upstream) throw new Error(`listener ${l.name}: unknown upstream ${l.upstream}`);
    return {
      listener: l,
      upstream,
      upstreamCa: upstream.tls.caFile ? readFileSync(upstream.tls.caFile) : undefined,
      roles: this.config.roles,
      verifier: this.verifier,
      userMismatch: this.config.identity.userMismatch,
      tlsContext: l.tls ? tls.createSecureContext({ cert: readFileSync(l.tls.certFile), key: readFileSync(l.tls.keyFile) }) : undefined,
      cancels: this.cancels,
      metrics: this.metrics,
      pipelineParts: () => this.parts,
      limits: this.config.limits,
      log: this.opts.log.child({ listener: l.name }),
    };
  }

  private listen(l: ListenerConfig): Promise<void> {
    const ctx = this.contextFor(l);
    // Says at start-up which restricted roles log in upstream as superuser-like logins.
    void probeRoleLogins(ctx).catch((err: Error) => ctx.log.warn({ err: err.message }, 'upstream login check at start failed'));
    const server = net.createServer((socket) => {
      const conn = l.protocol === 'mysql' ? new MysqlClientConnection(socket, ctx, this.mysqlSessions) : new PgClientConnection(socket, ctx);
      this.connections.add(conn);
      socket.once('close', () => this.connections.delete(conn));
    });
    server.on('error', (err) => this.opts.log.error({ listener: l.name, err: err.message }, 'listener error'));
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: l.host, port: l.port, backlog: 1024 }, () => {
        server.off('error', reject);
        const address = server.address() as net.AddressInfo;
        this.listeners.push({ name: l.name, protocol: l.protocol, address });
        this.opts.log.info({ listener: l.name, protocol: l.protocol, address: `${address.address}:${address.port}`, upstream: l.upstream, tls: !!l.tls }, 'listening');
        resolve();
      });
    });
  }

  /** Re-reads the rules file; an invalid file leaves the policy in force as it is. */
  reloadPolicy(): Promise<unknown> {
    return this.policy.reload();
  }

  async stop(): Promise<void> {
    this.ready = false;
    this.policy.close();
    // server.close() calls back only once every connection has ended: end them in the same step.
    const closed = Promise.all(this.servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    for (const c of this.connections) c.close('gateway shutting down');
    await closed;
    if (this.admin) await new Promise<void>((r) => this.admin!.close(() => r()));
    await this.approvals?.close();
    this.masking.stop();
    await this.audit.close();
  }
}
