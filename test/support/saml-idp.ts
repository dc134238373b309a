/**
 * An in-process SAML 2.0 identity provider for tests: its own key and self-signed certificate, a
 * builder of real signed Responses (xml-crypto 6, rsa-sha256, exclusive c14n) in which every field can
 * be set, and the tampering an attacker would try on them. No HTTP: tests POST `base64` themselves.
 */
import * as crypto from 'node:crypto';
import * as zlib from 'node:zlib';
import { DOMParser, XMLSerializer } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { pemBody, selfSigned, type KeyPair } from './x509';

export { pemBody, selfSigned, type KeyPair } from './x509';

export const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  metadata: 'urn:oasis:names:tc:SAML:2.0:metadata',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
} as const;

export const ALGORITHMS = {
  rsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  rsaSha512: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  rsaSha1: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  sha512: 'http://www.w3.org/2001/04/xmlenc#sha512',
  sha1: 'http://www.w3.org/2000/09/xmldsig#sha1',
  excC14n: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  enveloped: 'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
} as const;

export const NAMEID_FORMAT = {
  email: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
  persistent: 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
  transient: 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient',
  unspecified: 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
} as const;

export const STATUS = {
  success: 'urn:oasis:names:tc:SAML:2.0:status:Success',
  requester: 'urn:oasis:names:tc:SAML:2.0:status:Requester',
  responder: 'urn:oasis:names:tc:SAML:2.0:status:Responder',
} as const;

export interface SigningOptions {
  /** Key that signs and certificate put in KeyInfo; the IdP's own unless an attacker's is given. */
  signer?: KeyPair;
  signatureAlgorithm?: string;
  digestAlgorithm?: string;
}

export interface ResponseOptions extends SigningOptions {
  /** Our ACS URL: the default Destination and Recipient. */
  acsUrl: string;
  /** Our entity id: the default Audience. */
  spEntityId: string;
  /** Response/@InResponseTo and SubjectConfirmationData/@InResponseTo; omitted when null or absent. */
  inResponseTo?: string | null;
  /** SubjectConfirmationData/@InResponseTo when it should differ from the Response's (null omits it). */
  subjectInResponseTo?: string | null;
  /** Response/@Destination; null omits it. */
  destination?: string | null;
  recipient?: string;
  audience?: string;
  /** Both Issuers; responseIssuer/assertionIssuer override one each (responseIssuer null omits it). */
  issuer?: string;
  responseIssuer?: string | null;
  assertionIssuer?: string;
  /** The IdP's "now": default for IssueInstant and AuthnInstant, base of the validity windows. */
  now?: Date;
  issueInstant?: Date;
  /** Conditions/@NotBefore (default now - 5 s) and @NotOnOrAfter (default now + 5 min). */
  notBefore?: Date;
  notOnOrAfter?: Date;
  /** SubjectConfirmationData/@NotOnOrAfter (default now + 5 min). */
  subjectNotOnOrAfter?: Date;
  authnInstant?: Date;
  /** AuthnStatement/@SessionIndex; random by default, null omits it. */
  sessionIndex?: string | null;
  sessionNotOnOrAfter?: Date;
  nameId?: string;
  /** NameID/@Format (default emailAddress); null omits it. */
  nameIdFormat?: string | null;
  /** Attribute Name → value(s); an array gives a multi-valued attribute (groups). */
  attributes?: Record<string, string | string[]>;
  status?: string;
  statusMessage?: string;
  /** Defaults: both true. */
  signAssertion?: boolean;
  signResponse?: boolean;
  responseId?: string;
  assertionId?: string;
}

export interface BuiltResponse {
  xml: string;
  /** What the browser POSTs as SAMLResponse. */
  base64: string;
  responseId: string;
  assertionId: string;
}

export const samlId = (): string => '_' + crypto.randomBytes(20).toString('hex');
export const toBase64 = (xml: string): string => Buffer.from(xml, 'utf8').toString('base64');
const iso = (date: Date) => date.toISOString();
const escape = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export class TestIdp {
  readonly keys: KeyPair;

  constructor(
    readonly entityId = 'https://idp.example.test/saml/metadata',
    readonly ssoUrl = 'https://idp.example.test/saml/sso',
    keys?: KeyPair,
  ) {
    this.keys = keys ?? selfSigned({ commonName: 'test-idp' });
  }

  get cert(): string {
    return this.keys.cert;
  }

  /** A SAML 2.0 Response; the assertion and the response are signed unless told otherwise. */
  buildResponse(options: ResponseOptions): BuiltResponse {
    const now = options.now ?? new Date();
    const at = (ms: number) => new Date(now.getTime() + ms);
    const responseId = options.responseId ?? samlId();
    const assertionId = options.assertionId ?? samlId();
    const issuer = options.issuer ?? this.entityId;
    const responseIssuer = options.responseIssuer === undefined ? issuer : options.responseIssuer;
    const assertionIssuer = options.assertionIssuer ?? issuer;
    const inResponseTo = options.inResponseTo ?? null;
    const subjectInResponseTo = options.subjectInResponseTo === undefined ? inResponseTo : options.subjectInResponseTo;
    const destination = options.destination === undefined ? options.acsUrl : options.destination;
    const nameIdFormat = options.nameIdFormat === undefined ? NAMEID_FORMAT.email : options.nameIdFormat;
    const sessionIndex = options.sessionIndex === undefined ? samlId() : options.sessionIndex;
    const issueInstant = options.issueInstant ?? now;
    const attr = (name: string, value: string | null | undefined) =>
      value === null || value === undefined ? '' : ` ${name}="${escape(value)}"`;

    const attributes = Object.entries(options.attributes ?? {})
      .map(
        ([name, values]) =>
          `<saml:Attribute Name="${escape(name)}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic">` +
          [values]
            .flat()
            .map((value) => `<saml:AttributeValue>${escape(value)}</saml:AttributeValue>`)
            .join('') +
          `</saml:Attribute>`,
      )
      .join('');
    const assertion =
      `<saml:Assertion xmlns:saml="${NS.assertion}" ID="${assertionId}" Version="2.0" IssueInstant="${iso(issueInstant)}">` +
      `<saml:Issuer>${escape(assertionIssuer)}</saml:Issuer>` +
      `<saml:Subject><saml:NameID${attr('Format', nameIdFormat)}>${escape(options.nameId ?? 'alice@acme.test')}</saml:NameID>` +
      `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">` +
      `<saml:SubjectConfirmationData${attr('InResponseTo', subjectInResponseTo)}` +
      ` NotOnOrAfter="${iso(options.subjectNotOnOrAfter ?? at(300_000))}" Recipient="${escape(options.recipient ?? options.acsUrl)}"/>` +
      `</saml:SubjectConfirmation></saml:Subject>` +
      `<saml:Conditions NotBefore="${iso(options.notBefore ?? at(-5_000))}" NotOnOrAfter="${iso(options.notOnOrAfter ?? at(300_000))}">` +
      `<saml:AudienceRestriction><saml:Audience>${escape(options.audience ?? options.spEntityId)}</saml:Audience></saml:AudienceRestriction>` +
      `</saml:Conditions>` +
      `<saml:AuthnStatement AuthnInstant="${iso(options.authnInstant ?? now)}"${attr('SessionIndex', sessionIndex)}` +
      `${attr('SessionNotOnOrAfter', options.sessionNotOnOrAfter && iso(options.sessionNotOnOrAfter))}>` +
      `<saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext>` +
      `</saml:AuthnStatement>` +
      (attributes && `<saml:AttributeStatement>${attributes}</saml:AttributeStatement>`) +
      `</saml:Assertion>`;
    const statusMessage = options.statusMessage
      ? `<samlp:StatusMessage>${escape(options.statusMessage)}</samlp:StatusMessage>`
      : '';
    let xml =
      `<samlp:Response xmlns:samlp="${NS.protocol}" xmlns:saml="${NS.assertion}" ID="${responseId}" Version="2.0"` +
      ` IssueInstant="${iso(issueInstant)}"${attr('Destination', destination)}${attr('InResponseTo', inResponseTo)}>` +
      (responseIssuer === null ? '' : `<saml:Issuer>${escape(responseIssuer)}</saml:Issuer>`) +
      `<samlp:Status><samlp:StatusCode Value="${escape(options.status ?? STATUS.success)}"/>${statusMessage}</samlp:Status>` +
      assertion +
      `</samlp:Response>`;
    const signing = { signer: this.keys, ...options };
    if (options.signAssertion !== false) xml = signElement(xml, 'Assertion', signing);
    if (options.signResponse !== false) xml = signElement(xml, 'Response', signing);
    return { xml, base64: toBase64(xml), responseId, assertionId };
  }

  /** IdP metadata (EntityDescriptor) naming this IdP, its SSO endpoints and signing certificate(s). */
  metadataXml(
    options: { certs?: string[]; bindings?: Array<'HTTP-Redirect' | 'HTTP-POST'>; encryptionCert?: string } = {},
  ): string {
    const keyDescriptor = (pem: string, use: string | null) =>
      `<md:KeyDescriptor${use ? ` use="${use}"` : ''}><ds:KeyInfo><ds:X509Data>` +
      `<ds:X509Certificate>${pemBody(pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;
    const certs = options.certs ?? [this.keys.cert];
    return (
      `<?xml version="1.0" encoding="UTF-8"?>\n` +
      `<md:EntityDescriptor xmlns:md="${NS.metadata}" xmlns:ds="${NS.dsig}" entityID="${escape(this.entityId)}">\n` +
      `  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="${NS.protocol}">\n` +
      certs.map((pem, i) => `    ${keyDescriptor(pem, i === 0 ? 'signing' : null)}\n`).join('') +
      (options.encryptionCert ? `    ${keyDescriptor(options.encryptionCert, 'encryption')}\n` : '') +
      `    <md:NameIDFormat>${NAMEID_FORMAT.email}</md:NameIDFormat>\n` +
      (options.bindings ?? ['HTTP-POST', 'HTTP-Redirect'])
        .map(
          (binding) =>
            `    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:${binding}" Location="${escape(this.ssoUrl)}/${binding === 'HTTP-POST' ? 'post' : 'redirect'}"/>\n`,
        )
        .join('') +
      `  </md:IDPSSODescriptor>\n` +
      `</md:EntityDescriptor>\n`
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Signing

/**
 * Signs the Response (the root) or its Assertion with an enveloped signature placed right after the
 * element's Issuer, as the schema wants. `signer.cert` goes into KeyInfo.
 */
export function signElement(xml: string, element: 'Response' | 'Assertion', options: SigningOptions): string {
  if (!options.signer) throw new Error('signElement needs a signer');
  const path =
    element === 'Response'
      ? "/*[local-name(.)='Response']"
      : "/*[local-name(.)='Response']/*[local-name(.)='Assertion']";
  const signature = new SignedXml({
    privateKey: options.signer.key,
    publicCert: options.signer.cert,
    signatureAlgorithm: options.signatureAlgorithm ?? ALGORITHMS.rsaSha256,
    canonicalizationAlgorithm: ALGORITHMS.excC14n,
  });
  signature.addReference({
    xpath: path,
    transforms: [ALGORITHMS.enveloped, ALGORITHMS.excC14n],
    digestAlgorithm: options.digestAlgorithm ?? ALGORITHMS.sha256,
  });
  signature.computeSignature(xml, {
    prefix: 'ds',
    location: { reference: `${path}/*[local-name(.)='Issuer']`, action: 'after' },
  });
  return signature.getSignedXml();
}

/**
 * Removes every signature and signs again: the assertion when `assertion` (default true), then the
 * response when `response` (default true). With the IdP's key this is "the IdP really signed this".
 */
export function resign(
  xml: string,
  options: SigningOptions & { signer: KeyPair; response?: boolean; assertion?: boolean },
): string {
  let out = stripSignatures(xml, 'both');
  if (options.assertion !== false) out = signElement(out, 'Assertion', options);
  if (options.response !== false) out = signElement(out, 'Response', options);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Tampering

/** Parses, lets `edit` change the DOM, serialises. Signatures are left as they were (now possibly wrong). */
export function editXml(xml: string, edit: (doc: Document) => void): string {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  edit(doc);
  return new XMLSerializer().serializeToString(doc);
}

export function stripSignatures(xml: string, which: 'response' | 'assertion' | 'both'): string {
  return editXml(xml, (doc) => {
    const response = doc.documentElement;
    if (which !== 'assertion') for (const s of children(response, NS.dsig, 'Signature')) response.removeChild(s);
    if (which !== 'response') {
      for (const assertion of children(response, NS.assertion, 'Assertion')) {
        for (const s of children(assertion, NS.dsig, 'Signature')) assertion.removeChild(s);
      }
    }
  });
}

/** Changes the NameID and/or attribute values of the (first) assertion without re-signing. */
export function editAssertion(
  xml: string,
  edits: { nameId?: string; email?: string; groups?: string[]; attributes?: Record<string, string[]> },
): string {
  return editXml(xml, (doc) => {
    const assertion = firstAssertion(doc);
    if (edits.nameId !== undefined) setNameId(assertion, edits.nameId);
    const attributes: Record<string, string[]> = { ...edits.attributes };
    if (edits.email !== undefined) attributes.email = [edits.email];
    if (edits.groups !== undefined) attributes.groups = edits.groups;
    for (const [name, values] of Object.entries(attributes)) setAttributeValues(doc, assertion, name, values);
  });
}

/**
 * Splits the NameID's text after `prefixLength` characters with an empty comment, e.g.
 * `alice@acme.test<!---->.evil.test`. Canonicalisation drops comments, so the signature stays valid;
 * a parser that reads only the first text node would see `alice@acme.test`.
 */
export function injectNameIdComment(xml: string, prefixLength: number): string {
  return editXml(xml, (doc) => {
    const nameId = children(children(firstAssertion(doc), NS.assertion, 'Subject')[0], NS.assertion, 'NameID')[0];
    const value = nameId.textContent ?? '';
    while (nameId.firstChild) nameId.removeChild(nameId.firstChild);
    nameId.appendChild(doc.createTextNode(value.slice(0, prefixLength)));
    nameId.appendChild(doc.createComment(''));
    nameId.appendChild(doc.createTextNode(value.slice(prefixLength)));
  });
}

/** Puts a DOCTYPE prolog (with an internal subset when given) in front of the document. */
export function withDoctype(xml: string, internalSubset?: string): string {
  const body = xml.replace(/^<\?xml[^>]*\?>\s*/, '');
  return `<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE samlp:Response${internalSubset ? ` [${internalSubset}]` : ''}>${body}`;
}

export type WrappingAttack =
  | 'XSW1'
  | 'XSW2'
  | 'XSW3'
  | 'XSW4'
  | 'XSW5'
  | 'XSW6'
  | 'XSW7'
  | 'XSW8'
  | 'two-assertions'
  | 'duplicate-id'
  | 'extensions-same-id';

/**
 * The XML signature wrapping variants of Somorovsky et al., "On Breaking SAML" (2012), as SAML Raider
 * builds them, applied to a validly signed response: the signed content is kept somewhere the verifier
 * finds it while an "evil" copy, whose NameID is `evilNameId`, sits where a naive processor reads.
 * XSW1/2 target the Response signature, XSW3–8 the Assertion signature.
 */
export function wrapSignature(xml: string, attack: WrappingAttack, evilNameId: string): string {
  return editXml(xml, (doc) => {
    const response = doc.documentElement;
    const assertion = firstAssertion(doc);
    const unsignedClone = (element: Element) => {
      const clone = element.cloneNode(true) as Element;
      for (const s of children(clone, NS.dsig, 'Signature')) clone.removeChild(s);
      return clone;
    };
    const evilize = (element: Element) => {
      setNameId(element, evilNameId);
      element.setAttribute('ID', samlId());
    };
    switch (attack) {
      case 'XSW1':
      case 'XSW2': {
        const signature = children(response, NS.dsig, 'Signature')[0];
        if (!signature) throw new Error(`${attack} needs a signed Response`);
        const original = unsignedClone(response);
        if (attack === 'XSW1') signature.appendChild(original);
        else response.insertBefore(original, signature);
        setNameId(assertion, evilNameId);
        response.setAttribute('ID', samlId());
        return;
      }
      case 'XSW3':
      case 'XSW4': {
        const evil = unsignedClone(assertion);
        evilize(evil);
        if (attack === 'XSW3') {
          response.insertBefore(evil, assertion);
        } else {
          response.appendChild(evil);
          evil.appendChild(assertion);
        }
        return;
      }
      case 'XSW5':
      case 'XSW6':
      case 'XSW8': {
        const original = unsignedClone(assertion);
        evilize(assertion);
        const signature = children(assertion, NS.dsig, 'Signature')[0];
        if (!signature) throw new Error(`${attack} needs a signed Assertion`);
        if (attack === 'XSW5') {
          response.appendChild(original);
        } else if (attack === 'XSW6') {
          signature.appendChild(original);
        } else {
          const object = doc.createElementNS(NS.dsig, 'ds:Object');
          object.appendChild(original);
          signature.appendChild(object);
        }
        return;
      }
      case 'XSW7': {
        const extensions = doc.createElementNS(NS.protocol, 'samlp:Extensions');
        const evil = unsignedClone(assertion);
        evilize(evil);
        extensions.appendChild(evil);
        response.insertBefore(extensions, assertion);
        return;
      }
      case 'two-assertions': {
        const evil = unsignedClone(assertion);
        evilize(evil);
        response.appendChild(evil);
        return;
      }
      case 'duplicate-id': {
        const evil = unsignedClone(assertion);
        setNameId(evil, evilNameId);
        response.insertBefore(evil, assertion);
        return;
      }
      case 'extensions-same-id': {
        const extensions = doc.createElementNS(NS.protocol, 'samlp:Extensions');
        extensions.appendChild(unsignedClone(assertion));
        response.insertBefore(extensions, assertion);
        setNameId(assertion, evilNameId);
        return;
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------
// The SP side of the redirect binding

/** What an SP's HTTP-Redirect login URL carries: the inflated AuthnRequest and its ID. */
export function readAuthnRequest(redirectUrl: string): {
  id: string;
  xml: string;
  issuer: string | null;
  forceAuthn: boolean;
  acsUrl: string | null;
  relayState: string | null;
  sigAlg: string | null;
  signature: string | null;
} {
  const url = new URL(redirectUrl);
  const encoded = url.searchParams.get('SAMLRequest');
  if (!encoded) throw new Error('no SAMLRequest in the redirect URL');
  const xml = zlib.inflateRawSync(Buffer.from(encoded, 'base64')).toString('utf8');
  const root = new DOMParser().parseFromString(xml, 'text/xml').documentElement;
  return {
    id: root.getAttribute('ID') ?? '',
    xml,
    issuer: children(root, NS.assertion, 'Issuer')[0]?.textContent ?? null,
    forceAuthn: root.getAttribute('ForceAuthn') === 'true',
    acsUrl: root.getAttribute('AssertionConsumerServiceURL') || null,
    relayState: url.searchParams.get('RelayState'),
    sigAlg: url.searchParams.get('SigAlg'),
    signature: url.searchParams.get('Signature'),
  };
}

// ---------------------------------------------------------------------------------------------
// DOM helpers

function children(parent: Element, namespace: string, localName: string): Element[] {
  return Array.from(parent.childNodes as unknown as ArrayLike<Node>).filter(
    (node): node is Element =>
      node.nodeType === 1 && (node as Element).namespaceURI === namespace && (node as Element).localName === localName,
  );
}

function firstAssertion(doc: Document): Element {
  const assertion = children(doc.documentElement, NS.assertion, 'Assertion')[0];
  if (!assertion) throw new Error('no Assertion under the Response');
  return assertion;
}

function setNameId(assertion: Element, value: string): void {
  const subject = children(assertion, NS.assertion, 'Subject')[0];
  const nameId = children(subject, NS.assertion, 'NameID')[0];
  nameId.textContent = value;
}

function setAttributeValues(doc: Document, assertion: Element, name: string, values: string[]): void {
  let statement = children(assertion, NS.assertion, 'AttributeStatement')[0];
  if (!statement) {
    statement = doc.createElementNS(NS.assertion, 'saml:AttributeStatement');
    assertion.appendChild(statement);
  }
  let attribute = children(statement, NS.assertion, 'Attribute').find((a) => a.getAttribute('Name') === name);
  if (!attribute) {
    attribute = doc.createElementNS(NS.assertion, 'saml:Attribute');
    attribute.setAttribute('Name', name);
    statement.appendChild(attribute);
  }
  while (attribute.firstChild) attribute.removeChild(attribute.firstChild);
  for (const value of values) {
    const element = doc.createElementNS(NS.assertion, 'saml:AttributeValue');
    element.appendChild(doc.createTextNode(value));
    attribute.appendChild(element);
  }
}
