// `upstreams`: the databases behind the gateway.
import { isRecord, type BuildContext } from './build-context.js';
import { unreadableReason } from './files.js';
import type { RawUpstream } from './raw.js';
import type { UpstreamConfig } from './types.js';
import { parseUpstreamUrl } from './upstream-url.js';

export function buildUpstreams(raws: readonly RawUpstream[], ctx: BuildContext): (UpstreamConfig | undefined)[] {
  ctx.checkUniqueNames('upstreams', raws, 'upstream');
  return raws.map((raw, i) => (isRecord(raw) ? buildUpstream(raw, i, ctx) : undefined));
}

function buildUpstream(raw: RawUpstream, i: number, ctx: BuildContext): UpstreamConfig {
  const at = ['upstreams', i];
  const upstream: UpstreamConfig = {
    name: raw.name,
    protocol: 'postgres',
    host: '',
    port: 0,
    database: '',
    user: '',
    tls: { mode: 'prefer' },
    connectTimeoutMs: raw.connectTimeoutMs ?? 5000,
  };

  let urlTlsMode: UpstreamConfig['tls']['mode'] | undefined;
  if (ctx.usable([...at, 'url'])) {
    const url = parseUpstreamUrl(raw.url);
    if (!url.ok) {
      ctx.log.error([...at, 'url'], url.message);
    } else {
      Object.assign(upstream, {
        protocol: url.protocol,
        host: url.host,
        port: url.port,
        database: url.database,
        user: url.user,
        ...(url.password === undefined ? {} : { password: url.password }),
      });
      urlTlsMode = url.tlsMode;
      if (url.ignoredParams.length > 0) {
        ctx.log.warn([...at, 'url'], `ignored URL parameters: ${url.ignoredParams.join(', ')}`);
      }
      if (url.password !== undefined && !ctx.fromEnvironment([...at, 'url'])) {
        const message = 'the URL holds a password written in this file; take it from the environment with ${VAR}';
        ctx.log.warn([...at, 'url'], message);
      }
    }
  }

  if (ctx.usable([...at, 'tls'])) {
    const mode = raw.tls?.mode;
    if (mode !== undefined && urlTlsMode !== undefined && mode !== urlTlsMode) {
      ctx.log.warn([...at, 'tls', 'mode'], `tls.mode ${mode} overrides sslmode ${urlTlsMode} in the URL`);
    }
    upstream.tls.mode = mode ?? urlTlsMode ?? 'prefer';
    // Empty means "not given", so `${VAR:-}` can leave them out.
    const ca = raw.tls?.ca;
    if (ca) {
      upstream.tls.caFile = ctx.resolve(ca);
      const reason = unreadableReason(upstream.tls.caFile);
      if (reason) ctx.log.error([...at, 'tls', 'ca'], `CA file: ${reason}`);
    }
    const serverName = raw.tls?.serverName;
    if (serverName) upstream.tls.serverName = serverName;
  }
  return upstream;
}
