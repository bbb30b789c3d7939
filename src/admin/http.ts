// The admin endpoint: Prometheus metrics and health probes.
import http from 'node:http';
import type { GatewayMetrics } from './metrics.js';
import type { Readiness } from './readiness.js';
import { handleApprovals, isApprovalsPath, type ApprovalsAdmin } from './approvals-api.js';

export interface AdminState {
  metrics: GatewayMetrics;
  /** Ready: listeners bound, audit writable, upstreams reachable (readiness.ts). */
  ready: () => Promise<Readiness>;
  /** The approvals API (approvals-api.ts); absent: /approvals is not served. */
  approvals?: ApprovalsAdmin;
}

export function startAdminServer(host: string, port: number, state: AdminState): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (state.approvals && path !== undefined && isApprovalsPath(path)) return void handleApprovals(req, res, path, state.approvals);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    switch (path) {
      case '/metrics':
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(state.metrics.render());
        return;
      case '/healthz':
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
        return;
      case '/readyz':
        state.ready().then(
          (r) => res.writeHead(r.ready ? 200 : 503, { 'content-type': 'text/plain' }).end(r.ready ? 'ready\n' : `not ready\n${r.reasons.join('\n')}\n`),
          () => res.writeHead(503, { 'content-type': 'text/plain' }).end('not ready\n'),
        );
        return;
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
