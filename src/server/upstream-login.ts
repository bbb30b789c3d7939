// The upstream login a role uses: its own service credentials, never the client's.
import type { UpstreamLogin } from '../../protocols/postgres/upstream-handshake.js';
import type { ListenerContext } from './listener-context.js';

export function upstreamLoginFor(ctx: ListenerContext, role: string, params: Record<string, string>): UpstreamLogin {
  const up = ctx.upstream;
  const creds = ctx.roles.find((r) => r.name === role)?.credentials[up.name];
  return {
    host: up.host,
    port: up.port,
    database: up.database,
    user: creds?.user ?? up.user,
    password: creds ? creds.password : up.password,
    tls: { mode: up.tls.mode, ca: ctx.upstreamCa, serverName: up.tls.serverName },
    connectTimeoutMs: up.connectTimeoutMs,
    params,
  };
}
