// The connection phase (MySQL docs, "Connection Phase"): Protocol::HandshakeV10 from the server,
// Protocol::SSLRequest and Protocol::HandshakeResponse41 from the client, and
// Protocol::AuthSwitchRequest. Both sides are here: the gateway is the server to its clients
// and a client to its upstream.
import { Capability, Header } from './constants.js';
import { MysqlProtocolError } from './packet-reader.js';
import { PacketWriter } from './packet-writer.js';
import { PayloadReader } from './payload-reader.js';

export interface HandshakeV10 {
  serverVersion: string;
  connectionId: number;
  /** The 20-byte scramble (auth-plugin-data, both parts). */
  scramble: Buffer;
  capabilities: number;
  collation: number;
  status: number;
  authPlugin: string;
}

/** Protocol::HandshakeV10, as the server sends it. */
export function writeHandshakeV10(w: PacketWriter, h: HandshakeV10): number {
  if (h.scramble.length !== 20) throw new Error('scramble must be 20 bytes');
  return w
    .begin(0)
    .int1(10)
    .cstring(h.serverVersion)
    .int4(h.connectionId)
    .bytes(h.scramble.subarray(0, 8))
    .int1(0)
    .int2(h.capabilities & 0xffff)
    .int1(h.collation)
    .int2(h.status)
    .int2(h.capabilities >>> 16)
    .int1(21) // length of auth-plugin-data: 20 bytes and its NUL
    .zeros(10)
    .bytes(h.scramble.subarray(8))
    .int1(0)
    .cstring(h.authPlugin)
    .end();
}

export function readHandshakeV10(buf: Buffer, start: number, end: number): HandshakeV10 {
  const r = new PayloadReader(buf, start, end);
  const version = r.int1();
  if (version !== 10) throw new MysqlProtocolError(`unsupported handshake protocol version ${version}`);
  const serverVersion = r.cstring();
  const connectionId = r.int4();
  const part1 = r.bytes(8);
  r.skip(1);
  let capabilities = r.int2();
  let collation = 0;
  let status = 0;
  let authDataLength = 0;
  if (r.remaining > 0) {
    collation = r.int1();
    status = r.int2();
    capabilities |= r.int2() << 16;
    capabilities >>>= 0;
    authDataLength = r.int1();
    r.skip(10); // reserved (MariaDB: 6 reserved bytes and its extended capabilities)
  }
  let part2: Buffer = Buffer.alloc(0);
  if (capabilities & Capability.SECURE_CONNECTION) {
    const n = Math.max(13, authDataLength - 8);
    part2 = r.bytes(Math.min(n, r.remaining));
    // The last byte of part 2 is a NUL, not scramble.
    if (part2.length > 0 && part2[part2.length - 1] === 0) part2 = part2.subarray(0, part2.length - 1);
  }
  const authPlugin = capabilities & Capability.PLUGIN_AUTH && r.remaining > 0 ? r.cstringOrRest() : 'mysql_native_password';
  return { serverVersion, connectionId, scramble: Buffer.concat([part1, part2]), capabilities, collation, status, authPlugin };
}

export interface HandshakeResponse {
  /** True for the short Protocol::SSLRequest: switch to TLS, the full response follows. */
  sslRequest: boolean;
  capabilities: number;
  maxPacketSize: number;
  collation: number;
  user: string;
  authResponse: Buffer;
  database: string | undefined;
  authPlugin: string | undefined;
  attributes: Map<string, string>;
}

/** Size of Protocol::SSLRequest's payload: capabilities, max packet size, collation, 23 filler bytes. */
const SSL_REQUEST_SIZE = 32;
const MAX_ATTRIBUTES = 64;

/** Protocol::HandshakeResponse41, or the Protocol::SSLRequest that precedes it over TLS. */
export function readHandshakeResponse(buf: Buffer, start: number, end: number): HandshakeResponse {
  const r = new PayloadReader(buf, start, end);
  if (r.remaining < SSL_REQUEST_SIZE) throw new MysqlProtocolError('handshake response too short (a pre-4.1 client?)', 1043, '08S01');
  const capabilities = r.int4();
  if (!(capabilities & Capability.PROTOCOL_41)) throw new MysqlProtocolError('the client does not speak protocol 4.1', 1043, '08S01');
  const maxPacketSize = r.int4();
  const collation = r.int1();
  r.skip(23);
  const base = { capabilities, maxPacketSize, collation, user: '', authResponse: Buffer.alloc(0), database: undefined, authPlugin: undefined, attributes: new Map<string, string>() };
  if (r.remaining === 0) {
    if (!(capabilities & Capability.SSL)) throw new MysqlProtocolError('handshake response without a user name', 1043, '08S01');
    return { ...base, sslRequest: true };
  }
  const user = r.cstring();
  let authResponse: Buffer;
  if (capabilities & Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA) authResponse = r.lenencBytes();
  else if (capabilities & Capability.SECURE_CONNECTION) authResponse = r.bytes(r.int1());
  else authResponse = Buffer.from(r.cstring(), 'utf8');
  let database: string | undefined;
  if (capabilities & Capability.CONNECT_WITH_DB && r.remaining > 0) database = r.cstringOrRest();
  let authPlugin: string | undefined;
  if (capabilities & Capability.PLUGIN_AUTH && r.remaining > 0) authPlugin = r.cstringOrRest();
  const attributes = new Map<string, string>();
  if (capabilities & Capability.CONNECT_ATTRS && r.remaining > 0) {
    const total = r.lenencInt();
    const attrs = new PayloadReader(buf, r.pos, r.pos + Math.min(total, r.remaining));
    while (attrs.remaining > 0 && attributes.size < MAX_ATTRIBUTES) {
      const k = attrs.lenencString();
      attributes.set(k, attrs.lenencString());
    }
  }
  return { ...base, sslRequest: false, user, authResponse, database: database || undefined, authPlugin, attributes };
}

/** Protocol::SSLRequest (client side). */
export function writeSslRequest(w: PacketWriter, seq: number, capabilities: number, collation: number): number {
  return w.begin(seq).int4(capabilities).int4(0x1000000).int1(collation).zeros(23).end();
}

export interface ClientLogin {
  capabilities: number;
  collation: number;
  user: string;
  authResponse: Buffer;
  database: string | undefined;
  authPlugin: string;
  attributes: Map<string, string>;
}

/** Protocol::HandshakeResponse41 (client side). */
export function writeHandshakeResponse(w: PacketWriter, seq: number, login: ClientLogin): number {
  const caps = login.capabilities;
  w.begin(seq).int4(caps).int4(0x1000000).int1(login.collation).zeros(23).cstring(login.user);
  if (caps & Capability.PLUGIN_AUTH_LENENC_CLIENT_DATA) w.lenencBytes(login.authResponse);
  else w.int1(login.authResponse.length).bytes(login.authResponse);
  if (caps & Capability.CONNECT_WITH_DB) w.cstring(login.database ?? '');
  if (caps & Capability.PLUGIN_AUTH) w.cstring(login.authPlugin);
  if (caps & Capability.CONNECT_ATTRS) {
    const attrs = new PacketWriter();
    for (const [k, v] of login.attributes) attrs.lenencString(k).lenencString(v);
    w.lenencBytes(attrs.take());
  }
  return w.end();
}

/** Protocol::AuthSwitchRequest: 0xfe, plugin name, plugin data. */
export function writeAuthSwitch(w: PacketWriter, seq: number, plugin: string, data: Buffer): number {
  return w.begin(seq).int1(Header.EOF).cstring(plugin).bytes(data).end();
}

export function readAuthSwitch(buf: Buffer, start: number, end: number): { plugin: string; data: Buffer } {
  const r = new PayloadReader(buf, start + 1, end);
  const plugin = r.cstringOrRest();
  let data = r.rest();
  if (data.length > 0 && data[data.length - 1] === 0) data = data.subarray(0, data.length - 1);
  return { plugin, data };
}
