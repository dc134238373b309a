import { X509Certificate } from 'node:crypto';
import { selfSigned, type KeyPair } from '../../../test/support/x509';
import { SamlConfigError } from './errors';
import { normalizeCertificatePem } from './pem';

let rsa: KeyPair;

beforeAll(() => {
  rsa = selfSigned({ commonName: 'idp' });
});

const body = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s+/g, '');

describe('normalizeCertificatePem', () => {
  it('answers the canonical PEM for a PEM, however it was wrapped or spaced', () => {
    const canonical = normalizeCertificatePem(rsa.cert);
    expect(canonical).toBe(rsa.cert);
    expect(canonical).toMatch(/^-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END CERTIFICATE-----\n$/);
    const messy = `  \r\n${rsa.cert.replace(/\n/g, '\r\n').replace('-----\r\n', '-----\r\n   ')}\r\n`;
    expect(normalizeCertificatePem(messy)).toBe(canonical);
    const oneLine = `-----BEGIN CERTIFICATE-----${body(rsa.cert)}-----END CERTIFICATE-----`;
    expect(normalizeCertificatePem(oneLine)).toBe(canonical);
  });

  it('accepts the bare base64 body (what metadata and many admin consoles show)', () => {
    expect(normalizeCertificatePem(body(rsa.cert))).toBe(rsa.cert);
    expect(normalizeCertificatePem(body(rsa.cert).replace(/(.{76})/g, '$1\n'))).toBe(rsa.cert);
  });

  it('ignores text around the block (openssl "Bag Attributes" headers)', () => {
    const withHeaders = `Bag Attributes\n    friendlyName: idp\nsubject=/CN=idp\n${rsa.cert}`;
    expect(normalizeCertificatePem(withHeaders)).toBe(rsa.cert);
  });

  it('accepts an expired certificate and an EC one', () => {
    const expired = selfSigned({ notBefore: new Date('2015-01-01'), notAfter: new Date('2016-01-01') });
    expect(new X509Certificate(expired.cert).validTo).toMatch(/2016/);
    expect(normalizeCertificatePem(expired.cert)).toBe(expired.cert);
    const ec = selfSigned({ type: 'ec' });
    expect(normalizeCertificatePem(ec.cert)).toBe(ec.cert);
  });

  it.each([
    ['an empty string', '', 'is empty'],
    ['whitespace', ' \n ', 'is empty'],
    ['garbage', 'hello world', 'is not valid base64'],
    [
      'base64 that is not DER',
      Buffer.from('not a certificate at all').toString('base64'),
      'is not an X.509 certificate',
    ],
    [
      'a truncated block',
      '-----BEGIN CERTIFICATE-----\nMIIB',
      'is not a complete PEM block (BEGIN/END CERTIFICATE lines)',
    ],
  ])('refuses %s', (_name, input, message) => {
    expect(() => normalizeCertificatePem(input)).toThrow(new SamlConfigError(message));
  });

  it('refuses a private key, alone or next to the certificate', () => {
    const message = 'is a private key; give the certificate instead';
    expect(() => normalizeCertificatePem(rsa.key)).toThrow(new SamlConfigError(message));
    expect(() => normalizeCertificatePem(rsa.cert + rsa.key)).toThrow(new SamlConfigError(message));
  });

  it('refuses a public key and a bundle of certificates', () => {
    const publicKey = new X509Certificate(rsa.cert).publicKey.export({ type: 'spki', format: 'pem' }) as string;
    expect(() => normalizeCertificatePem(publicKey)).toThrow(
      new SamlConfigError('holds a PUBLIC KEY, not a CERTIFICATE'),
    );
    const other = selfSigned({ commonName: 'other' });
    expect(() => normalizeCertificatePem(rsa.cert + other.cert)).toThrow(
      new SamlConfigError('holds more than one certificate; give each separately'),
    );
  });

  it('refuses an RSA key under 2048 bits', () => {
    const weak = selfSigned({ modulusLength: 1024 });
    expect(() => normalizeCertificatePem(weak.cert)).toThrow(
      new SamlConfigError('has a 1024-bit RSA key; at least 2048 bits'),
    );
  });
});
