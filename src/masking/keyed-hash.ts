// HMAC-SHA256 (RFC 2104 over FIPS 180-4 SHA-256) for short values, in plain JavaScript: the pads'
// compression states are computed once per key, so a value costs two or three block compressions
// and no allocation besides its result. node:crypto spends ~3 µs per call on object set-up alone
// (Node 20), which would make `hash` and `format` the slowest part of a masked row. Tests check it
// against createHmac byte for byte.

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be,
  0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa,
  0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85,
  0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
  0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f,
  0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const IV = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
const BLOCK = 64;

const w = new Int32Array(64);

/** One SHA-256 compression of bytes[at, at+64) into state. */
function compress(state: Int32Array, bytes: Uint8Array, at: number): void {
  for (let i = 0; i < 16; i++) {
    const j = at + i * 4;
    w[i] = ((bytes[j] as number) << 24) | ((bytes[j + 1] as number) << 16) | ((bytes[j + 2] as number) << 8) | (bytes[j + 3] as number);
  }
  for (let i = 16; i < 64; i++) {
    const a = w[i - 15] as number;
    const b = w[i - 2] as number;
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
    w[i] = ((w[i - 16] as number) + s0 + (w[i - 7] as number) + s1) | 0;
  }
  let a = state[0] as number;
  let b = state[1] as number;
  let c = state[2] as number;
  let d = state[3] as number;
  let e = state[4] as number;
  let f = state[5] as number;
  let g = state[6] as number;
  let h = state[7] as number;
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + S1 + ((e & f) ^ (~e & g)) + (K[i] as number) + (w[i] as number)) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = ((state[0] as number) + a) | 0;
  state[1] = ((state[1] as number) + b) | 0;
  state[2] = ((state[2] as number) + c) | 0;
  state[3] = ((state[3] as number) + d) | 0;
  state[4] = ((state[4] as number) + e) | 0;
  state[5] = ((state[5] as number) + f) | 0;
  state[6] = ((state[6] as number) + g) | 0;
  state[7] = ((state[7] as number) + h) | 0;
}

/**
 * Finishes a hash whose state already absorbed `prefixBlocks` blocks: absorbs `length` bytes of
 * `data` (which has room for padding after them) and writes the digest into `out`.
 */
function finish(state: Int32Array, prefixBlocks: number, data: Uint8Array, length: number, out: Uint8Array): void {
  const padded = Math.ceil((length + 9) / BLOCK) * BLOCK;
  data[length] = 0x80;
  data.fill(0, length + 1, padded - 8);
  const bits = (prefixBlocks * BLOCK + length) * 8;
  const high = Math.floor(bits / 0x100000000);
  data[padded - 8] = high >>> 24;
  data[padded - 7] = high >>> 16;
  data[padded - 6] = high >>> 8;
  data[padded - 5] = high;
  data[padded - 4] = bits >>> 24;
  data[padded - 3] = bits >>> 16;
  data[padded - 2] = bits >>> 8;
  data[padded - 1] = bits;
  for (let at = 0; at < padded; at += BLOCK) compress(state, data, at);
  for (let i = 0; i < 8; i++) {
    const v = state[i] as number;
    out[i * 4] = v >>> 24;
    out[i * 4 + 1] = v >>> 16;
    out[i * 4 + 2] = v >>> 8;
    out[i * 4 + 3] = v;
  }
}

function sha256(bytes: Uint8Array): Uint8Array {
  const data = new Uint8Array(Math.ceil((bytes.length + 9) / BLOCK) * BLOCK);
  data.set(bytes);
  const out = new Uint8Array(32);
  finish(IV.slice(), 0, data, bytes.length, out);
  return out;
}

/** HMAC-SHA256 of one value as eight big-endian 32-bit words; the array is reused by the next call. */
export type KeyedHash = (value: string) => Int32Array;

/** HMAC-SHA256 under `key`, over the UTF-8 bytes of each value. */
export function hmacSha256(key: Uint8Array): KeyedHash {
  const block = new Uint8Array(BLOCK);
  block.set(key.length > BLOCK ? sha256(key) : key);
  const innerStart = IV.slice();
  const outerStart = IV.slice();
  compress(innerStart, block.map((byte) => byte ^ 0x36), 0);
  compress(outerStart, block.map((byte) => byte ^ 0x5c), 0);
  const state = new Int32Array(8);
  let scratch = new Uint8Array(256);
  const innerDigest = new Uint8Array(BLOCK);
  return (value) => {
    // UTF-8 is at most 3 bytes per UTF-16 unit; + 72 leaves room for the padding.
    if (value.length * 3 + 72 > scratch.length) scratch = new Uint8Array(value.length * 3 + 72);
    const length = utf8Into(value, scratch);
    state.set(innerStart);
    finish(state, 1, scratch, length, innerDigest);
    state.set(outerStart);
    finish(state, 1, innerDigest, 32, innerDigest);
    return state;
  };
}

const encoder = new TextEncoder();

/** ASCII is copied unit by unit (a native call costs more than the hash for short values). */
function utf8Into(value: string, out: Uint8Array): number {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 128) return encoder.encodeInto(value, out).written;
    out[i] = code;
  }
  return value.length;
}

/** Byte `i` (0-31) of a digest. */
export function digestByte(digest: Int32Array, i: number): number {
  return ((digest[i >> 2] as number) >>> (24 - 8 * (i & 3))) & 0xff;
}

const hexDigits = '0123456789abcdef';

/** The first `chars` (at most 64) hex digits of a digest. */
export function digestHex(digest: Int32Array, chars: number): string {
  let out = '';
  for (let i = 0; i < chars; i++) {
    const byte = digestByte(digest, i >> 1);
    out += hexDigits[(i & 1) === 0 ? byte >> 4 : byte & 15];
  }
  return out;
}
