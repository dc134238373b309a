import { X509Certificate } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';

/*
 * What an organization owner hands us about their IdP, checked and brought to one form. Errors are
 * plain Errors whose message completes a sentence about the field ("idpCert is not a PEM
 * certificate"), so the service can name the field in validation_failed.
 */

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const HTTP_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

export interface IdpMetadata {
  entityId: string;
  /** The SingleSignOnService location for the HTTP-Redirect binding (the one AuthnRequests are sent with). */
  ssoUrl: string;
  /** PEM signing certificates, normalised, without duplicates. */
  certs: string[];
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/**
 * One X.509 certificate, as PEM or as the bare base64 that metadata carries, answered as PEM in
 * Node's canonical form (64-character lines). Dates are not checked: IdPs often sign with
 * certificates past their end date, and SAML trusts the key, not the chain.
 */
export function normalisePem(input: string): string {
  const text = input.trim();
  if (/PRIVATE KEY/.test(text)) throw new Error('holds a private key; give the certificate only');
  const blocks = [...text.matchAll(PEM_BLOCK)];
  let body: string;
  if (blocks.length > 0) {
    if (blocks.length > 1) throw new Error('holds more than one certificate; give them as an array');
    const [block, label, content] = blocks[0];
    if (label !== 'CERTIFICATE') throw new Error(`is a ${label}, not a CERTIFICATE`);
    if (text.replace(block, '').trim() !== '') throw new Error('holds text around the certificate');
    body = content;
  } else if (text.includes('-----')) {
    throw new Error('is not a PEM certificate (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----)');
  } else {
    body = text;
  }
  body = body.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) throw new Error('is not a PEM certificate (its body is not base64)');
  try {
    return new X509Certificate(Buffer.from(body, 'base64')).toString();
  } catch {
    throw new Error('is not a valid X.509 certificate');
  }
}

function elements(parent: Document | Element, namespace: string, name: string): Element[] {
  return Array.from(parent.getElementsByTagNameNS(namespace, name));
}

/**
 * The IdP's entity id, redirect-binding sign-on URL and signing certificates, from its SAML 2.0
 * metadata (an EntityDescriptor, or an EntitiesDescriptor holding exactly one IdP). A DOCTYPE is
 * refused outright: metadata never needs one, and entity tricks start there.
 */
export function parseIdpMetadata(xml: string): IdpMetadata {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new Error('must not contain a DOCTYPE or entity declarations');
  const problems: string[] = [];
  const document = new DOMParser({
    errorHandler: {
      warning: () => undefined,
      error: (message: string) => void problems.push(message),
      fatalError: (message: string) => void problems.push(message),
    },
  }).parseFromString(xml, 'text/xml');
  if (problems.length > 0 || !document?.documentElement) throw new Error('is not well-formed XML');

  const idps = elements(document, MD, 'EntityDescriptor').filter(
    (entity) => elements(entity, MD, 'IDPSSODescriptor').length > 0,
  );
  if (idps.length === 0)
    throw new Error('describes no identity provider (no EntityDescriptor with an IDPSSODescriptor)');
  if (idps.length > 1) throw new Error('describes more than one identity provider');
  const [entity] = idps;

  const entityId = entity.getAttribute('entityID')?.trim();
  if (!entityId) throw new Error('has no entityID');

  const [descriptor] = elements(entity, MD, 'IDPSSODescriptor');
  const ssoUrl = elements(descriptor, MD, 'SingleSignOnService')
    .find((service) => service.getAttribute('Binding') === HTTP_REDIRECT)
    ?.getAttribute('Location')
    ?.trim();
  if (!ssoUrl) throw new Error('has no SingleSignOnService with the HTTP-Redirect binding');

  const certs = elements(descriptor, MD, 'KeyDescriptor')
    .filter((key) => ['', 'signing'].includes(key.getAttribute('use') ?? ''))
    .flatMap((key) => elements(key, DS, 'X509Certificate'))
    .map((cert) => {
      try {
        return normalisePem(cert.textContent ?? '');
      } catch (error) {
        throw new Error(`has a signing certificate that ${(error as Error).message}`);
      }
    });
  if (certs.length === 0) throw new Error('has no signing certificate (KeyDescriptor with an X509Certificate)');
  return { entityId, ssoUrl, certs: [...new Set(certs)] };
}
