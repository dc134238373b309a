import { X509Certificate } from 'node:crypto';
import { SamlConfigError } from './errors';

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** Below this an RSA signing key is within reach of a well-funded forger (NIST stopped allowing it in 2013). */
const MIN_RSA_BITS = 2048;

/**
 * Turns what an administrator pasted as an IdP signing certificate, a PEM block or its bare base64
 * body, into one canonical PEM (64-character lines, trailing newline), after checking that it is an
 * X.509 certificate that node:crypto parses, with an RSA (≥ 2048 bits) or EC public key. Expiry is
 * not checked: IdPs sign with expired self-signed certificates all the time, and SAML trusts the key,
 * not the dates. Private keys are refused loudly so that one pasted by mistake is not stored.
 */
export function normalizeCertificatePem(input: string): string {
  if (typeof input !== 'string' || input.trim() === '') throw new SamlConfigError('is empty');
  if (/PRIVATE KEY/i.test(input)) throw new SamlConfigError('is a private key; give the certificate instead');
  const blocks = [...input.matchAll(BLOCK)];
  let body: string;
  if (blocks.length > 0) {
    const labels = blocks.map((block) => block[1]);
    const certificates = blocks.filter((block) => block[1] === 'CERTIFICATE');
    if (certificates.length === 0) throw new SamlConfigError(`holds a ${labels[0]}, not a CERTIFICATE`);
    if (certificates.length > 1) throw new SamlConfigError('holds more than one certificate; give each separately');
    body = certificates[0][2];
  } else if (input.includes('-----')) {
    throw new SamlConfigError('is not a complete PEM block (BEGIN/END CERTIFICATE lines)');
  } else {
    body = input;
  }
  const base64 = body.replace(/\s+/g, '');
  if (!BASE64.test(base64) || base64.length % 4 !== 0) throw new SamlConfigError('is not valid base64');
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(Buffer.from(base64, 'base64'));
  } catch {
    throw new SamlConfigError('is not an X.509 certificate');
  }
  const key = certificate.publicKey;
  if (key.asymmetricKeyType === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) throw new SamlConfigError(`has a ${bits}-bit RSA key; at least ${MIN_RSA_BITS} bits`);
  } else if (key.asymmetricKeyType !== 'ec') {
    throw new SamlConfigError(`has a ${key.asymmetricKeyType ?? 'unknown'} key; SAML signatures need RSA or EC`);
  }
  return toPem(certificate.raw);
}

/** DER bytes of a certificate → PEM with 64-character lines. */
export function toPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
