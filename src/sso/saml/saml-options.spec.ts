import { createVerify } from 'node:crypto';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { TestIdp, readAuthnRequest, selfSigned, type KeyPair } from '../../../test/support/saml-idp';
import { InMemorySamlRequestStore, SAML_REQUEST_TTL_MS, SamlCacheProvider } from './cache-provider';
import { SAML_CLOCK_SKEW_MS, buildSamlConfig, samlUrls, type SamlProviderSettings } from './saml-options';

const APP_URL = 'https://auth.example.test';
let idp: TestIdp;
let spKeys: KeyPair;
let provider: SamlProviderSettings;

beforeAll(() => {
  idp = new TestIdp();
  spKeys = selfSigned({ commonName: 'sp' });
  provider = {
    id: '6a0f6c1e-1d4b-4f55-8a53-6f7e0d1c2b3a',
    idpEntityId: idp.entityId,
    idpSsoUrl: idp.ssoUrl,
    idpCerts: [idp.cert],
    requireSignedResponse: true,
  };
});

const newCache = () => new SamlCacheProvider(new InMemorySamlRequestStore(), () => new Date());

describe('samlUrls', () => {
  it('derives the SP entity id, ACS, metadata and login URLs from APP_URL and the provider id', () => {
    expect(samlUrls('https://auth.example.test/', 'p1')).toEqual({
      spEntityId: 'https://auth.example.test/auth/saml/p1/metadata',
      metadataUrl: 'https://auth.example.test/auth/saml/p1/metadata',
      acsUrl: 'https://auth.example.test/auth/saml/p1/acs',
      loginUrl: 'https://auth.example.test/auth/saml/p1/login',
    });
    expect(samlUrls('https://example.test/auth-service', 'p1').acsUrl).toBe(
      'https://example.test/auth-service/auth/saml/p1/acs',
    );
  });
});

describe('buildSamlConfig', () => {
  it('sets the hardened options', () => {
    const cache = newCache();
    const config = buildSamlConfig(provider, { appUrl: APP_URL }, cache);
    const base = `${APP_URL}/auth/saml/${provider.id}`;
    expect(config).toEqual({
      issuer: `${base}/metadata`,
      callbackUrl: `${base}/acs`,
      entryPoint: idp.ssoUrl,
      idpIssuer: idp.entityId,
      idpCert: [idp.cert],
      audience: `${base}/metadata`,
      wantAssertionsSigned: true,
      wantAuthnResponseSigned: true,
      validateInResponseTo: ValidateInResponseTo.always,
      requestIdExpirationPeriodMs: SAML_REQUEST_TTL_MS,
      cacheProvider: cache,
      acceptedClockSkewMs: SAML_CLOCK_SKEW_MS,
      signatureAlgorithm: 'sha256',
      digestAlgorithm: 'sha256',
      identifierFormat: null,
      disableRequestedAuthnContext: true,
      forceAuthn: false,
      authnRequestBinding: 'HTTP-Redirect',
    });
    expect(SAML_CLOCK_SKEW_MS).toBeGreaterThanOrEqual(60_000);
    expect(SAML_CLOCK_SKEW_MS).toBeLessThanOrEqual(180_000);
    expect(buildSamlConfig({ ...provider, requireSignedResponse: false }, { appUrl: APP_URL }, cache)).toMatchObject({
      wantAuthnResponseSigned: false,
      wantAssertionsSigned: true,
    });
  });

  it('refuses a provider without certificates (node-saml would then refuse every login silently)', () => {
    expect(() => buildSamlConfig({ ...provider, idpCerts: [] }, { appUrl: APP_URL }, newCache())).toThrow(
      /has no IdP certificate/,
    );
  });

  it('redirects to the IdP with an unsigned AuthnRequest whose id waits in the cache', async () => {
    const store = new InMemorySamlRequestStore();
    const cache = new SamlCacheProvider(store, () => new Date());
    const saml = new SAML(buildSamlConfig(provider, { appUrl: APP_URL }, cache));
    const url = await saml.getAuthorizeUrlAsync('relay-key', undefined, {});
    expect(url.startsWith(`${idp.ssoUrl}?`)).toBe(true);
    const request = readAuthnRequest(url);
    expect(request).toMatchObject({
      issuer: `${APP_URL}/auth/saml/${provider.id}/metadata`,
      acsUrl: `${APP_URL}/auth/saml/${provider.id}/acs`,
      forceAuthn: false,
      relayState: 'relay-key',
      sigAlg: null,
      signature: null,
    });
    expect(request.xml).not.toContain('Format=');
    expect(request.xml).not.toContain('RequestedAuthnContext');
    expect(await cache.getAsync(request.id)).toEqual(expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/));
  });

  it('signs the AuthnRequest with rsa-sha256 when the SP key is set, and asks for ForceAuthn on step-up', async () => {
    const saml = new SAML(
      buildSamlConfig(provider, { appUrl: APP_URL, spPrivateKey: spKeys.key, spCert: spKeys.cert }, newCache(), {
        forceAuthn: true,
      }),
    );
    const url = await saml.getAuthorizeUrlAsync('relay-key', undefined, {});
    const request = readAuthnRequest(url);
    expect(request.forceAuthn).toBe(true);
    expect(request.sigAlg).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    // The redirect binding signs the query string "SAMLRequest=…&RelayState=…&SigAlg=…" as sent.
    const query = new URL(url).search.slice(1);
    const signed = query
      .split('&')
      .filter((pair) => !pair.startsWith('Signature='))
      .join('&');
    const verifier = createVerify('RSA-SHA256');
    verifier.update(signed);
    expect(verifier.verify(spKeys.cert, request.signature!, 'base64')).toBe(true);
  });
});
