// Client side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL uses it
// (PostgreSQL docs, "SASL Authentication"). No channel binding: the gs2 header is "n,,".
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export const SCRAM_MECHANISM = 'SCRAM-SHA-256';

export class ScramError extends Error {}

const hmac = (key: Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();
const sha256 = (data: Buffer): Buffer => createHash('sha256').update(data).digest();

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

function parseAttributes(message: string): Map<string, string> {
  const attrs = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq !== 1) throw new ScramError('malformed SCRAM message from server');
    attrs.set(part[0]!, part.slice(2));
  }
  return attrs;
}

// Salted passwords cost thousands of HMAC rounds; reconnects with the same salt reuse them.
const saltedCache = new Map<string, Buffer>();

function saltedPassword(password: string, salt: Buffer, iterations: number): Buffer {
  const key = createHash('sha256').update(password).update('\0').update(salt).update(String(iterations)).digest('base64');
  let salted = saltedCache.get(key);
  if (!salted) {
    salted = pbkdf2Sync(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
    if (saltedCache.size > 256) saltedCache.clear();
    saltedCache.set(key, salted);
  }
  return salted;
}

export class ScramClient {
  private readonly nonce = randomBytes(18).toString('base64');
  private readonly clientFirstBare = `n=*,r=${this.nonce}`;
  private expectedServerSignature: Buffer | undefined;

  constructor(private readonly password: string) {}

  /** SASLInitialResponse payload. */
  clientFirst(): string {
    return `n,,${this.clientFirstBare}`;
  }

  /** Answers server-first-message with client-final-message. */
  clientFinal(serverFirst: string): string {
    const attrs = parseAttributes(serverFirst);
    const serverNonce = attrs.get('r');
    const salt = attrs.get('s');
    const iterations = Number(attrs.get('i'));
    if (!serverNonce || !serverNonce.startsWith(this.nonce) || serverNonce.length === this.nonce.length) {
      throw new ScramError('server nonce does not extend the client nonce');
    }
    if (!salt || !Number.isInteger(iterations) || iterations < 1) throw new ScramError('server sent no usable salt or iteration count');
    const salted = saltedPassword(this.password, Buffer.from(salt, 'base64'), iterations);
    const clientKey = hmac(salted, 'Client Key');
    const withoutProof = `c=biws,r=${serverNonce}`;
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const proof = xor(clientKey, hmac(sha256(clientKey), authMessage));
    this.expectedServerSignature = hmac(hmac(salted, 'Server Key'), authMessage);
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  /** Checks server-final-message: the server proves it knew the password too. */
  verifyServerFinal(serverFinal: string): void {
    const attrs = parseAttributes(serverFinal);
    if (attrs.has('e')) throw new ScramError(`server rejected SCRAM exchange: ${attrs.get('e')}`);
    const v = Buffer.from(attrs.get('v') ?? '', 'base64');
    const expected = this.expectedServerSignature;
    if (!expected || v.length !== expected.length || !timingSafeEqual(v, expected)) {
      throw new ScramError('server signature does not match: the upstream is not who it claims to be');
    }
  }
}

/** md5 password response: "md5" + md5(md5(password + user) + salt). */
export function md5PasswordResponse(user: string, password: string, salt: Buffer): string {
  const inner = createHash('md5').update(password).update(user).digest('hex');
  return 'md5' + createHash('md5').update(inner).update(salt).digest('hex');
}
