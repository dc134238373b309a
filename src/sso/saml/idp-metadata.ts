import { SamlConfigError } from './errors';
import { NS, attribute, childElements, descendantElements, hasDtd, parseXml, text } from './xml';
import { normalizeCertificatePem } from './pem';

export interface IdpMetadata {
  /** EntityDescriptor/@entityID: what the IdP writes in Issuer. */
  entityId: string;
  /** SingleSignOnService Location for HTTP-Redirect (what node-saml sends AuthnRequests with), else HTTP-POST. */
  ssoUrl: string;
  /** Every signing certificate (KeyDescriptor use="signing" or without use), canonical PEM, de-duplicated. */
  certs: string[];
}

const SAML2_PROTOCOL = NS.protocol;
const BINDING_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
const BINDING_POST = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
/** Real IdP metadata is a few KB; federation aggregates are not something to paste into one provider. */
const MAX_LENGTH = 1024 * 1024;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Reads what a SAML provider needs from an IdP's metadata document. Throws SamlConfigError naming the
 * missing or wrong part. A document listing several IdPs (EntitiesDescriptor) is accepted only when
 * exactly one of them is a SAML 2.0 IdP. The metadata's own signature is not checked: an
 * administrator uploads it over an authenticated, step-up-protected request.
 */
export function parseIdpMetadata(xml: string): IdpMetadata {
  if (typeof xml !== 'string' || xml.trim() === '') throw new SamlConfigError('is empty');
  if (xml.length > MAX_LENGTH) throw new SamlConfigError('is larger than 1 MB');
  if (hasDtd(xml)) throw new SamlConfigError('must not contain a DOCTYPE or ENTITY declaration');
  const parsed = parseXml(xml.replace(/^\uFEFF/, ''));
  if ('error' in parsed) throw new SamlConfigError(`is not well-formed XML (${parsed.error})`);
  const root = parsed.doc.documentElement;

  let candidates: Element[];
  if (root.namespaceURI === NS.metadata && root.localName === 'EntityDescriptor') {
    candidates = [root];
  } else if (root.namespaceURI === NS.metadata && root.localName === 'EntitiesDescriptor') {
    candidates = descendantElements(root, NS.metadata, 'EntityDescriptor');
  } else {
    throw new SamlConfigError('has no md:EntityDescriptor root element');
  }
  const idps = candidates
    .map((entity) => ({ entity, idp: childElements(entity, NS.metadata, 'IDPSSODescriptor').find(supportsSaml2) }))
    .filter((x): x is { entity: Element; idp: Element } => x.idp !== undefined);
  if (idps.length === 0) throw new SamlConfigError('has no IDPSSODescriptor for the SAML 2.0 protocol');
  if (idps.length > 1) throw new SamlConfigError(`describes ${idps.length} identity providers; give the one to use`);
  const { entity, idp } = idps[0];

  const entityId = attribute(entity, 'entityID')?.trim();
  if (!entityId) throw new SamlConfigError('has an EntityDescriptor without entityID');
  // A character reference (`&#x0;`) puts what the text itself could not hold into a value.
  if (CONTROL.test(entityId)) throw new SamlConfigError('has an entityID with a control character');

  const services = childElements(idp, NS.metadata, 'SingleSignOnService');
  const location = (binding: string): string | undefined => {
    for (const service of services) {
      const value = attribute(service, 'Location')?.trim();
      if (attribute(service, 'Binding') === binding && value) return value;
    }
    return undefined;
  };
  const ssoUrl = location(BINDING_REDIRECT) ?? location(BINDING_POST);
  if (!ssoUrl) throw new SamlConfigError('has no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding');
  if (CONTROL.test(ssoUrl)) throw new SamlConfigError('has a SingleSignOnService Location with a control character');

  const certs: string[] = [];
  for (const descriptor of childElements(idp, NS.metadata, 'KeyDescriptor')) {
    const use = attribute(descriptor, 'use');
    if (use !== null && use !== 'signing') continue;
    for (const keyInfo of childElements(descriptor, NS.dsig, 'KeyInfo')) {
      for (const data of childElements(keyInfo, NS.dsig, 'X509Data')) {
        for (const certificate of childElements(data, NS.dsig, 'X509Certificate')) {
          let pem: string;
          try {
            pem = normalizeCertificatePem(text(certificate));
          } catch (error) {
            throw new SamlConfigError(`has a signing X509Certificate that ${(error as Error).message}`);
          }
          if (!certs.includes(pem)) certs.push(pem);
        }
      }
    }
  }
  if (certs.length === 0) throw new SamlConfigError('has no signing X509Certificate in the IDPSSODescriptor');
  return { entityId, ssoUrl, certs };
}

function supportsSaml2(descriptor: Element): boolean {
  return (attribute(descriptor, 'protocolSupportEnumeration') ?? '').split(/\s+/).includes(SAML2_PROTOCOL);
}
