import { X509Certificate } from 'node:crypto';
import { pemBody, selfSigned } from '../../test/support/certificates';
import { normalisePem, parseIdpMetadata } from './idp-input';

const idp = selfSigned('idp');
const next = selfSigned('idp-next');

function metadata(
  options: {
    entityId?: string;
    bindings?: Array<[string, string]>;
    keys?: Array<{ use?: string; cert: string }>;
  } = {},
): string {
  const bindings = options.bindings ?? [['HTTP-Redirect', 'https://idp.example.com/sso/redirect']];
  const keys = options.keys ?? [{ use: 'signing', cert: pemBody(idp.cert) }];
  return `<?xml version="1.0"?>
<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"
  entityID="${options.entityId ?? 'https://idp.example.com/metadata'}">
  <IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    ${keys
      .map(
        (key) => `<KeyDescriptor${key.use ? ` use="${key.use}"` : ''}><ds:KeyInfo><ds:X509Data>
      <ds:X509Certificate>${key.cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></KeyDescriptor>`,
      )
      .join('\n')}
    ${bindings
      .map(
        ([binding, location]) =>
          `<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:${binding}" Location="${location}"/>`,
      )
      .join('\n')}
  </IDPSSODescriptor>
</EntityDescriptor>`;
}

describe('normalisePem', () => {
  it('answers one canonical PEM for PEM, bare base64 and odd spacing', () => {
    const canonical = normalisePem(idp.cert);
    expect(new X509Certificate(canonical).subject).toBe('CN=idp');
    expect(normalisePem(pemBody(idp.cert))).toBe(canonical);
    expect(normalisePem(`  ${idp.cert.replace(/\n/g, '\r\n  ')}  `)).toBe(canonical);
  });

  it.each([
    ['a private key', () => idp.key, /private key/],
    ['two certificates', () => idp.cert + next.cert, /more than one/],
    ['a public key block', () => '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----', /PUBLIC KEY/],
    ['text around it', () => `hello ${idp.cert}`, /around/],
    ['not base64', () => 'not a certificate!', /base64/],
    ['base64 of nothing useful', () => Buffer.from('hello world').toString('base64'), /X\.509/],
    ['a broken header', () => '-----BEGIN CERTIFICATE-----\nAAAA', /PEM/],
  ])('refuses %s with a message', (_, input, message) => {
    expect(() => normalisePem(input())).toThrow(message);
  });
});

describe('parseIdpMetadata', () => {
  it('reads the entity id, the redirect sign-on URL and every signing certificate', () => {
    const parsed = parseIdpMetadata(
      metadata({
        bindings: [
          ['HTTP-POST', 'https://idp.example.com/sso/post'],
          ['HTTP-Redirect', 'https://idp.example.com/sso/redirect'],
        ],
        keys: [
          { use: 'signing', cert: pemBody(idp.cert) },
          { cert: pemBody(next.cert) },
          { use: 'encryption', cert: pemBody(selfSigned('enc').cert) },
          { use: 'signing', cert: pemBody(idp.cert) },
        ],
      }),
    );
    expect(parsed).toEqual({
      entityId: 'https://idp.example.com/metadata',
      ssoUrl: 'https://idp.example.com/sso/redirect',
      certs: [normalisePem(idp.cert), normalisePem(next.cert)],
    });
  });

  it('accepts an EntitiesDescriptor holding one IdP', () => {
    const inner = metadata().replace(/^<\?xml[^>]*>/, '');
    const wrapped = `<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">${inner}</EntitiesDescriptor>`;
    expect(parseIdpMetadata(wrapped).entityId).toBe('https://idp.example.com/metadata');
  });

  it.each([
    ['not XML', () => 'this is not xml <', /well-formed/],
    ['a DOCTYPE', () => `<!DOCTYPE x [<!ENTITY a "b">]>${metadata().replace(/^<\?xml[^>]*>/, '')}`, /DOCTYPE/],
    ['no IdP', () => '<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>', /no identity/],
    [
      'two IdPs',
      () =>
        `<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">${[1, 2].map(() => metadata().replace(/^<\?xml[^>]*>/, '')).join('')}</EntitiesDescriptor>`,
      /more than one/,
    ],
    ['no entity id', () => metadata({ entityId: '' }), /entityID/],
    [
      'no redirect binding',
      () => metadata({ bindings: [['HTTP-POST', 'https://idp.example.com/post']] }),
      /HTTP-Redirect/,
    ],
    [
      'no signing certificate',
      () => metadata({ keys: [{ use: 'encryption', cert: pemBody(idp.cert) }] }),
      /no signing/,
    ],
    ['a broken certificate', () => metadata({ keys: [{ use: 'signing', cert: 'AAAA' }] }), /signing certificate that/],
  ])('refuses %s', (_, xml, message) => {
    expect(() => parseIdpMetadata(xml())).toThrow(message);
  });
});
