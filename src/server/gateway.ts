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
import { JsonLinesAuditSink, type AuditSink } from '../audit/sink.js';
import { isoNow } from '../audit/clock.js';
import { allowAllGate, passThroughResults, type PipelineParts, type StatementGate } from '../session/pipeline.js';
import { PolicyGate } from '../session/policy-gate.js';
import { PolicyStore } from '../policy/policy-store.js';
import { createPgAnalyzer } from '../sql/pg-analyzer.js';
import type { Logger } from '../log.js';
import { CancelRegistry } from './cancel-registry.js';
import type { ListenerContext } from './listener-context.js';
import { PgClientConnection } from './pg-connection.js';

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
  private readonly connections = new Set<PgClientConnection>();
  private admin: http.Server | undefined;
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
    this.audit = opts.audit ?? new JsonLinesAuditSink(config.audit.file);
    this.env = opts.env ?? process.env;
    this.policy = new PolicyStore(config, opts.log, { env: this.env });
    this.policy.on('reloaded', (e) => this.audit.emit({ type: 'policy.reloaded', session: '-', at: isoNow(), version: e.version, file: e.file }));
    this.policy.on('rejected', (e) => this.audit.emit({ type: 'policy.rejected', session: '-', at: isoNow(), version: e.version, file: e.file, errors: e.errors.length }));
    this.parts = { gate: opts.gate ?? allowAllGate, results: passThroughResults, audit: this.audit, metrics: this.metrics };
    this.verifier = opts.verifier ?? new JwtVerifier(config.identity, config.roles);
  }

  async start(): Promise<void> {
    if (!this.opts.gate) {
      // The parser is WebAssembly: load it once before the first client.
      const postgres = await createPgAnalyzer();
      this.parts = { ...this.parts, gate: new PolicyGate({ analyzers: { postgres }, policy: () => this.policy.current() }) };
    }
    if (this.opts.watchRules) this.policy.watch(this.config.source, this.env);
    for (const l of this.config.listeners) {
      if (l.protocol !== 'postgres') {
        this.opts.log.warn({ listener: l.name }, `listener ${l.name}: the ${l.protocol} protocol is not available in this version; not listening`);
        continue;
      }
      await this.listen(l);
    }
    if (this.config.admin) {
      this.admin = await startAdminServer(this.config.admin.host, this.config.admin.port, { metrics: this.metrics, ready: () => this.ready });
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
    const server = net.createServer((socket) => {
      const conn = new PgClientConnection(socket, ctx);
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
    await this.audit.close();
  }
}
