// `listeners`: where clients connect, and which upstream each forwards to.
import { isLoopbackHost, parseHostPort } from './addresses.js';
import { isRecord, quoteNames, type BuildContext } from './build-context.js';
import { unreadableReason } from './files.js';
import type { RawListener } from './raw.js';
import type { ListenerConfig, TlsFiles, UpstreamConfig } from './types.js';

export function buildListeners(
  raws: readonly RawListener[],
  upstreams: ReadonlyMap<string, UpstreamConfig>,
  ctx: BuildContext,
): (ListenerConfig | undefined)[] {
  ctx.checkUniqueNames('listeners', raws, 'listener');
  return raws.map((raw, i) => (isRecord(raw) ? buildListener(raw, i, upstreams, ctx) : undefined));
}

function buildListener(
  raw: RawListener,
  i: number,
  upstreams: ReadonlyMap<string, UpstreamConfig>,
  ctx: BuildContext,
): ListenerConfig {
  const at = ['listeners', i];
  const listener: ListenerConfig = {
    name: raw.name,
    protocol: raw.protocol,
    host: '',
    port: 0,
    upstream: raw.upstream,
    cleartextPassword: raw.cleartextPassword ?? 'require-tls',
  };

  if (ctx.usable([...at, 'listen'])) {
    const address = parseHostPort(raw.listen, { ephemeral: true });
    if (address.ok) Object.assign(listener, { host: address.host, port: address.port });
    else ctx.log.error([...at, 'listen'], address.message);
  }

  if (ctx.usable([...at, 'upstream'])) {
    const upstream = upstreams.get(raw.upstream);
    const urlParsed = upstream !== undefined && upstream.host !== '';
    if (!upstream) {
      ctx.log.error([...at, 'upstream'], `no upstream named "${raw.upstream}" (upstreams: ${quoteNames(upstreams.keys())})`);
    } else if (urlParsed && ctx.usable([...at, 'protocol']) && upstream.protocol !== raw.protocol) {
      ctx.log.error(
        [...at, 'upstream'],
        `listener speaks ${raw.protocol} but upstream "${raw.upstream}" is ${upstream.protocol}`,
      );
    }
  }

  if (ctx.usable([...at, 'tls'])) {
    const tls = buildTls(raw.tls, at, ctx);
    if (tls) listener.tls = tls;
  }

  if (ctx.usable([...at, 'cleartextPassword']) && ctx.usable([...at, 'tls']) && !raw.tls?.cert && !raw.tls?.key) {
    if (listener.cleartextPassword === 'require-tls') {
      const implicit = raw.cleartextPassword === undefined;
      ctx.log.error(
        implicit ? at : [...at, 'cleartextPassword'],
        `cleartextPassword require-tls${implicit ? ' (the default)' : ''} needs tls (cert and key): ` +
          'without it no client can send its token; add tls, or set cleartextPassword: tls-or-loopback',
      );
    } else if (listener.host !== '' && !isLoopbackHost(listener.host)) {
      ctx.log.warn([...at, 'listen'], 'no tls on a non-loopback address: only clients on this machine can send their token');
    }
  }
  return listener;
}

/** Both empty (e.g. `${SQLVEIL_TLS_CERT:-}` unset) means no TLS; one without the other is an error. */
function buildTls(raw: RawListener['tls'], at: (string | number)[], ctx: BuildContext): TlsFiles | undefined {
  if (!raw || (raw.cert === '' && raw.key === '')) return undefined;
  let ok = true;
  for (const part of ['cert', 'key'] as const) {
    const other = part === 'cert' ? 'key' : 'cert';
    if (raw[part] === '') {
      const message = `${part} is empty but ${other} is set: give both files, or leave both empty for no TLS`;
      ctx.log.error([...at, 'tls', part], message);
      ok = false;
      continue;
    }
    const reason = unreadableReason(ctx.resolve(raw[part]));
    if (reason) {
      ctx.log.error([...at, 'tls', part], `TLS ${part === 'cert' ? 'certificate' : 'key'} file: ${reason}`);
      ok = false;
    }
  }
  return ok ? { certFile: ctx.resolve(raw.cert), keyFile: ctx.resolve(raw.key) } : undefined;
}
