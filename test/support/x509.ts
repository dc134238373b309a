import * as crypto from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** A private key and a self-signed certificate for it, both PEM. */
export interface KeyPair {
  key: string;
  cert: string;
}

export interface SelfSignedOptions {
  commonName?: string;
  /** 'rsa' (default, 2048 bits unless modulusLength says otherwise) or 'ec' (P-256). */
  type?: 'rsa' | 'ec';
  modulusLength?: number;
  notBefore?: Date;
  notAfter?: Date;
}

// A minimal DER writer: enough for an X.509 v1 certificate (no extensions), which is all SAML needs.
const length = (n: number): Buffer => {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let m = n; m > 0; m >>= 8) bytes.unshift(m & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
};
const tlv = (tag: number, ...parts: Buffer[]): Buffer => {
  const value = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), length(value.length), value]);
};
const sequence = (...parts: Buffer[]) => tlv(0x30, ...parts);
const set = (...parts: Buffer[]) => tlv(0x31, ...parts);
const oid = (dotted: string): Buffer => {
  const arcs = dotted.split('.').map(Number);
  const bytes = [40 * arcs[0] + arcs[1]];
  for (const arc of arcs.slice(2)) {
    const chunk = [arc & 0x7f];
    for (let m = arc >> 7; m > 0; m >>= 7) chunk.unshift(0x80 | (m & 0x7f));
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
};
const integer = (bytes: Buffer) => tlv(0x02, bytes[0] & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
/** UTCTime before 2050, GeneralizedTime from then on (RFC 5280 §4.1.2.5). */
const time = (date: Date): Buffer => {
  const digits = date.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  return date.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(digits.slice(2))) : tlv(0x18, Buffer.from(digits));
};
const name = (commonName: string) => sequence(set(sequence(oid('2.5.4.3'), tlv(0x0c, Buffer.from(commonName)))));
const SHA256_WITH_RSA = sequence(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));
const ECDSA_WITH_SHA256 = sequence(oid('1.2.840.10045.4.3.2'));

/**
 * RSA-2048 private keys (PEM) kept between runs, in the checkout's own cache folder: generating one
 * costs about 100 ms of CPU, and the specs ask for dozens. Each test file takes them in order, so the
 * keys within one file are all different; the pool grows when a file needs more than it holds.
 */
const RSA_POOL = join(__dirname, '..', '..', 'node_modules', '.cache', 'authd-test-rsa-2048-keys.json');
let rsaPool: string[] | undefined;
let rsaTaken = 0;

/** The pooled keys that are distinct RSA-2048 private keys; anything else in the file is ignored. */
function readRsaPool(): string[] {
  let stored: unknown;
  try {
    stored = JSON.parse(readFileSync(RSA_POOL, 'utf8'));
  } catch {
    return [];
  }
  if (!Array.isArray(stored)) return [];
  const keys = new Set<string>();
  for (const pem of stored) {
    try {
      const key = crypto.createPrivateKey(pem as string);
      if (key.asymmetricKeyType === 'rsa' && key.asymmetricKeyDetails?.modulusLength === 2048) keys.add(pem as string);
    } catch {
      // not a key: skipped
    }
  }
  return [...keys];
}

function pooledRsaKey(): crypto.KeyObject {
  rsaPool ??= readRsaPool();
  if (rsaTaken < rsaPool.length) return crypto.createPrivateKey(rsaPool[rsaTaken++]);
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  rsaPool.push(pem);
  rsaTaken++;
  // Merged with what another worker stored meanwhile, written whole and renamed into place.
  const merged = [...new Set([...readRsaPool(), ...rsaPool])];
  const partial = `${RSA_POOL}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
  try {
    mkdirSync(dirname(RSA_POOL), { recursive: true });
    writeFileSync(partial, JSON.stringify(merged), { flag: 'wx', mode: 0o600 });
    renameSync(partial, RSA_POOL);
  } catch {
    // A pool that cannot be kept costs time only.
    rmSync(partial, { force: true });
  }
  return privateKey;
}

/** Generates a key pair and a self-signed certificate with node:crypto only (no openssl, no extra package). */
export function selfSigned(options: SelfSignedOptions = {}): KeyPair {
  const type = options.type ?? 'rsa';
  const modulusLength = options.modulusLength ?? 2048;
  const privateKey =
    type === 'ec'
      ? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
      : modulusLength === 2048
        ? pooledRsaKey()
        : crypto.generateKeyPairSync('rsa', { modulusLength }).privateKey;
  const publicKey = crypto.createPublicKey(privateKey);
  const algorithm = type === 'rsa' ? SHA256_WITH_RSA : ECDSA_WITH_SHA256;
  const notBefore = options.notBefore ?? new Date(Date.now() - 3600_000);
  const notAfter = options.notAfter ?? new Date(Date.now() + 365 * 86400_000);
  const serial = crypto.randomBytes(16);
  serial[0] = (serial[0] & 0x7f) | 0x01;
  const subject = name(options.commonName ?? 'test');
  const tbs = sequence(
    integer(serial),
    algorithm,
    subject,
    sequence(time(notBefore), time(notAfter)),
    subject,
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = crypto.sign('sha256', tbs, privateKey);
  const der = sequence(tbs, algorithm, tlv(0x03, Buffer.from([0]), signature));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    cert: `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`,
  };
}

/** The base64 body of a PEM on one line, as XML metadata carries a certificate. */
export function pemBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) [A-Z ]+-----|\s+/g, '');
}
