// Hostile and malformed input on the MySQL listener: each gets a clear ERR (or a close), none
// crashes the gateway or allocates what a length claims, and the gateway keeps serving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { join } from 'node:path';
import { Capability } from '../../protocols/mysql/constants.js';
import { PacketReader } from '../../protocols/mysql/packet-reader.js';
import { PacketWriter } from '../../protocols/mysql/packet-writer.js';
import { writeHandshakeResponse } from '../../protocols/mysql/handshake.js';
import { readErr } from '../../protocols/mysql/generic-packets.js';
import { ROOT } from './harness.js';
import { startMysqlGateway, type MysqlTestGateway } from './mysql-harness.js';

let gw: MysqlTestGateway;
let token: string;

beforeAll(async () => {
  gw = await startMysqlGateway({ rules: join(ROOT, 'test/fixtures/rules/mysql-limits.yaml') });
  token = await gw.token('dba-1', ['dba']);
});
afterAll(async () => gw?.stop());

const CAPS = Capability.PROTOCOL_41 | Capability.SECURE_CONNECTION | Capability.PLUGIN_AUTH | Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA | Capability.DEPRECATE_EOF;

function login(): Buffer {
  const w = new PacketWriter();
  writeHandshakeResponse(w, 1, { capabilities: CAPS, collation: 45, user: 'dba-1', authResponse: Buffer.from(token + '\0'), database: undefined, authPlugin: 'mysql_clear_password', attributes: new Map() });
  return w.take();
}

/** Sends what `script()` returns after the server's greeting, then collects the packets the gateway sends until it closes. */
function exchange(script: () => Buffer[], waitMs = 2500): Promise<{ packets: Buffer[]; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(gw.myPort, '127.0.0.1');
    const reader = new PacketReader(1 << 24);
    const packets: Buffer[] = [];
    let greeted = false;
    let closed = false;
    s.on('data', (d) => {
      reader.push(d);
      while (reader.next()) {
        if (!greeted) {
          greeted = true;
          for (const c of script()) s.write(c);
          continue;
        }
        packets.push(Buffer.from(reader.buf.subarray(reader.start, reader.end)));
      }
    });
    const timer = setTimeout(() => s.destroy(), waitMs);
    s.on('close', () => {
      clearTimeout(timer);
      closed = true;
      resolve({ packets, closed });
    });
    s.on('error', () => undefined);
  });
}

const errorOf = (p: Buffer | undefined) => (p && p[0] === 0xff ? readErr(p, 0, p.length) : undefined);

describe('hostile input on the MySQL listener', () => {
  it('refuses a handshake response longer than the handshake limit, without waiting for its bytes', async () => {
    const huge = Buffer.from([0xff, 0xff, 0x7f, 0x01]); // 8 MiB announced, nothing sent
    const r = await exchange(() => [huge]);
    expect(errorOf(r.packets[0])?.message).toMatch(/exceeds the limit/);
    expect(r.closed).toBe(true);
  });

  it('refuses a truncated handshake response and a pre-4.1 client', async () => {
    const w = new PacketWriter();
    w.begin(1).int4(CAPS).int1(0).end();
    expect(errorOf((await exchange(() => [w.take()])).packets[0])?.message).toMatch(/too short/);
    w.begin(1).int4(Capability.SECURE_CONNECTION).int4(0).int1(45).zeros(23).cstring('u').int1(0).end();
    expect(errorOf((await exchange(() => [w.take()])).packets[0])?.message).toMatch(/protocol 4.1/);
  });

  it('refuses compression', async () => {
    const w = new PacketWriter();
    writeHandshakeResponse(w, 1, { capabilities: CAPS | Capability.COMPRESS, collation: 45, user: 'dba-1', authResponse: Buffer.alloc(0), database: undefined, authPlugin: 'mysql_native_password', attributes: new Map() });
    expect(errorOf((await exchange(() => [w.take()])).packets[0])?.message).toMatch(/compressed connections are not supported/);
  });

  it('refuses an SSL request on a listener without TLS', async () => {
    const w = new PacketWriter();
    w.begin(1).int4(CAPS | Capability.SSL).int4(0).int1(45).zeros(23).end();
    expect(errorOf((await exchange(() => [w.take()])).packets[0])?.message).toMatch(/TLS is not available/);
  });

  it('closes a client that does not finish its login in time', async () => {
    const r = await exchange(() => [], 3000);
    expect(errorOf(r.packets[0])?.message).toMatch(/did not complete in time/);
  });

  it('refuses a command larger than limits.maxClientMessageBytes, before holding it', async () => {
    const big = Buffer.from([0x00, 0x00, 0x10, 0x00]); // 1 MiB command announced
    const r = await exchange(() => [login(), big]);
    expect(r.packets[0]![0]).toBe(0x00); // logged in
    expect(errorOf(r.packets[1])?.message).toMatch(/exceeds the limit of 65536 bytes/);
    expect(r.closed).toBe(true);
  });

  it('keeps serving after all that', async () => {
    const r = await gw.mariadb(token, ['-N', '-e', 'select 5']);
    expect(r.stdout).toMatch(/^5$/m);
  });
});
