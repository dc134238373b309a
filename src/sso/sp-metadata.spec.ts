import { DOMParser } from '@xmldom/xmldom';
import { pemBody, selfSigned } from '../../test/support/x509';
import { escapeXml, spMetadataXml, ssoUrls } from './sp-metadata';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';

function parse(xml: string) {
  const problems: string[] = [];
  const document = new DOMParser({
    errorHandler: {
      warning: () => undefined,
      error: (m: string) => problems.push(m),
      fatalError: (m: string) => problems.push(m),
    },
  }).parseFromString(xml, 'text/xml');
  expect(problems).toEqual([]);
  return document;
}

describe('ssoUrls', () => {
  it('puts every address under APP_URL and the provider id', () => {
    expect(ssoUrls('https://auth.example.com/base', 'abc')).toEqual({
      spEntityId: 'https://auth.example.com/base/auth/saml/abc/metadata',
      metadataUrl: 'https://auth.example.com/base/auth/saml/abc/metadata',
      acsUrl: 'https://auth.example.com/base/auth/saml/abc/acs',
      loginUrl: 'https://auth.example.com/base/auth/saml/abc/login',
    });
  });
});

describe('spMetadataXml', () => {
  it('describes the SP without a key: requests unsigned, assertions wanted signed', () => {
    const document = parse(spMetadataXml({ entityId: 'https://sp/metadata', acsUrl: 'https://sp/acs' }));
    const entity = document.documentElement;
    expect(entity.localName).toBe('EntityDescriptor');
    expect(entity.getAttribute('entityID')).toBe('https://sp/metadata');
    const sp = entity.getElementsByTagNameNS(MD, 'SPSSODescriptor')[0];
    expect(sp.getAttribute('AuthnRequestsSigned')).toBe('false');
    expect(sp.getAttribute('WantAssertionsSigned')).toBe('true');
    expect(sp.getElementsByTagNameNS(MD, 'KeyDescriptor')).toHaveLength(0);
    const acs = sp.getElementsByTagNameNS(MD, 'AssertionConsumerService')[0];
    expect(acs.getAttribute('Binding')).toBe('urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
    expect(acs.getAttribute('Location')).toBe('https://sp/acs');
    expect(sp.getElementsByTagNameNS(MD, 'NameIDFormat').length).toBeGreaterThan(0);
  });

  it('publishes the signing certificate and escapes what it quotes', () => {
    const { cert } = selfSigned({ commonName: 'sp' });
    const entityId = 'https://sp/?a=1&b="2"<x>';
    const document = parse(spMetadataXml({ entityId, acsUrl: "https://sp/acs?x='y'", signingCert: cert }));
    expect(document.documentElement.getAttribute('entityID')).toBe(entityId);
    const sp = document.getElementsByTagNameNS(MD, 'SPSSODescriptor')[0];
    expect(sp.getAttribute('AuthnRequestsSigned')).toBe('true');
    const key = sp.getElementsByTagNameNS(MD, 'KeyDescriptor')[0];
    expect(key.getAttribute('use')).toBe('signing');
    expect(key.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'X509Certificate')[0].textContent).toBe(
      pemBody(cert),
    );
    expect(sp.getElementsByTagNameNS(MD, 'AssertionConsumerService')[0].getAttribute('Location')).toBe(
      "https://sp/acs?x='y'",
    );
  });

  it('escapes the five XML specials', () => {
    expect(escapeXml(`<a href="x">&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;');
  });
});
