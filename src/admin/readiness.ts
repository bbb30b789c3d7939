// What /readyz answers: the gateway is ready when its listeners are bound, the audit trail takes
// events, and every upstream accepts a TCP connection. Upstreams are probed at most once per
// PROBE_TTL_MS whatever the probe rate, and a probe waits at most PROBE_TIMEOUT_MS.
import net from 'node:net';

export interface ReadinessTarget {
  name: string;
  host: string;
  port: number;
}

export interface Readiness {
  ready: boolean;
  /** Why not, one reason per line (empty when ready). */
  reasons: string[];
}

const PROBE_TTL_MS = 2000;
const PROBE_TIMEOUT_MS = 1000;

export class ReadinessCheck {
  private cached: { at: number; result: Promise<string[]> } | undefined;

  constructor(
    private readonly upstreams: readonly ReadinessTarget[],
    /** Listeners bound, and the audit trail writable: reasons it is not, or none. */
    private readonly local: () => string[],
  ) {}

  async check(now = Date.now()): Promise<Readiness> {
    const reasons = [...this.local()];
    if (!this.cached || now - this.cached.at >= PROBE_TTL_MS) this.cached = { at: now, result: this.probeAll() };
    reasons.push(...(await this.cached.result));
    return { ready: reasons.length === 0, reasons };
  }

  private async probeAll(): Promise<string[]> {
    const results = await Promise.all(this.upstreams.map((u) => probe(u.host, u.port).then((err) => (err ? `upstream ${u.name} (${u.host}:${u.port}) unreachable: ${err}` : undefined))));
    return results.filter((r): r is string => r !== undefined);
  }
}

/** Resolves with undefined when host:port accepts a connection, else with the reason. */
function probe(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (reason: string | undefined): void => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(`no answer in ${PROBE_TIMEOUT_MS} ms`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}
