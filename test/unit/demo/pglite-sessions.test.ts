// The demo database's queue learns each connection's user from its StartupMessage.
import { describe, expect, it } from 'vitest';
import { startupUser } from '../../../src/demo/pglite-sessions.js';

function startup(params: Record<string, string>, version = 196608): Uint8Array {
  const body = Buffer.from(Object.entries(params).map(([k, v]) => `${k}\0${v}\0`).join('') + '\0');
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + body.length);
  head.writeInt32BE(version, 4);
  return new Uint8Array(Buffer.concat([head, body]));
}

describe('startupUser', () => {
  it('reads the user of a StartupMessage', () => {
    expect(startupUser(startup({ database: 'postgres', user: 'sqlveil_agent', application_name: 'x' }))).toBe('sqlveil_agent');
  });
  it('ignores other messages: a Query, an SSLRequest, a truncated packet', () => {
    const q = Buffer.concat([Buffer.from([0x51, 0, 0, 0, 13]), Buffer.from('select 1\0')]);
    expect(startupUser(new Uint8Array(q))).toBeUndefined();
    expect(startupUser(startup({ user: 'x' }, 80877103))).toBeUndefined();
    expect(startupUser(startup({ user: 'x' }).subarray(0, 10))).toBeUndefined();
  });
});
