import { ValidateInResponseTo, type CacheProvider, type SamlConfig } from '@node-saml/node-saml';
import { SAML_REQUEST_TTL_MS } from './cache-provider';

/** The provider fields the SAML configuration depends on (a saml_providers row). */
export interface SamlProviderSettings {
  id: string;
  idpEntityId: string;
  idpSsoUrl: string;
  /** PEM certificates; several during a rollover, any one of them may have signed. */
  idpCerts: string[];
  /** Also require the Response element to be signed (assertions are always required to be). */
  requireSignedResponse: boolean;
}

/** Application settings: APP_URL and the optional SP key pair (SAML_SP_PRIVATE_KEY / SAML_SP_CERT). */
export interface SamlAppSettings {
  appUrl: string;
  spPrivateKey?: string;
  spCert?: string;
}

export interface SamlUrls {
  /** Our entity id at this provider's IdP, also the URL of our metadata. */
  spEntityId: string;
  metadataUrl: string;
  /** Where the IdP posts the Response. */
  acsUrl: string;
  loginUrl: string;
}

/**
 * Tolerated difference between the IdP's clock and ours when checking NotBefore/NotOnOrAfter.
 * node-saml's -1 would switch every time check off, so this must never be made configurable to that.
 */
export const SAML_CLOCK_SKEW_MS = 120_000;

export function samlUrls(appUrl: string, providerId: string): SamlUrls {
  const base = `${appUrl.replace(/\/+$/, '')}/auth/saml/${encodeURIComponent(providerId)}`;
  return {
    spEntityId: `${base}/metadata`,
    metadataUrl: `${base}/metadata`,
    acsUrl: `${base}/acs`,
    loginUrl: `${base}/login`,
  };
}

/**
 * The node-saml configuration for one provider. Choices beyond node-saml's defaults, and why:
 * - validateInResponseTo 'always': only SP-initiated logins, each answering an AuthnRequest id we
 *   stored through `cacheProvider` (unsolicited responses are refused); it is also the only mode in
 *   which node-saml checks SubjectConfirmationData times.
 * - wantAssertionsSigned always; wantAuthnResponseSigned per provider (some IdPs sign only assertions).
 * - audience = our entity id; the Destination, Recipient, Issuer and Status checks node-saml lacks are
 *   in response-checks.ts.
 * - identifierFormat null: NameIDPolicy carries no Format, so the IdP sends the NameID it is set up
 *   for. Asking for emailAddress makes Entra ID, ADFS and Google fail with InvalidNameIDPolicy when their
 *   app is configured with a persistent or unspecified NameID, the usual choice.
 * - disableRequestedAuthnContext: asking for PasswordProtectedTransport with Comparison=exact makes
 *   ADFS and Entra ID refuse users who signed in with MFA, Windows auth or a passkey.
 * - sha256 for what we sign (AuthnRequests, when SP_PRIVATE_KEY is set; metadata); node-saml
 *   defaults to sha1. Incoming algorithms are restricted in response-checks.ts (node-saml takes sha1).
 */
export function buildSamlConfig(
  provider: SamlProviderSettings,
  app: SamlAppSettings,
  cacheProvider: CacheProvider,
  options: { forceAuthn?: boolean } = {},
): SamlConfig {
  if (provider.idpCerts.length === 0) throw new Error(`SAML provider ${provider.id} has no IdP certificate`);
  const urls = samlUrls(app.appUrl, provider.id);
  const config: SamlConfig = {
    issuer: urls.spEntityId,
    callbackUrl: urls.acsUrl,
    entryPoint: provider.idpSsoUrl,
    idpIssuer: provider.idpEntityId,
    idpCert: [...provider.idpCerts],
    audience: urls.spEntityId,
    wantAssertionsSigned: true,
    wantAuthnResponseSigned: provider.requireSignedResponse,
    validateInResponseTo: ValidateInResponseTo.always,
    requestIdExpirationPeriodMs: SAML_REQUEST_TTL_MS,
    cacheProvider,
    acceptedClockSkewMs: SAML_CLOCK_SKEW_MS,
    signatureAlgorithm: 'sha256',
    digestAlgorithm: 'sha256',
    identifierFormat: null,
    disableRequestedAuthnContext: true,
    forceAuthn: options.forceAuthn === true,
    authnRequestBinding: 'HTTP-Redirect',
  };
  if (app.spPrivateKey) config.privateKey = app.spPrivateKey;
  if (app.spCert) config.publicCert = app.spCert;
  return config;
}
