// Ed25519 keys for checkpoint signatures: read from PEM or JWK files, generated for development.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

function parseKey(text: string, kind: 'private' | 'public', source: string): KeyObject {
  const trimmed = text.trim();
  let key: KeyObject;
  try {
    if (trimmed.startsWith('{')) {
      const parsed = JSON.parse(trimmed) as { keys?: unknown[] } & Record<string, unknown>;
      // A JWKS holding one key works as well as the bare JWK.
      const jwk = (Array.isArray(parsed.keys) ? parsed.keys[0] : parsed) as import('node:crypto').JsonWebKey;
      key = kind === 'private' ? createPrivateKey({ key: jwk, format: 'jwk' }) : createPublicKey({ key: jwk, format: 'jwk' });
    } else {
      key = kind === 'private' ? createPrivateKey(trimmed) : createPublicKey(trimmed);
    }
  } catch (err) {
    throw new Error(`${source}: not a readable ${kind} key (PEM or JWK): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${source}: an Ed25519 key is needed, found ${key.asymmetricKeyType ?? 'a symmetric key'}`);
  return key;
}

export function loadSigningKey(path: string): KeyObject {
  return parseKey(readFileSync(path, 'utf8'), 'private', path);
}

/** A public key file, or a private key file (its public half is used). */
export function loadVerifyKey(path: string): KeyObject {
  const text = readFileSync(path, 'utf8');
  if (/PRIVATE KEY/.test(text) || /"d"\s*:/.test(text)) return createPublicKey(parseKey(text, 'private', path));
  return parseKey(text, 'public', path);
}

export function generateSigningKeyPair(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}
