import { describe, expect, it } from 'vitest';
import { Capability } from '../../../protocols/mysql/constants.js';
import { PacketWriter } from '../../../protocols/mysql/packet-writer.js';
import {
  readAuthSwitch,
  readHandshakeResponse,
  readHandshakeV10,
  writeAuthSwitch,
  writeHandshakeResponse,
  writeHandshakeV10,
  writeSslRequest,
} from '../../../protocols/mysql/handshake.js';
import { MysqlProtocolError } from '../../../protocols/mysql/packet-reader.js';
import { readColumnDefinition } from '../../../protocols/mysql/column-definition.js';
import { readPrepareOk } from '../../../protocols/mysql/prepared.js';
import { cachingSha2Response, nativePasswordResponse } from '../../../protocols/mysql/auth-scramble.js';

const scramble = Buffer.from('abcdefghijklmnopqrst');
const caps = Capability.PROTOCOL_41 | Capability.SECURE_CONNECTION | Capability.PLUGIN_AUTH | Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA | Capability.CONNECT_ATTRS | Capability.CONNECT_WITH_DB | Capability.DEPRECATE_EOF;

function body(wire: Buffer): Buffer {
  return wire.subarray(4);
}

describe('handshake', () => {
  it('writes a HandshakeV10 that reads back (protocol 10, 20-byte scramble, plugin name)', () => {
    const w = new PacketWriter();
    writeHandshakeV10(w, { serverVersion: '10.11.19-MariaDB', connectionId: 77, scramble, capabilities: caps | Capability.SSL, collation: 45, status: 2, authPlugin: 'mysql_native_password' });
    const wire = w.take();
    expect(wire[3]).toBe(0);
    const p = body(wire);
    expect(p[0]).toBe(10);
    const h = readHandshakeV10(p, 0, p.length);
    expect(h).toMatchObject({ serverVersion: '10.11.19-MariaDB', connectionId: 77, collation: 45, status: 2, authPlugin: 'mysql_native_password' });
    expect(h.capabilities).toBe((caps | Capability.SSL) >>> 0);
    expect(h.scramble.equals(scramble)).toBe(true);
  });

  it('parses a HandshakeResponse41 with database, plugin and connection attributes', () => {
    const w = new PacketWriter();
    const attrs = new Map([
      ['program_name', 'agent-x'],
      ['traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'],
    ]);
    writeHandshakeResponse(w, 1, { capabilities: caps, collation: 45, user: 'agent-1', authResponse: Buffer.from('tok'), database: 'clinic', authPlugin: 'mysql_clear_password', attributes: attrs });
    const p = body(w.take());
    const r = readHandshakeResponse(p, 0, p.length);
    expect(r).toMatchObject({ sslRequest: false, user: 'agent-1', database: 'clinic', authPlugin: 'mysql_clear_password', collation: 45 });
    expect(r.authResponse.toString()).toBe('tok');
    expect(r.attributes).toEqual(attrs);
  });

  it('recognizes the short SSL request', () => {
    const w = new PacketWriter();
    writeSslRequest(w, 1, caps | Capability.SSL, 45);
    const p = body(w.take());
    expect(p.length).toBe(32);
    expect(readHandshakeResponse(p, 0, p.length).sslRequest).toBe(true);
  });

  it('refuses pre-4.1 clients and truncated responses', () => {
    const p = Buffer.alloc(32);
    expect(() => readHandshakeResponse(p, 0, p.length)).toThrow(/protocol 4.1/);
    expect(() => readHandshakeResponse(p, 0, 10)).toThrow(MysqlProtocolError);
    const w = new PacketWriter();
    writeHandshakeResponse(w, 1, { capabilities: caps, collation: 45, user: 'u', authResponse: Buffer.alloc(40), database: undefined, authPlugin: 'x', attributes: new Map() });
    const full = body(w.take());
    expect(() => readHandshakeResponse(full, 0, 40)).toThrow(MysqlProtocolError);
  });

  it('writes and reads an AuthSwitchRequest to mysql_clear_password', () => {
    const w = new PacketWriter();
    expect(writeAuthSwitch(w, 2, 'mysql_clear_password', Buffer.concat([scramble, Buffer.from([0])]))).toBe(3);
    const p = body(w.take());
    expect(p[0]).toBe(0xfe);
    expect(readAuthSwitch(p, 0, p.length)).toEqual({ plugin: 'mysql_clear_password', data: scramble });
  });
});

describe('column definitions and PREPARE_OK', () => {
  it('keeps schema, org_table and org_name', () => {
    const w = new PacketWriter();
    w.begin(2).lenencString('def').lenencString('clinic').lenencString('p').lenencString('patients').lenencString('who').lenencString('full_name')
      .lenenc(0x0c).int2(45).int4(800).int1(0xfd).int2(0x1001).int1(0).int2(0).end();
    const p = body(w.take());
    expect(readColumnDefinition(p, 0, p.length)).toEqual({ schema: 'clinic', table: 'p', orgTable: 'patients', name: 'who', orgName: 'full_name', charset: 45, length: 800, type: 0xfd, flags: 0x1001, decimals: 0 });
  });

  it('reads COM_STMT_PREPARE_OK', () => {
    const p = Buffer.from('00' + '07000000' + '0300' + '0100' + '00' + '0000', 'hex');
    expect(readPrepareOk(p, 0, p.length)).toEqual({ statementId: 7, columns: 3, params: 1, warnings: 0 });
  });
});

describe('authentication scrambles', () => {
  it('computes mysql_native_password as the server checks it', async () => {
    const { createHash } = await import('node:crypto');
    const sha1 = (b: Buffer) => createHash('sha1').update(b).digest();
    const answer = nativePasswordResponse('secret', scramble);
    // The server recovers SHA1(password) from the answer and checks it against the stored SHA1(SHA1(password)).
    const stored = sha1(sha1(Buffer.from('secret')));
    const key = sha1(Buffer.concat([scramble, stored]));
    const recovered = Buffer.from(answer.map((b, i) => b ^ key[i]!));
    expect(sha1(recovered).equals(stored)).toBe(true);
    expect(nativePasswordResponse('', scramble).length).toBe(0);
  });

  it('computes the caching_sha2_password fast-auth answer', async () => {
    const { createHash } = await import('node:crypto');
    const sha256 = (b: Buffer) => createHash('sha256').update(b).digest();
    const answer = cachingSha2Response('secret', scramble);
    const stored = sha256(sha256(Buffer.from('secret')));
    const key = sha256(Buffer.concat([stored, scramble]));
    const recovered = Buffer.from(answer.map((b, i) => b ^ key[i]!));
    expect(sha256(recovered).equals(stored)).toBe(true);
  });
});
