/** The addresses of one provider's service provider side, all under APP_URL (`:id` is the provider id). */
export interface SsoUrls {
  /** The SP's entity id: the metadata URL, as SAML recommends. */
  spEntityId: string;
  metadataUrl: string;
  /** AssertionConsumerService, HTTP-POST binding. */
  acsUrl: string;
  loginUrl: string;
}

export function ssoUrls(appUrl: string, providerId: string): SsoUrls {
  const base = `${appUrl}/auth/saml/${encodeURIComponent(providerId)}`;
  return {
    spEntityId: `${base}/metadata`,
    metadataUrl: `${base}/metadata`,
    acsUrl: `${base}/acs`,
    loginUrl: `${base}/login`,
  };
}

/** The NameID formats the SP accepts (transient ones are refused: a user must be recognised next time). */
export const NAME_ID_FORMATS = [
  'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
] as const;

const HTTP_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Text safe inside an XML attribute value or element. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char]);
}

export interface SpMetadataInput {
  entityId: string;
  acsUrl: string;
  /** PEM; when given, AuthnRequests are signed with its key and the metadata publishes it. */
  signingCert?: string;
}

/** SAML 2.0 metadata of the SP, for the IdP's administrator to import. */
export function spMetadataXml({ entityId, acsUrl, signingCert }: SpMetadataInput): string {
  const keyDescriptor = signingCert
    ? [
        '    <md:KeyDescriptor use="signing">',
        '      <ds:KeyInfo>',
        '        <ds:X509Data>',
        `          <ds:X509Certificate>${escapeXml(signingCert.replace(/-----[A-Z ]+-----|\s+/g, ''))}</ds:X509Certificate>`,
        '        </ds:X509Data>',
        '      </ds:KeyInfo>',
        '    </md:KeyDescriptor>',
      ]
    : [];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${escapeXml(entityId)}">`,
    `  <md:SPSSODescriptor AuthnRequestsSigned="${signingCert ? 'true' : 'false'}" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">`,
    ...keyDescriptor,
    ...NAME_ID_FORMATS.map((format) => `    <md:NameIDFormat>${format}</md:NameIDFormat>`),
    `    <md:AssertionConsumerService Binding="${HTTP_POST}" Location="${escapeXml(acsUrl)}" index="0" isDefault="true"/>`,
    '  </md:SPSSODescriptor>',
    '</md:EntityDescriptor>',
    '',
  ].join('\n');
}
