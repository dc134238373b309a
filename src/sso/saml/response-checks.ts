import type { Profile } from '@node-saml/node-saml';
import { SamlRejection } from './errors';
import { SAML_CLOCK_SKEW_MS } from './saml-options';
import { NS, attribute, childElements, hasDtd, parseXml, text } from './xml';

export { SamlRejection } from './errors';

/** What the response must say to be for us: the provider's URLs and IdP, and the clock's time. */
export interface SamlExpectations {
  acsUrl: string;
  spEntityId: string;
  idpEntityId: string;
  now: Date;
  /** Defaults to SAML_CLOCK_SKEW_MS, the skew node-saml is configured with. */
  clockSkewMs?: number;
}

/** A signed assertion that passed node-saml and every check here: the facts a login may act on. */
export interface ValidatedAssertion {
  nameId: string;
  /** NameID/@Format, null when absent (unspecified). Never transient. */
  nameIdFormat: string | null;
  sessionIndex: string | null;
  /** Assertion/@ID, the replay key (saml_assertions). */
  assertionId: string;
  /** The earliest NotOnOrAfter of Conditions and SubjectConfirmationData: the replay record may expire then. */
  notOnOrAfter: Date;
  authnInstant: Date;
  /** The AuthnRequest id this answers, from the signed SubjectConfirmationData (equal to the Response's). */
  inResponseTo: string;
  /** Attribute Name → values, from the signed assertion only. */
  attributes: Record<string, string[]>;
  /** The asserted address: a well-known mail attribute, else an emailAddress-format NameID. */
  email?: string;
}

export const ALLOWED_SIGNATURE_ALGORITHMS: ReadonlySet<string> = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384',
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512',
]);

export const ALLOWED_DIGEST_ALGORITHMS: ReadonlySet<string> = new Set([
  'http://www.w3.org/2001/04/xmlenc#sha256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384',
  'http://www.w3.org/2001/04/xmlenc#sha512',
]);

/** Canonicalisation and transforms a SAML signature needs; nothing that evaluates XPath or XSLT. */
export const ALLOWED_TRANSFORMS: ReadonlySet<string> = new Set([
  'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
  'http://www.w3.org/2001/10/xml-exc-c14n#',
  'http://www.w3.org/2001/10/xml-exc-c14n#WithComments',
  'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
  'http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments',
]);

const STATUS_SUCCESS = 'urn:oasis:names:tc:SAML:2.0:status:Success';
const CM_BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const NAMEID_TRANSIENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:transient';
const NAMEID_EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const NAMEID_ENTITY = 'urn:oasis:names:tc:SAML:2.0:nameid-format:entity';
const COMMENT_NODE = 8;
const ELEMENT_NODE = 1;
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
/** The ACS accepts at most 256 KB of form body; the base64 value cannot be longer. */
const MAX_BASE64_LENGTH = 256 * 1024;
/**
 * Tags a Response may hold: a signed assertion is under a hundred, each attribute value two more, so
 * this leaves room for well over a thousand groups while bounding what one post makes the parser build.
 */
const MAX_MARKUP = 4_000;
/** Column sizes: sso_identities.name_id, saml_assertions.assertion_id, saml_requests.request_id. */
const MAX_NAME_ID_LENGTH = 1024;
const MAX_ID_LENGTH = 256;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
/** Attribute names IdPs use for the mail address (Entra ID/ADFS claim URIs, the LDAP OID, Okta/Google names). */
const EMAIL_ATTRIBUTES = [
  'email',
  'mail',
  'emailaddress',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  'urn:oid:0.9.2342.19200300.100.1.3',
  'user.email',
];

/** The posted SAMLResponse decoded, with what the cheap checks read off it before any parse. */
export interface DecodedSamlResponse {
  xml: string;
  /** The Response element's InResponseTo, read from its start tag without parsing the document. */
  inResponseTo: string;
}

/** The decoded Response, parsed once: what precheckSamlResponse found acceptable. */
export interface PrecheckedSamlResponse {
  xml: string;
  doc: Document;
  /** Its one Assertion, a child of the Response: the element node-saml must find signed. */
  assertion: Element;
}

/**
 * The checks that cost next to nothing, before the one parse: a string within the form's size, base64,
 * and a Response whose start tag, within the first few KB, names the request it answers. The caller
 * then looks that request up (and the browser's binding to it), so that a post answering nothing in
 * flight for this browser is refused without building a DOM of its 256 KB.
 */
export function decodeSamlResponse(samlResponse: unknown): DecodedSamlResponse {
  const xml = decodeBase64(samlResponse);
  const inResponseTo = peekInResponseTo(xml);
  if (inResponseTo === undefined) throw new SamlRejection('no InResponseTo on the Response start tag');
  return { xml, inResponseTo };
}

/**
 * Checks on the POSTed SAMLResponse before node-saml sees it, for what node-saml accepts but we do not:
 * a DOCTYPE, signature/digest/transform algorithms outside the allow-lists (node-saml takes rsa-sha1 and
 * sha1), a top-level Status other than Success (node-saml ignores Status when an assertion is present),
 * any shape but one Assertion directly under the Response with unique IDs (signature-wrapping payloads
 * hide a second assertion elsewhere), and comments inside the Assertion. One parse and one walk of the
 * document; answers both, for checkValidatedProfile to reuse.
 */
export function precheckSamlResponse(samlResponse: unknown | DecodedSamlResponse): PrecheckedSamlResponse {
  return precheckXml(isDecoded(samlResponse) ? samlResponse.xml : decodeBase64(samlResponse));
}

function precheckXml(xml: string): PrecheckedSamlResponse {
  if (hasDtd(xml)) throw new SamlRejection('DOCTYPE or ENTITY declaration');
  // The parse costs by the node far more than by the byte: 256 KB of empty elements hold the loop
  // for a few hundred milliseconds. Counted before parsing, in one pass over the text.
  if (markupCount(xml) > MAX_MARKUP) throw new SamlRejection(`more than ${MAX_MARKUP} tags`);
  const parsed = parseXml(xml);
  if ('error' in parsed) throw new SamlRejection(`malformed XML: ${parsed.error}`);
  const doc = parsed.doc;
  const root = doc.documentElement;
  if (root.namespaceURI !== NS.protocol || root.localName !== 'Response') throw new SamlRejection('not a Response');

  const found = walkResponse(root);
  for (const [label, methods, allowed] of [
    ['signature algorithm', found.signatureMethods, ALLOWED_SIGNATURE_ALGORITHMS],
    ['digest algorithm', found.digestMethods, ALLOWED_DIGEST_ALGORITHMS],
    ['CanonicalizationMethod', found.canonicalizationMethods, ALLOWED_TRANSFORMS],
    ['Transform', found.transforms, ALLOWED_TRANSFORMS],
  ] as const) {
    for (const method of methods) {
      const algorithm = attribute(method, 'Algorithm') ?? '';
      if (!allowed.has(algorithm)) throw new SamlRejection(`${label} ${algorithm}`);
    }
  }

  const statuses = childElements(root, NS.protocol, 'Status');
  const code = statuses.length === 1 ? childElements(statuses[0], NS.protocol, 'StatusCode') : [];
  if (code.length !== 1) throw new SamlRejection('Status missing');
  const status = attribute(code[0], 'Value');
  if (status !== STATUS_SUCCESS) throw new SamlRejection(`Status ${status}`);

  if (found.encryptedAssertions > 0) throw new SamlRejection('encrypted assertions are not supported');
  const assertions = found.assertions;
  if (assertions.length !== 1) throw new SamlRejection(`${assertions.length} Assertion elements`);
  if (assertions[0].parentNode !== root) throw new SamlRejection('Assertion is not a child of the Response');
  // Canonicalisation drops comments, so one inside a signed NameID (`alice@acme.test<!---->.evil.test`)
  // leaves the signature valid while a reader of the first text node sees someone else. IdPs never
  // put comments in assertions; refusing them makes that class of confusion impossible here.
  if (found.commentInAssertion) throw new SamlRejection('comment inside the Assertion');
  if (found.duplicateId !== undefined) throw new SamlRejection(`duplicate ID ${found.duplicateId}`);
  return { xml, doc, assertion: assertions[0] };
}

/** How many `<` the text holds: tags, comments, processing instructions (text escapes its own). */
function markupCount(xml: string): number {
  let count = 0;
  for (let at = xml.indexOf('<'); at !== -1; at = xml.indexOf('<', at + 1)) count++;
  return count;
}

function isDecoded(value: unknown): value is DecodedSamlResponse {
  return typeof value === 'object' && value !== null && typeof (value as DecodedSamlResponse).xml === 'string';
}

function decodeBase64(samlResponse: unknown): string {
  if (typeof samlResponse !== 'string' || samlResponse.length === 0) throw new SamlRejection('SAMLResponse missing');
  if (samlResponse.length > MAX_BASE64_LENGTH) throw new SamlRejection('SAMLResponse too large');
  if (!/^[A-Za-z0-9+/=\s]+$/.test(samlResponse)) throw new SamlRejection('SAMLResponse is not base64');
  return Buffer.from(samlResponse, 'base64').toString('utf8');
}

/** An optional BOM and XML declaration, then the Response start tag: every quantifier bounded, so linear. */
const RESPONSE_START =
  /^\uFEFF?\s{0,64}(?:<\?xml[^>]{0,256}\?>\s{0,64})?<(?:[A-Za-z_][\w.-]{0,63}:)?Response(\s[^>]{0,8192})?>/;
// eslint-disable-next-line no-control-regex
const IN_RESPONSE_TO = /\sInResponseTo\s{0,8}=\s{0,8}(?:"([^"<&\u0000-\u001f]{1,256})"|'([^'<&\u0000-\u001f]{1,256})')/;

/**
 * InResponseTo as the Response's start tag spells it, or undefined. Only a filter: the parse and
 * node-saml read the document properly later, and the signed SubjectConfirmationData must agree.
 */
function peekInResponseTo(xml: string): string | undefined {
  const start = RESPONSE_START.exec(xml.slice(0, 9 * 1024));
  const match = start?.[1] === undefined ? null : IN_RESPONSE_TO.exec(start[1]);
  return match ? (match[1] ?? match[2]) : undefined;
}

interface ResponseWalk {
  signatureMethods: Element[];
  digestMethods: Element[];
  canonicalizationMethods: Element[];
  transforms: Element[];
  assertions: Element[];
  encryptedAssertions: number;
  commentInAssertion: boolean;
  duplicateId?: string;
}

/** Everything the precheck needs, in one pass over the tree (a stack, not recursion: depth is the sender's). */
function walkResponse(root: Element): ResponseWalk {
  const found: ResponseWalk = {
    signatureMethods: [],
    digestMethods: [],
    canonicalizationMethods: [],
    transforms: [],
    assertions: [],
    encryptedAssertions: 0,
    commentInAssertion: false,
  };
  const ids = new Set<string>();
  const stack: Array<[Node, boolean]> = [[root, false]];
  while (stack.length > 0) {
    const [node, inAssertion] = stack.pop()!;
    if (node.nodeType === COMMENT_NODE) {
      if (inAssertion) found.commentInAssertion = true;
      continue;
    }
    if (node.nodeType !== ELEMENT_NODE) continue;
    const element = node as Element;
    let isAssertion = false;
    if (element.namespaceURI === NS.dsig) {
      if (element.localName === 'SignatureMethod') found.signatureMethods.push(element);
      else if (element.localName === 'DigestMethod') found.digestMethods.push(element);
      else if (element.localName === 'CanonicalizationMethod') found.canonicalizationMethods.push(element);
      else if (element.localName === 'Transform') found.transforms.push(element);
    } else if (element.namespaceURI === NS.assertion) {
      if (element.localName === 'Assertion') {
        found.assertions.push(element);
        isAssertion = true;
      } else if (element.localName === 'EncryptedAssertion') found.encryptedAssertions++;
    }
    for (const name of ['ID', 'Id', 'id']) {
      const id = attribute(element, name);
      if (id === null) continue;
      if (ids.has(id)) found.duplicateId ??= id;
      ids.add(id);
    }
    // Children pushed last to first, so that they come off the stack in document order.
    const children = element.childNodes;
    for (let i = children.length - 1; i >= 0; i--) stack.push([children[i], inAssertion || isAssertion]);
  }
  return found;
}

/**
 * Checks on what node-saml validated, for what it does not check itself (its signature, Conditions
 * time, Audience and InResponseTo checks are relied upon, and the time and audience ones repeated),
 * read off the document the precheck parsed: no parse here.
 *
 * The assertion facts come from the precheck's Assertion element, which is the element node-saml
 * verified the signature of, and nothing else: node-saml decodes the very string the precheck parsed
 * (compared below) with the same parser (@xmldom/xmldom, one copy: package.json overrides it for
 * node-saml and xml-crypto), so both build the same tree; in it, node-saml takes the one Assertion
 * child of the Response and requires its enveloped signature's single reference to name it, and the
 * precheck proved that child is the only Assertion anywhere, with an ID no other element has and no
 * comment inside (canonicalisation drops comments, so they are all the signed bytes leave out besides
 * the Signature itself). As a tripwire against a parser difference, the ID, Issuer and NameID node-saml
 * read off the signed bytes (with its own second parser, xml2js) must equal ours.
 *
 * The Response element's Destination and Issuer come from the same document: they are covered by the
 * Response signature when there is one, and checked anyway when there is none.
 *
 * Without `prechecked` (a caller that ran node-saml on its own), the precheck runs here first on the
 * Response node-saml validated.
 */
export function checkValidatedProfile(
  profile: Profile | null | undefined,
  expected: SamlExpectations,
  prechecked?: PrecheckedSamlResponse,
): ValidatedAssertion {
  if (!profile) throw new SamlRejection('no profile (not a login response)');
  const skew = expected.clockSkewMs ?? SAML_CLOCK_SKEW_MS;
  const now = expected.now.getTime();

  const responseXml = profile.getSamlResponseXml?.();
  if (!responseXml) throw new SamlRejection('profile without XML');
  const checked = prechecked ?? precheckXml(responseXml);
  if (checked.xml !== responseXml) throw new SamlRejection('node-saml validated another Response than the precheck');
  const response = checked.doc.documentElement;
  const assertion = checked.assertion;

  // The Response element.
  const destination = attribute(response, 'Destination');
  if (destination === null) {
    if (childElements(response, NS.dsig, 'Signature').length > 0)
      throw new SamlRejection('signed Response without Destination');
  } else if (destination !== expected.acsUrl) {
    throw new SamlRejection(`Destination ${destination}`);
  }
  const responseIssuers = childElements(response, NS.assertion, 'Issuer');
  if (responseIssuers.length > 1) throw new SamlRejection('several Response Issuers');
  if (responseIssuers.length === 1) checkIssuer(responseIssuers[0], expected.idpEntityId, 'Response');
  const responseInResponseTo = attribute(response, 'InResponseTo');
  if (!responseInResponseTo) throw new SamlRejection('Response without InResponseTo');

  // The signed Assertion.
  if (attribute(assertion, 'Version') !== '2.0') throw new SamlRejection('Assertion Version');
  const assertionId = attribute(assertion, 'ID');
  if (!assertionId || assertionId.length > MAX_ID_LENGTH) throw new SamlRejection('Assertion ID missing or too long');
  if (signedAssertionId(profile) !== assertionId) throw new SamlRejection('Assertion ID differs between parsers');
  const assertionIssuers = childElements(assertion, NS.assertion, 'Issuer');
  if (assertionIssuers.length !== 1) throw new SamlRejection('Assertion Issuer missing');
  checkIssuer(assertionIssuers[0], expected.idpEntityId, 'Assertion');
  if (profile.issuer?.trim() !== text(assertionIssuers[0])) throw new SamlRejection('Issuer differs between parsers');

  const subject = single(assertion, 'Subject');
  const nameIdElement = single(subject, 'NameID');
  const nameId = text(nameIdElement);
  if (nameId === '') throw new SamlRejection('empty NameID');
  if (nameId.length > MAX_NAME_ID_LENGTH) throw new SamlRejection('NameID too long');
  // A character reference (`&#x0;`) can sign what no identifier holds, and PostgreSQL stores no NUL.
  if (CONTROL.test(nameId)) throw new SamlRejection('control character in NameID');
  if (typeof profile.nameID !== 'string' || profile.nameID.trim() !== nameId) {
    throw new SamlRejection('NameID differs between parsers');
  }
  const nameIdFormat = attribute(nameIdElement, 'Format');
  if (nameIdFormat === NAMEID_TRANSIENT) throw new SamlRejection('transient NameID');

  const expiries: number[] = [];
  const confirmations = childElements(subject, NS.assertion, 'SubjectConfirmation');
  if (confirmations.length === 0) throw new SamlRejection('no SubjectConfirmation');
  for (const confirmation of confirmations) {
    if (attribute(confirmation, 'Method') !== CM_BEARER) throw new SamlRejection('SubjectConfirmation not bearer');
    const data = single(confirmation, 'SubjectConfirmationData');
    const recipient = attribute(data, 'Recipient');
    if (recipient !== expected.acsUrl) throw new SamlRejection(`Recipient ${recipient}`);
    const inResponseTo = attribute(data, 'InResponseTo');
    if (inResponseTo !== responseInResponseTo) throw new SamlRejection('SubjectConfirmationData InResponseTo');
    const notOnOrAfter = instant(attribute(data, 'NotOnOrAfter'), 'SubjectConfirmationData NotOnOrAfter');
    if (now - skew >= notOnOrAfter) throw new SamlRejection('SubjectConfirmationData expired');
    const notBefore = attribute(data, 'NotBefore');
    if (notBefore !== null && now + skew < instant(notBefore, 'SubjectConfirmationData NotBefore')) {
      throw new SamlRejection('SubjectConfirmationData not yet valid');
    }
    expiries.push(notOnOrAfter);
  }

  const conditions = single(assertion, 'Conditions');
  const conditionsNotBefore = attribute(conditions, 'NotBefore');
  if (conditionsNotBefore !== null && now + skew < instant(conditionsNotBefore, 'Conditions NotBefore')) {
    throw new SamlRejection('Conditions not yet valid');
  }
  const conditionsNotOnOrAfter = attribute(conditions, 'NotOnOrAfter');
  if (conditionsNotOnOrAfter !== null) {
    const until = instant(conditionsNotOnOrAfter, 'Conditions NotOnOrAfter');
    if (now - skew >= until) throw new SamlRejection('Conditions expired');
    expiries.push(until);
  }
  const restrictions = childElements(conditions, NS.assertion, 'AudienceRestriction');
  if (restrictions.length === 0) throw new SamlRejection('no AudienceRestriction');
  for (const restriction of restrictions) {
    const audiences = childElements(restriction, NS.assertion, 'Audience').map(text);
    if (!audiences.includes(expected.spEntityId)) throw new SamlRejection(`Audience ${audiences.join(', ')}`);
  }

  const authnStatement = single(assertion, 'AuthnStatement');
  const authnInstant = instant(attribute(authnStatement, 'AuthnInstant'), 'AuthnInstant');
  const sessionNotOnOrAfter = attribute(authnStatement, 'SessionNotOnOrAfter');
  if (sessionNotOnOrAfter !== null && now - skew >= instant(sessionNotOnOrAfter, 'SessionNotOnOrAfter')) {
    throw new SamlRejection('IdP session expired');
  }

  if (responseInResponseTo.length > MAX_ID_LENGTH) throw new SamlRejection('InResponseTo too long');
  const attributes = readAttributes(assertion);
  const result: ValidatedAssertion = {
    nameId,
    nameIdFormat,
    sessionIndex: attribute(authnStatement, 'SessionIndex'),
    assertionId,
    notOnOrAfter: new Date(Math.min(...expiries)),
    authnInstant: new Date(authnInstant),
    inResponseTo: responseInResponseTo,
    attributes,
  };
  const email = assertedEmail(attributes, nameId, nameIdFormat);
  if (email !== undefined) result.email = email;
  return result;
}

/** Assertion/@ID as node-saml read it (xml2js) off the signed bytes; undefined when it holds none. */
function signedAssertionId(profile: Profile): string | undefined {
  const parsed = profile.getAssertion?.() as { Assertion?: { $?: { ID?: unknown } } } | undefined;
  const id = parsed?.Assertion?.$?.ID;
  return typeof id === 'string' ? id : undefined;
}

/** The one SAML assertion-namespace child with this name; none or several is a rejection. */
function single(parent: Element, localName: string): Element {
  const found = childElements(parent, NS.assertion, localName);
  if (found.length !== 1) throw new SamlRejection(found.length === 0 ? `${localName} missing` : `several ${localName}`);
  return found[0];
}

function checkIssuer(issuer: Element, idpEntityId: string, where: string): void {
  const format = attribute(issuer, 'Format');
  if (format !== null && format !== NAMEID_ENTITY) throw new SamlRejection(`${where} Issuer Format ${format}`);
  const value = text(issuer);
  if (value !== idpEntityId) throw new SamlRejection(`${where} Issuer ${value}`);
}

function instant(value: string | null, what: string): number {
  const ms = value !== null && DATE_TIME.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw new SamlRejection(`${what} ${value === null ? 'missing' : 'invalid'}`);
  return ms;
}

function readAttributes(assertion: Element): Record<string, string[]> {
  const values = new Map<string, string[]>();
  for (const statement of childElements(assertion, NS.assertion, 'AttributeStatement')) {
    for (const element of childElements(statement, NS.assertion, 'Attribute')) {
      const name = attribute(element, 'Name');
      if (!name) continue;
      const list = values.get(name) ?? [];
      for (const value of childElements(element, NS.assertion, 'AttributeValue')) {
        if (value.getAttributeNS(XSI, 'nil') === 'true') continue;
        const content = text(value);
        if (content.includes('\u0000')) throw new SamlRejection(`NUL in attribute ${name}`);
        list.push(content);
      }
      values.set(name, list);
    }
  }
  return Object.fromEntries(values);
}

function assertedEmail(
  attributes: Record<string, string[]>,
  nameId: string,
  format: string | null,
): string | undefined {
  const byName = new Map(Object.entries(attributes).map(([name, list]) => [name.toLowerCase(), list]));
  for (const name of EMAIL_ATTRIBUTES) {
    const candidate = byName.get(name)?.find((value) => value !== '');
    if (candidate !== undefined) return plausibleEmail(candidate);
  }
  return format === NAMEID_EMAIL ? plausibleEmail(nameId) : undefined;
}

function plausibleEmail(value: string): string | undefined {
  return /^[^\s@]+@[^\s@]+$/.test(value) ? value : undefined;
}
