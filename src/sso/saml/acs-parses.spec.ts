import { SAML } from '@node-saml/node-saml';
import { DOMParser } from '@xmldom/xmldom';
import { Parser as Xml2JsParser } from 'xml2js';
import { TestIdp, samlId } from '../../../test/support/saml-idp';
import { InMemorySamlRequestStore, SamlCacheProvider } from './cache-provider';
import { checkValidatedProfile, decodeSamlResponse, precheckSamlResponse } from './response-checks';
import { buildSamlConfig, samlUrls } from './saml-options';

const APP_URL = 'https://auth.example.test';
const PROVIDER_ID = '0b8f3c52-5d4e-4c36-9d3c-2f8f1f6a9e01';
const urls = samlUrls(APP_URL, PROVIDER_ID);
/** A stack frame in this directory's code, not this spec's: a parse of ours. */
const OURS = /src[\\/]sso[\\/]saml[\\/](?!acs-parses\.spec)[\w-]+\.ts/;

let idp: TestIdp;
beforeAll(() => {
  idp = new TestIdp();
});
afterEach(() => jest.restoreAllMocks());

/** Every xmldom parse, as [whose, the length of the text], in order; and the xml2js ones. */
function countParses() {
  const dom: Array<['ours' | 'node-saml', number]> = [];
  const parse = DOMParser.prototype.parseFromString;
  jest.spyOn(DOMParser.prototype, 'parseFromString').mockImplementation(function (this: DOMParser, ...args) {
    dom.push([OURS.test(new Error().stack ?? '') ? 'ours' : 'node-saml', String(args[0]).length]);
    return parse.apply(this, args);
  });
  const xml2js = jest.spyOn(Xml2JsParser.prototype, 'parseString');
  return { dom, xml2js };
}

/** The ACS's three stages in the order SsoLoginService runs them, on a Response signed as asked. */
async function acs(signResponse: boolean) {
  const cache = new SamlCacheProvider(new InMemorySamlRequestStore(), () => new Date());
  const requestId = samlId();
  await cache.saveAsync(requestId, new Date().toISOString());
  const provider = {
    id: PROVIDER_ID,
    idpEntityId: idp.entityId,
    idpSsoUrl: idp.ssoUrl,
    idpCerts: [idp.cert],
    requireSignedResponse: signResponse,
  };
  const saml = new SAML(buildSamlConfig(provider, { appUrl: APP_URL }, cache));
  const { base64 } = idp.buildResponse({
    acsUrl: urls.acsUrl,
    spEntityId: urls.spEntityId,
    inResponseTo: requestId,
    nameId: 'alice@acme.test',
    attributes: { email: 'alice@acme.test' },
    signResponse,
  });
  const expected = { acsUrl: urls.acsUrl, spEntityId: urls.spEntityId, idpEntityId: idp.entityId, now: new Date() };

  const parses = countParses();
  const prechecked = precheckSamlResponse(decodeSamlResponse(base64));
  const afterPrecheck = parses.dom.length;
  const { profile } = await saml.validatePostResponseAsync({ SAMLResponse: base64 });
  const afterNodeSaml = parses.dom.length;
  const assertion = checkValidatedProfile(profile, expected, prechecked);
  return { assertion, fullLength: prechecked.xml.length, parses, afterPrecheck, afterNodeSaml };
}

describe.each([
  ['a signed Response around a signed Assertion', true],
  ['only the Assertion signed', false],
])('one parse of ours per ACS post: %s', (_name, signResponse) => {
  it('the precheck parses the Response once; the post-check reads that document and parses nothing', async () => {
    const { assertion, fullLength, parses, afterPrecheck, afterNodeSaml } = await acs(signResponse);
    expect(assertion.nameId).toBe('alice@acme.test');
    expect(parses.dom.filter(([whose]) => whose === 'ours')).toEqual([['ours', fullLength]]);
    expect(afterPrecheck).toBe(1);
    expect(parses.dom.length).toBe(afterNodeSaml);
  });

  it("node-saml's own parses are the ones the ACS entry's comment counts", async () => {
    const { fullLength, parses } = await acs(signResponse);
    const nodeSaml = parses.dom.filter(([whose]) => whose === 'node-saml').map(([, length]) => length);
    const signatures = signResponse ? 2 : 1;
    // The Response, then the whole text once per verified signature, then the signed bytes it took.
    expect(nodeSaml.filter((length) => length === fullLength)).toHaveLength(1 + signatures);
    // Each signature's canonical SignedInfo twice (a fraction of the text); and the signed bytes.
    expect(nodeSaml).toHaveLength(1 + signatures + 2 * signatures + 1);
    // The signed Assertion again, with xml2js, for the profile.
    expect(parses.xml2js).toHaveBeenCalledTimes(1);
  });
});
