export { assertedName, attributeValues } from './attributes';
export { SamlConfigError, SamlRejection } from './errors';
export { normalizeCertificatePem } from './pem';
export { parseIdpMetadata, type IdpMetadata } from './idp-metadata';
export {
  InMemorySamlRequestStore,
  SAML_REQUEST_TTL_MS,
  SamlCacheProvider,
  type SamlRequestStore,
} from './cache-provider';
export {
  SAML_CLOCK_SKEW_MS,
  buildSamlConfig,
  samlUrls,
  type SamlAppSettings,
  type SamlProviderSettings,
  type SamlUrls,
} from './saml-options';
export {
  checkValidatedProfile,
  decodeSamlResponse,
  precheckSamlResponse,
  type PrecheckedSamlResponse,
  type SamlExpectations,
  type ValidatedAssertion,
} from './response-checks';
