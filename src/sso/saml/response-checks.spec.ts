import { SAML } from '@node-saml/node-saml';
import {
  ALGORITHMS,
  NAMEID_FORMAT,
  STATUS,
  TestIdp,
  editAssertion,
  editXml,
  injectNameIdComment,
  resign,
  samlId,
  selfSigned,
  stripSignatures,
  toBase64,
  withDoctype,
  wrapSignature,
  type KeyPair,
  type ResponseOptions,
  type WrappingAttack,
} from '../../../test/support/saml-idp';
import { InMemorySamlRequestStore, SamlCacheProvider } from './cache-provider';
import {
  SamlRejection,
  checkValidatedProfile,
  decodeSamlResponse,
  precheckSamlResponse,
  type SamlExpectations,
  type ValidatedAssertion,
} from './response-checks';
import { buildSamlConfig, samlUrls, type SamlProviderSettings } from './saml-options';

const APP_URL = 'https://auth.example.test';
const PROVIDER_ID = '0b8f3c52-5d4e-4c36-9d3c-2f8f1f6a9e01';
const urls = samlUrls(APP_URL, PROVIDER_ID);
const ALICE = 'alice@acme.test';
const EVIL = 'admin@acme.test';

let idp: TestIdp;
let nextKeys: KeyPair;
let attacker: KeyPair;

beforeAll(() => {
  idp = new TestIdp();
  nextKeys = selfSigned({ commonName: 'test-idp-next' });
  attacker = selfSigned({ commonName: 'attacker' });
});

/**
 * The three stages in the order the ACS runs them (SsoLoginService.prepare's pre-check, node-saml in
 * passport-saml's strategy, SsoLoginService.complete's post-check), a node-saml refusal as the
 * strategy reports it.
 */
async function validateSamlResponse(
  saml: Pick<SAML, 'validatePostResponseAsync'>,
  base64: string,
  expected: SamlExpectations,
): Promise<ValidatedAssertion> {
  precheckSamlResponse(base64);
  let profile;
  try {
    ({ profile } = await saml.validatePostResponseAsync({ SAMLResponse: base64 }));
  } catch (error) {
    throw new SamlRejection(`node-saml: ${(error as Error).message}`);
  }
  return checkValidatedProfile(profile, expected);
}

type Stage = 'precheck' | 'node-saml' | 'postcheck';
type Outcome = { accepted: ValidatedAssertion } | { rejectedBy: Stage; reason: string };

/** One SP as the ACS will run it: node-saml configured by buildSamlConfig, a request id waiting in the store. */
interface Sp {
  saml: SAML;
  store: InMemorySamlRequestStore;
  requestId: string;
  expected: SamlExpectations;
  /** Runs the three stages in order and says which one refused, and why. */
  attempt(base64: string, now?: Date): Promise<Outcome>;
  /** node-saml alone, without our checks: the nameID it would hand over, or null when it refuses. */
  nodeSamlAlone(base64: string): Promise<string | null>;
}

async function sp(overrides: Partial<SamlProviderSettings> = {}): Promise<Sp> {
  const provider: SamlProviderSettings = {
    id: PROVIDER_ID,
    idpEntityId: idp.entityId,
    idpSsoUrl: idp.ssoUrl,
    idpCerts: [idp.cert],
    requireSignedResponse: true,
    ...overrides,
  };
  const store = new InMemorySamlRequestStore();
  const cache = new SamlCacheProvider(store, () => new Date());
  const requestId = samlId();
  await cache.saveAsync(requestId, new Date().toISOString());
  const saml = new SAML(buildSamlConfig(provider, { appUrl: APP_URL }, cache));
  const expected = (now: Date): SamlExpectations => ({
    acsUrl: urls.acsUrl,
    spEntityId: urls.spEntityId,
    idpEntityId: idp.entityId,
    now,
  });
  return {
    saml,
    store,
    requestId,
    expected: expected(new Date()),
    async attempt(base64, now = new Date()) {
      try {
        precheckSamlResponse(base64);
      } catch (error) {
        return { rejectedBy: 'precheck', reason: reasonOf(error) };
      }
      let profile;
      try {
        ({ profile } = await saml.validatePostResponseAsync({ SAMLResponse: base64 }));
      } catch (error) {
        return { rejectedBy: 'node-saml', reason: (error as Error).message };
      }
      try {
        return { accepted: checkValidatedProfile(profile, expected(now)) };
      } catch (error) {
        return { rejectedBy: 'postcheck', reason: reasonOf(error) };
      }
    },
    async nodeSamlAlone(base64) {
      // A fresh SAML with the request id still valid, so only the content decides.
      const aloneStore = new InMemorySamlRequestStore();
      const aloneCache = new SamlCacheProvider(aloneStore, () => new Date());
      await aloneCache.saveAsync(requestId, new Date().toISOString());
      const alone = new SAML(buildSamlConfig(provider, { appUrl: APP_URL }, aloneCache));
      try {
        const { profile } = await alone.validatePostResponseAsync({ SAMLResponse: base64 });
        return profile?.nameID ?? null;
      } catch {
        return null;
      }
    },
  };
}

function reasonOf(error: unknown): string {
  if (!(error instanceof SamlRejection)) throw error;
  return error.reason;
}

function build(target: Sp, options: Partial<ResponseOptions> = {}) {
  return idp.buildResponse({
    acsUrl: urls.acsUrl,
    spEntityId: urls.spEntityId,
    inResponseTo: target.requestId,
    nameId: ALICE,
    attributes: { email: ALICE, displayName: 'Alice Liddell', groups: ['engineering', 'admins'] },
    ...options,
  });
}

const rejected = (stage: Stage, reason: RegExp | string) => ({
  rejectedBy: stage,
  reason: typeof reason === 'string' ? reason : expect.stringMatching(reason),
});

describe('accepted responses', () => {
  it('a signed Response around a signed Assertion, with every fact the login needs', async () => {
    const target = await sp();
    const now = new Date();
    const authnInstant = new Date(now.getTime() - 30_000);
    const response = build(target, {
      now,
      authnInstant,
      sessionIndex: '_session-1',
      notOnOrAfter: new Date(now.getTime() + 600_000),
      subjectNotOnOrAfter: new Date(now.getTime() + 180_000),
    });

    const outcome = await target.attempt(response.base64);

    expect(outcome).toEqual({
      accepted: {
        nameId: ALICE,
        nameIdFormat: NAMEID_FORMAT.email,
        sessionIndex: '_session-1',
        assertionId: response.assertionId,
        notOnOrAfter: new Date(now.getTime() + 180_000),
        authnInstant,
        inResponseTo: target.requestId,
        attributes: { email: [ALICE], displayName: ['Alice Liddell'], groups: ['engineering', 'admins'] },
        email: ALICE,
      },
    });
  });

  it('only the Assertion signed, when the provider does not require a signed Response', async () => {
    const target = await sp({ requireSignedResponse: false });
    const outcome = await target.attempt(build(target, { signResponse: false }).base64);
    expect(outcome).toMatchObject({ accepted: { nameId: ALICE } });
  });

  it('an unsigned Response may leave out Destination and Issuer; the signed Assertion still names us', async () => {
    const target = await sp({ requireSignedResponse: false });
    const response = build(target, { signResponse: false, destination: null, responseIssuer: null });
    expect(await target.attempt(response.base64)).toMatchObject({ accepted: { nameId: ALICE } });
  });

  it('certificate rollover: a response signed with either configured certificate', async () => {
    const rolledIdp = new TestIdp(idp.entityId, idp.ssoUrl, nextKeys);
    for (const [signer, certs] of [
      [idp, [nextKeys.cert, idp.cert]],
      [rolledIdp, [idp.cert, nextKeys.cert]],
    ] as const) {
      const target = await sp({ idpCerts: [...certs] });
      const response = signer.buildResponse({
        acsUrl: urls.acsUrl,
        spEntityId: urls.spEntityId,
        inResponseTo: target.requestId,
        nameId: ALICE,
      });
      expect(await target.attempt(response.base64)).toMatchObject({ accepted: { nameId: ALICE } });
    }
  });

  it('rsa-sha512 with a sha512 digest', async () => {
    const target = await sp();
    const response = build(target, {
      signatureAlgorithm: ALGORITHMS.rsaSha512,
      digestAlgorithm: ALGORITHMS.sha512,
    });
    expect(await target.attempt(response.base64)).toMatchObject({ accepted: { nameId: ALICE } });
  });

  it('a response expired by less than the clock skew', async () => {
    const target = await sp();
    const now = new Date(Date.now() - 400_000);
    const response = build(target, {
      now,
      notOnOrAfter: new Date(Date.now() - 60_000),
      subjectNotOnOrAfter: new Date(Date.now() - 60_000),
    });
    expect(await target.attempt(response.base64)).toMatchObject({ accepted: { nameId: ALICE } });
  });

  it('the e-mail comes from a mail attribute, else from an emailAddress NameID, else is absent', async () => {
    const claims = await sp();
    const fromClaim = build(claims, {
      nameId: 'S-1-5-21-1004',
      nameIdFormat: NAMEID_FORMAT.persistent,
      attributes: { 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress': 'bob@acme.test' },
    });
    expect(await claims.attempt(fromClaim.base64)).toMatchObject({ accepted: { email: 'bob@acme.test' } });

    const fromNameId = await sp();
    const nameIdOnly = build(fromNameId, { nameId: 'carol@acme.test', attributes: {} });
    const outcome = await fromNameId.attempt(nameIdOnly.base64);
    expect(outcome).toMatchObject({ accepted: { email: 'carol@acme.test', attributes: {} } });

    const none = await sp();
    const persistent = build(none, { nameId: 'opaque-123', nameIdFormat: NAMEID_FORMAT.persistent, attributes: {} });
    const accepted = await none.attempt(persistent.base64);
    expect(accepted).toMatchObject({ accepted: { nameId: 'opaque-123', nameIdFormat: NAMEID_FORMAT.persistent } });
    expect('accepted' in accepted && 'email' in accepted.accepted).toBe(false);
  });

  it('validateSamlResponse runs the three stages; the request id answers one response only', async () => {
    const target = await sp();
    const response = build(target);
    const first = await validateSamlResponse(target.saml, response.base64, target.expected);
    expect(first).toMatchObject({ nameId: ALICE, inResponseTo: target.requestId });
    expect(target.store.size).toBe(0);

    await expect(validateSamlResponse(target.saml, response.base64, target.expected)).rejects.toThrow(
      new SamlRejection('node-saml: InResponseTo is not valid'),
    );
  });

  it('a DOM round trip of a valid response stays valid (so the tampering below is what gets refused)', async () => {
    const target = await sp();
    const roundTrip = toBase64(editXml(build(target).xml, () => undefined));
    expect(await target.attempt(roundTrip)).toMatchObject({ accepted: { nameId: ALICE } });
  });
});

describe('signatures', () => {
  it('Response signature stripped, when the provider requires one', async () => {
    const target = await sp();
    const xml = stripSignatures(build(target).xml, 'response');
    expect(await target.attempt(toBase64(xml))).toEqual(rejected('node-saml', 'Invalid document signature'));
  });

  it('Assertion signature stripped: the Response signature no longer matches', async () => {
    const target = await sp();
    const xml = stripSignatures(build(target).xml, 'assertion');
    expect(await target.attempt(toBase64(xml))).toEqual(rejected('node-saml', 'Invalid document signature'));
  });

  it('Assertion signature stripped, in a provider that accepts an unsigned Response', async () => {
    const target = await sp({ requireSignedResponse: false });
    const xml = stripSignatures(build(target).xml, 'assertion');
    expect(await target.attempt(toBase64(xml))).toEqual(rejected('node-saml', 'Invalid signature'));
  });

  it('both signatures stripped', async () => {
    for (const requireSignedResponse of [true, false]) {
      const target = await sp({ requireSignedResponse });
      const xml = stripSignatures(build(target).xml, 'both');
      expect(await target.attempt(toBase64(xml))).toEqual({ rejectedBy: 'node-saml', reason: expect.any(String) });
    }
  });

  it('a signed Response around an unsigned Assertion: assertions must always be signed', async () => {
    for (const requireSignedResponse of [true, false]) {
      const target = await sp({ requireSignedResponse });
      const response = build(target, { signAssertion: false });
      expect(await target.attempt(response.base64)).toEqual(rejected('node-saml', 'Invalid signature'));
    }
  });

  it('an unsigned Response when the provider requires it signed', async () => {
    const target = await sp();
    const response = build(target, { signResponse: false });
    expect(await target.attempt(response.base64)).toEqual(rejected('node-saml', 'Invalid document signature'));
  });

  describe.each([
    ['both signed', true],
    ['assertion-only', false],
  ])('edited after signing (%s)', (_mode, requireSignedResponse) => {
    it.each([
      ['NameID', { nameId: EVIL }],
      ['email', { email: EVIL }],
      ['groups', { groups: ['engineering', 'owners'] }],
    ])('%s', async (_field, edits) => {
      const target = await sp({ requireSignedResponse });
      const xml = editAssertion(build(target, { signResponse: requireSignedResponse }).xml, edits);
      const outcome = await target.attempt(toBase64(xml));
      expect(outcome).toEqual({
        rejectedBy: 'node-saml',
        reason: expect.stringMatching(/^Invalid (document )?signature$/),
      });
      expect(await target.nodeSamlAlone(toBase64(xml))).toBeNull();
    });
  });

  it('signed with an attacker key whose certificate is in KeyInfo', async () => {
    const target = await sp();
    const forged = resign(build(target).xml, { signer: attacker });
    expect(forged).toContain(attacker.cert.split('\n')[1]);
    expect(await target.attempt(toBase64(forged))).toEqual(rejected('node-saml', 'Invalid document signature'));

    const assertionOnly = await sp({ requireSignedResponse: false });
    const forgedAssertion = resign(build(assertionOnly).xml, { signer: attacker, response: false });
    expect(await assertionOnly.attempt(toBase64(forgedAssertion))).toEqual(rejected('node-saml', 'Invalid signature'));
  });

  it('an attacker-signed Assertion wrapped in a Response the IdP signed', async () => {
    const target = await sp();
    const xml = editAssertion(build(target).xml, { nameId: EVIL });
    const mixed = resign(stripSignatures(resign(xml, { signer: attacker, response: false }), 'response'), {
      signer: idp.keys,
      assertion: false,
    });
    expect(await target.attempt(toBase64(mixed))).toEqual(rejected('node-saml', 'Invalid signature'));
  });

  it.each([
    ['rsa-sha1 with a sha1 digest', { signatureAlgorithm: ALGORITHMS.rsaSha1, digestAlgorithm: ALGORITHMS.sha1 }],
    ['rsa-sha1 with a sha256 digest', { signatureAlgorithm: ALGORITHMS.rsaSha1 }],
    ['rsa-sha256 with a sha1 digest', { digestAlgorithm: ALGORITHMS.sha1 }],
  ])('%s', async (_name, algorithms) => {
    const target = await sp();
    const response = build(target, algorithms);
    expect(await target.attempt(response.base64)).toEqual(
      rejected('precheck', /^(signature|digest) algorithm .*sha1$/),
    );
  });

  it('an HMAC signature (key confusion with the public certificate)', async () => {
    const target = await sp();
    const xml = build(target).xml.replace(ALGORITHMS.rsaSha256, 'http://www.w3.org/2000/09/xmldsig#hmac-sha1');
    expect(await target.attempt(toBase64(xml))).toEqual(rejected('precheck', /^signature algorithm .*hmac-sha1$/));
  });
});

describe('signature wrapping', () => {
  const all: WrappingAttack[] = ['XSW1', 'XSW2', 'XSW3', 'XSW4', 'XSW5', 'XSW6', 'XSW7', 'XSW8'];
  const extra: WrappingAttack[] = ['two-assertions', 'duplicate-id', 'extensions-same-id'];
  const assertionAttacks = all.slice(2).concat(extra);

  it.each(all.concat(extra))('%s, Response and Assertion signed', async (attack) => {
    const target = await sp();
    const wrapped = toBase64(wrapSignature(build(target).xml, attack, EVIL));
    const outcome = await target.attempt(wrapped);
    expect(outcome).toEqual({ rejectedBy: 'precheck', reason: expect.any(String) });
    expect(await target.nodeSamlAlone(wrapped)).not.toBe(EVIL);
  });

  it.each(assertionAttacks)('%s, only the Assertion signed', async (attack) => {
    const target = await sp({ requireSignedResponse: false });
    const wrapped = toBase64(wrapSignature(build(target, { signResponse: false }).xml, attack, EVIL));
    const outcome = await target.attempt(wrapped);
    expect(outcome).toEqual({ rejectedBy: 'precheck', reason: expect.any(String) });
    expect(await target.nodeSamlAlone(wrapped)).not.toBe(EVIL);
  });

  it('the pre-check names what it found', async () => {
    const target = await sp();
    const xml = build(target).xml;
    const reasons = await Promise.all(
      (['XSW1', 'XSW3', 'XSW4', 'duplicate-id'] as const).map(async (attack) => {
        const outcome = await target.attempt(toBase64(wrapSignature(xml, attack, EVIL)));
        return 'reason' in outcome ? outcome.reason : 'accepted';
      }),
    );
    expect(reasons).toEqual([
      '2 Assertion elements',
      '2 Assertion elements',
      '2 Assertion elements',
      '2 Assertion elements',
    ]);
  });

  it('comment injection in the NameID is refused; node-saml alone would keep the whole signed value', async () => {
    const target = await sp();
    const signed = build(target, { nameId: 'alice@acme.test.evil.test' }).xml;
    const injected = toBase64(injectNameIdComment(signed, 'alice@acme.test'.length));
    expect(Buffer.from(injected, 'base64').toString()).toContain('alice@acme.test<!---->.evil.test');

    expect(await target.attempt(injected)).toEqual(rejected('precheck', 'comment inside the Assertion'));
    expect(await target.nodeSamlAlone(injected)).toBe('alice@acme.test.evil.test');
  });
});

describe('fields the IdP signed but that are not for us', () => {
  it('wrong Audience', async () => {
    const target = await sp();
    const response = build(target, { audience: 'https://other-sp.example.test/metadata' });
    expect(await target.attempt(response.base64)).toEqual(rejected('node-saml', /audience mismatch/));
  });

  it('wrong Destination', async () => {
    const target = await sp();
    const response = build(target, { destination: 'https://other-sp.example.test/acs' });
    expect(await target.attempt(response.base64)).toEqual(
      rejected('postcheck', 'Destination https://other-sp.example.test/acs'),
    );
  });

  it('a signed Response without Destination', async () => {
    const target = await sp();
    const response = build(target, { destination: null });
    expect(await target.attempt(response.base64)).toEqual(rejected('postcheck', 'signed Response without Destination'));
  });

  it('wrong Recipient', async () => {
    for (const requireSignedResponse of [true, false]) {
      const target = await sp({ requireSignedResponse });
      const response = build(target, {
        recipient: `${APP_URL}/auth/saml/another-provider/acs`,
        signResponse: requireSignedResponse,
      });
      expect(await target.attempt(response.base64)).toEqual(
        rejected('postcheck', `Recipient ${APP_URL}/auth/saml/another-provider/acs`),
      );
    }
  });

  it.each([
    ['Response', { responseIssuer: 'https://evil-idp.example.test' }, 'Response Issuer https://evil-idp.example.test'],
    [
      'Assertion',
      { assertionIssuer: 'https://evil-idp.example.test' },
      'Assertion Issuer https://evil-idp.example.test',
    ],
    ['both', { issuer: 'https://evil-idp.example.test' }, 'Response Issuer https://evil-idp.example.test'],
  ])('wrong %s Issuer', async (_where, options, reason) => {
    const target = await sp();
    expect(await target.attempt(build(target, options).base64)).toEqual(rejected('postcheck', reason));
  });

  it('a Responder status around a valid assertion', async () => {
    const target = await sp();
    const response = build(target, { status: STATUS.responder, statusMessage: 'no' });
    expect(await target.attempt(response.base64)).toEqual(rejected('precheck', `Status ${STATUS.responder}`));
  });

  it('a transient NameID (a new one each login cannot key an identity)', async () => {
    const target = await sp();
    const response = build(target, { nameId: '_tr4ns13nt', nameIdFormat: NAMEID_FORMAT.transient });
    expect(await target.attempt(response.base64)).toEqual(rejected('postcheck', 'transient NameID'));
  });

  it('no NameID (an IdP that only sends attributes)', async () => {
    const target = await sp();
    const withoutNameId = editXml(build(target).xml, (doc) => {
      const nameId = doc.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:assertion', 'NameID')[0];
      nameId.parentNode!.removeChild(nameId);
    });
    const xml = resign(withoutNameId, { signer: idp.keys });
    expect(await target.attempt(toBase64(xml))).toEqual(rejected('postcheck', 'NameID missing'));
  });

  it('a SubjectConfirmationData without InResponseTo', async () => {
    const target = await sp();
    const response = build(target, { subjectInResponseTo: null });
    expect(await target.attempt(response.base64)).toEqual(
      rejected('postcheck', 'SubjectConfirmationData InResponseTo'),
    );
  });

  it('a SubjectConfirmationData answering another request', async () => {
    const target = await sp();
    const response = build(target, { subjectInResponseTo: samlId() });
    expect(await target.attempt(response.base64)).toEqual(
      rejected('node-saml', 'InResponseTo does not match subjectInResponseTo'),
    );
  });
});

describe('time', () => {
  it('expired Conditions', async () => {
    const target = await sp();
    const response = build(target, {
      now: new Date(Date.now() - 3600_000),
      notOnOrAfter: new Date(Date.now() - 600_000),
      subjectNotOnOrAfter: new Date(Date.now() + 300_000),
    });
    expect(await target.attempt(response.base64)).toEqual(rejected('node-saml', /expired/));
  });

  it('expired SubjectConfirmationData', async () => {
    const target = await sp();
    const response = build(target, { subjectNotOnOrAfter: new Date(Date.now() - 600_000) });
    expect(await target.attempt(response.base64)).toEqual(rejected('node-saml', /No valid subject confirmation/));
  });

  it('Conditions not yet valid', async () => {
    const target = await sp();
    const response = build(target, { notBefore: new Date(Date.now() + 600_000) });
    expect(await target.attempt(response.base64)).toEqual(rejected('node-saml', 'SAML assertion not yet valid'));
  });

  it('the post-check follows the injected clock, not only the wall clock node-saml reads', async () => {
    const target = await sp();
    const response = build(target);
    const later = new Date(Date.now() + 300_000 + 121_000);
    expect(await target.attempt(response.base64, later)).toEqual(
      rejected('postcheck', 'SubjectConfirmationData expired'),
    );
  });

  it('an expired IdP session (SessionNotOnOrAfter)', async () => {
    const target = await sp();
    const response = build(target, { sessionNotOnOrAfter: new Date(Date.now() - 600_000) });
    expect(await target.attempt(response.base64)).toEqual(rejected('postcheck', 'IdP session expired'));
  });
});

describe('InResponseTo', () => {
  it('unknown request id', async () => {
    const target = await sp();
    const response = build(target, { inResponseTo: samlId() });
    expect(await target.attempt(response.base64)).toEqual(rejected('node-saml', 'InResponseTo is not valid'));
  });

  it('unsolicited (IdP-initiated) response', async () => {
    const target = await sp();
    const response = build(target, { inResponseTo: null });
    expect(await target.attempt(response.base64)).toEqual(
      rejected('node-saml', 'InResponseTo is missing from response'),
    );
  });

  it('a request id that expired in the store', async () => {
    let now = new Date();
    const store = new InMemorySamlRequestStore(() => now);
    const cache = new SamlCacheProvider(store, () => now);
    const requestId = samlId();
    await cache.saveAsync(requestId, now.toISOString());
    const saml = new SAML(
      buildSamlConfig(
        {
          id: PROVIDER_ID,
          idpEntityId: idp.entityId,
          idpSsoUrl: idp.ssoUrl,
          idpCerts: [idp.cert],
          requireSignedResponse: true,
        },
        { appUrl: APP_URL },
        cache,
      ),
    );
    now = new Date(now.getTime() + 11 * 60_000);
    const response = idp.buildResponse({ acsUrl: urls.acsUrl, spEntityId: urls.spEntityId, inResponseTo: requestId });
    await expect(
      validateSamlResponse(saml, response.base64, {
        acsUrl: urls.acsUrl,
        spEntityId: urls.spEntityId,
        idpEntityId: idp.entityId,
        now: new Date(),
      }),
    ).rejects.toThrow(new SamlRejection('node-saml: InResponseTo is not valid'));
  });

  it('a replayed response', async () => {
    const target = await sp();
    const response = build(target);
    expect(await target.attempt(response.base64)).toMatchObject({ accepted: { assertionId: response.assertionId } });
    expect(await target.attempt(response.base64)).toEqual(rejected('node-saml', 'InResponseTo is not valid'));
  });
});

describe('documents that are not plain SAML', () => {
  it('a DOCTYPE prolog, even without entities and with valid signatures', async () => {
    const target = await sp();
    const xml = withDoctype(build(target).xml);
    expect(await target.attempt(toBase64(xml))).toEqual(rejected('precheck', 'DOCTYPE or ENTITY declaration'));
  });

  it('a DOCTYPE declaring entities (billion laughs)', async () => {
    const target = await sp();
    const subset = '<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">';
    const xml = withDoctype(build(target, { nameId: 'x' }).xml.replace('>x<', '>&b;<'), subset);
    expect(await target.attempt(toBase64(xml))).toEqual(rejected('precheck', 'DOCTYPE or ENTITY declaration'));
  });

  it.each([
    ['no value', undefined, 'SAMLResponse missing'],
    ['an array (repeated form field)', ['a', 'b'], 'SAMLResponse missing'],
    ['not base64', '<samlp:Response/>', 'SAMLResponse is not base64'],
    ['too large', 'A'.repeat(256 * 1024 + 4), 'SAMLResponse too large'],
    ['not XML', toBase64('hello'), /^malformed XML/],
    [
      'malformed XML',
      toBase64('<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><a></b>'),
      /^malformed XML/,
    ],
    [
      'a LogoutResponse',
      toBase64('<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>'),
      'not a Response',
    ],
  ])('%s', (_name, value, reason) => {
    expect(() => precheckSamlResponse(value)).toThrow(SamlRejection);
    try {
      precheckSamlResponse(value);
    } catch (error) {
      expect((error as SamlRejection).reason).toEqual(
        typeof reason === 'string' ? reason : expect.stringMatching(reason),
      );
    }
  });

  it('an EncryptedAssertion', async () => {
    const target = await sp();
    const xml = editXml(build(target).xml, (doc) => {
      const assertion = doc.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:assertion', 'Assertion')[0];
      const encrypted = doc.createElementNS('urn:oasis:names:tc:SAML:2.0:assertion', 'saml:EncryptedAssertion');
      doc.documentElement.replaceChild(encrypted, assertion);
    });
    expect(await target.attempt(toBase64(xml))).toEqual(rejected('precheck', 'encrypted assertions are not supported'));
  });

  it('a transform outside the allow-list', async () => {
    const target = await sp();
    const xml = build(target).xml.replace(
      'Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"',
      'Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"',
    );
    expect(await target.attempt(toBase64(xml))).toEqual(
      rejected('precheck', /^Transform http:\/\/www.w3.org\/TR\/1999/),
    );
  });

  it('no profile (a logout answer) is not a login', () => {
    expect(() => checkValidatedProfile(null, { acsUrl: '', spEntityId: '', idpEntityId: '', now: new Date() })).toThrow(
      new SamlRejection('no profile (not a login response)'),
    );
  });
});

describe('decodeSamlResponse (the checks before any parse)', () => {
  const P = 'urn:oasis:names:tc:SAML:2.0:protocol';
  const reason = (value: unknown): string => {
    try {
      decodeSamlResponse(value);
    } catch (error) {
      return (error as SamlRejection).reason;
    }
    return 'accepted';
  };

  it.each([
    ['double quotes', `<samlp:Response xmlns:samlp="${P}" ID="_r" InResponseTo="_req1"/>`],
    [
      'single quotes and a declaration',
      `<?xml version="1.0" encoding="UTF-8"?>\n<Response xmlns="${P}" InResponseTo='_req1'>`,
    ],
    ['a byte order mark', `\ufeff<samlp:Response xmlns:samlp="${P}"\n  InResponseTo = "_req1">`],
  ])('reads InResponseTo off the Response start tag: %s', (_name, xml) => {
    expect(decodeSamlResponse(toBase64(xml))).toEqual({ xml, inResponseTo: '_req1' });
  });

  it.each([
    ['nothing', undefined, 'SAMLResponse missing'],
    ['not base64', 'not base64!', 'SAMLResponse is not base64'],
    ['too large', 'A'.repeat(256 * 1024 + 4), 'SAMLResponse too large'],
    [
      'no InResponseTo',
      toBase64(`<samlp:Response xmlns:samlp="${P}" ID="_r"/>`),
      'no InResponseTo on the Response start tag',
    ],
    ['on another element', toBase64(`<x InResponseTo="_req1"/>`), 'no InResponseTo on the Response start tag'],
    [
      'after a comment',
      toBase64(`<!-- --><samlp:Response xmlns:samlp="${P}" InResponseTo="_req1"/>`),
      'no InResponseTo on the Response start tag',
    ],
    [
      'a control character',
      toBase64(`<samlp:Response InResponseTo="_req\u00001"/>`),
      'no InResponseTo on the Response start tag',
    ],
    [
      'too long',
      toBase64(`<samlp:Response InResponseTo="_${'a'.repeat(300)}"/>`),
      'no InResponseTo on the Response start tag',
    ],
    [
      'a start tag beyond 8 KB',
      toBase64(`<samlp:Response ${'a="b" '.repeat(1500)}InResponseTo="_req1"/>`),
      'no InResponseTo on the Response start tag',
    ],
  ])('refuses %s', (_name, value, expected) => {
    expect(reason(value)).toBe(expected);
  });

  it('lets the precheck refuse a Response of more than 4,000 tags before parsing it', () => {
    const xml = `<samlp:Response xmlns:samlp="${P}" InResponseTo="_req1">${'<x/>'.repeat(4000)}</samlp:Response>`;
    expect(() => precheckSamlResponse(decodeSamlResponse(toBase64(xml)))).toThrow(
      new SamlRejection('more than 4000 tags'),
    );
  });
});
