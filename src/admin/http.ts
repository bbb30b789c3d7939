// The admin endpoint: Prometheus metrics and health probes.
import http from 'node:http';
import type { GatewayMetrics } from './metrics.js';
import { handleApprovals, isApprovalsPath, type ApprovalsAdmin } from './approvals-api.js';

export interface AdminState {
  metrics: GatewayMetrics;
  /** True once every listener is bound. */
  ready: () => boolean;
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
      case '/readyz': {
        const ok = state.ready();
        res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ready\n' : 'not ready\n');
        return;
      }
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
