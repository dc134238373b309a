import { TestIdp, selfSigned } from '../../../test/support/saml-idp';
import { SamlConfigError } from './errors';
import { parseIdpMetadata } from './idp-metadata';

let idp: TestIdp;
let next: string;
let encryption: string;

beforeAll(() => {
  idp = new TestIdp('https://idp.acme.test/metadata', 'https://idp.acme.test/sso');
  next = selfSigned({ commonName: 'next' }).cert;
  encryption = selfSigned({ commonName: 'encryption' }).cert;
});

const refused = (message: string) => new SamlConfigError(message);

describe('parseIdpMetadata', () => {
  it('reads the entity id, the HTTP-Redirect location and every signing certificate (not encryption ones)', () => {
    const xml = idp.metadataXml({ certs: [idp.cert, next], encryptionCert: encryption });
    expect(parseIdpMetadata(xml)).toEqual({
      entityId: 'https://idp.acme.test/metadata',
      ssoUrl: 'https://idp.acme.test/sso/redirect',
      certs: [idp.cert, next],
    });
  });

  it('falls back to the HTTP-POST location', () => {
    const xml = idp.metadataXml({ bindings: ['HTTP-POST'] });
    expect(parseIdpMetadata(xml).ssoUrl).toBe('https://idp.acme.test/sso/post');
  });

  it('lists a certificate given twice once', () => {
    expect(parseIdpMetadata(idp.metadataXml({ certs: [idp.cert, idp.cert] })).certs).toEqual([idp.cert]);
  });

  it('takes the one IdP out of an EntitiesDescriptor (which may also list SPs)', () => {
    const entity = idp.metadataXml().replace(/^<\?xml[^>]*>\s*/, '');
    const sp =
      '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://sp.test">' +
      '<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>';
    const xml = `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">${sp}${entity}</md:EntitiesDescriptor>`;
    expect(parseIdpMetadata(xml).entityId).toBe('https://idp.acme.test/metadata');

    const other = new TestIdp('https://other.test/metadata', 'https://other.test/sso', selfSigned()).metadataXml();
    const two = `<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">${entity}${other.replace(/^<\?xml[^>]*>\s*/, '')}</md:EntitiesDescriptor>`;
    expect(() => parseIdpMetadata(two)).toThrow(refused('describes 2 identity providers; give the one to use'));
  });

  it('accepts a byte-order mark before the XML declaration', () => {
    expect(parseIdpMetadata('\uFEFF' + idp.metadataXml()).entityId).toBe('https://idp.acme.test/metadata');
  });

  it.each([
    ['empty', () => '', 'is empty'],
    [
      'a DOCTYPE',
      () => `<!DOCTYPE md:EntityDescriptor>${idp.metadataXml().replace(/^<\?xml[^>]*>/, '')}`,
      'must not contain a DOCTYPE or ENTITY declaration',
    ],
    [
      'an entity',
      () => idp.metadataXml().replace('<md:EntityDescriptor', '<!ENTITY x "y"><md:EntityDescriptor'),
      'must not contain a DOCTYPE or ENTITY declaration',
    ],
    ['unclosed XML', () => idp.metadataXml().replace('</md:EntityDescriptor>', ''), /^is not well-formed XML/],
    ['not XML', () => 'entityID=https://idp', /^is not well-formed XML/],
    ['another root element', () => '<html><body/></html>', 'has no md:EntityDescriptor root element'],
    [
      'no entityID',
      () => idp.metadataXml().replace(/ entityID="[^"]*"/, ''),
      'has an EntityDescriptor without entityID',
    ],
    [
      'no IDPSSODescriptor',
      () => idp.metadataXml().replace(/IDPSSODescriptor/g, 'SPSSODescriptor'),
      'has no IDPSSODescriptor for the SAML 2.0 protocol',
    ],
    [
      'a SAML 1.1-only IdP',
      () =>
        idp
          .metadataXml()
          .replace(
            'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"',
            'protocolSupportEnumeration="urn:oasis:names:tc:SAML:1.1:protocol"',
          ),
      'has no IDPSSODescriptor for the SAML 2.0 protocol',
    ],
    [
      'only an artifact binding',
      () => idp.metadataXml().replace(/bindings:HTTP-(POST|Redirect)/g, 'bindings:HTTP-Artifact'),
      'has no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding',
    ],
    [
      'no signing certificate',
      () => idp.metadataXml({ certs: [] }),
      'has no signing X509Certificate in the IDPSSODescriptor',
    ],
    [
      'only an encryption certificate',
      () => idp.metadataXml({ certs: [], encryptionCert: encryption }),
      'has no signing X509Certificate in the IDPSSODescriptor',
    ],
    [
      'a broken certificate',
      () => idp.metadataXml().replace(/<ds:X509Certificate>[^<]{20}/, '<ds:X509Certificate>'),
      'has a signing X509Certificate that is not an X.509 certificate',
    ],
  ])('refuses %s', (_name, xml, message) => {
    const error = (() => {
      try {
        parseIdpMetadata(xml());
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(SamlConfigError);
    expect((error as Error).message).toEqual(typeof message === 'string' ? message : expect.stringMatching(message));
  });
});
