import * as crypto from 'node:crypto';

/*
 * A self-signed X.509 certificate built with node:crypto alone (no openssl, no extra package): a
 * minimal DER encoder for a v1 certificate, which Node, xml-crypto and node-saml all accept.
 */

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const value = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), length(value.length), value]);
}

const sequence = (...parts: Buffer[]) => tlv(0x30, ...parts);
const set = (...parts: Buffer[]) => tlv(0x31, ...parts);

function oid(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * first + second];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let m = n >> 7; m > 0; m >>= 7) chunk.unshift(0x80 | (m & 0x7f));
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

const integer = (bytes: Buffer) => tlv(0x02, bytes[0] & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
/** UTCTime, good for years before 2050. */
const utcTime = (date: Date) => tlv(0x17, Buffer.from(date.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z'));
const commonName = (cn: string) => sequence(set(sequence(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn)))));
const SHA256_WITH_RSA = sequence(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));

export interface KeyPair {
  /** PKCS#8 PEM. */
  key: string;
  /** PEM. */
  cert: string;
}

/** A fresh RSA-2048 key and its self-signed certificate (about 300 ms). */
export function selfSigned(cn = 'test', days = 365): KeyPair {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const serial = crypto.randomBytes(16);
  serial[0] = 1;
  const now = Date.now();
  const tbs = sequence(
    integer(serial),
    SHA256_WITH_RSA,
    commonName(cn),
    sequence(utcTime(new Date(now - 3600_000)), utcTime(new Date(now + days * 86_400_000))),
    commonName(cn),
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const der = sequence(tbs, SHA256_WITH_RSA, tlv(0x03, Buffer.from([0]), crypto.sign('sha256', tbs, privateKey)));
  const body = der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n');
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    cert: `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`,
  };
}

/** The base64 body of a PEM, on one line (as it appears in XML metadata). */
export function pemBody(pem: string): string {
  return pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
}
