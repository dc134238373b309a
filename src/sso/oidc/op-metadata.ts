import { isIP } from 'node:net';
import { OidcIssuerError } from './errors';
import { loadOpenIdClient, type OpenIdClient } from './esm';

/** Signature algorithms of public keys: the only ones an ID token may be signed with (never `none`, never HS*). */
export const ASYMMETRIC_ALGS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

/** How long the OP may take to answer one request (discovery, JWKS, token, userinfo). */
export const OP_TIMEOUT_SECONDS = 10;
/** The most an OP's answer may weigh: discovery documents and key sets are a few KB. */
const MAX_RESPONSE_BYTES = 256 * 1024;

export type TokenEndpointAuth = 'client_secret_basic' | 'client_secret_post';

/** What discovery said that the sign-in uses, and the OP's key set. */
export interface OpDiscovery {
  metadata: OpenIdClient.ServerMetadata & Record<string, unknown>;
  jwks: { keys: Array<Record<string, unknown>> };
}

/** Loopback hosts may be served over http (an OP on the developer's machine, tests). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** An https URL, or an http one on a loopback host; null otherwise. */
export function opUrl(value: unknown): URL | null {
  if (typeof value !== 'string') return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.username || url.password) return null;
  if (url.protocol === 'https:') return url;
  return url.protocol === 'http:' && isLoopbackHost(url.hostname) ? url : null;
}

/**
 * fetch, with the time and size an OP's answer may take bounded: an issuer is whatever an
 * organization's owner typed, so its server may be slow or answer without end.
 */
export const boundedFetch = async (url: string, options: OpenIdClient.CustomFetchOptions): Promise<Response> => {
  const target = opUrl(url);
  if (!target) throw new OidcIssuerError(`${new URL(url).origin} is neither https nor a loopback host`);
  const signal = options.signal ?? AbortSignal.timeout(OP_TIMEOUT_SECONDS * 1000);
  const response = await fetch(target, { ...(options as RequestInit), signal, redirect: 'manual' });
  const reader = response.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const next = await reader?.read();
    if (!next || next.done) break;
    size += next.value.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      await reader!.cancel();
      throw new OidcIssuerError(`the answer of ${target.origin} is over ${MAX_RESPONSE_BYTES} bytes`);
    }
    chunks.push(next.value);
  }
  const status = response.status;
  const body = status === 204 || status === 304 ? null : Buffer.concat(chunks);
  return new Response(body, { status, statusText: response.statusText, headers: response.headers });
};

/** The openid-client options that bound each request and let loopback OPs use http. */
export function requestOptions(client: typeof OpenIdClient, issuer: string) {
  const insecure = new URL(issuer).protocol === 'http:';
  return {
    timeout: OP_TIMEOUT_SECONDS,
    [client.customFetch]: boundedFetch,
    execute: insecure ? [client.allowInsecureRequests] : [],
  };
}

/** The client authentication the token endpoint accepts, basic preferred (the default of the spec). */
export function tokenEndpointAuth(metadata: Record<string, unknown>): TokenEndpointAuth | null {
  const methods = metadata.token_endpoint_auth_methods_supported;
  const supported = Array.isArray(methods) ? methods : ['client_secret_basic'];
  if (supported.includes('client_secret_basic')) return 'client_secret_basic';
  return supported.includes('client_secret_post') ? 'client_secret_post' : null;
}

/** The asymmetric algorithms the OP advertises for ID tokens (RS256, the default, when it says nothing). */
export function idTokenAlgs(metadata: Record<string, unknown>): string[] {
  const advertised = metadata.id_token_signing_alg_values_supported;
  const algs = Array.isArray(advertised) ? advertised : ['RS256'];
  return algs.filter((alg): alg is string => (ASYMMETRIC_ALGS as readonly string[]).includes(alg));
}

/** The OP's key set, fetched from its jwks_uri (bounded); OidcIssuerError when it is not one. */
export async function fetchJwks(jwksUri: string): Promise<OpDiscovery['jwks']> {
  let jwks: unknown;
  try {
    const response = await boundedFetch(jwksUri, {
      method: 'GET',
      body: undefined,
      headers: { accept: 'application/json' },
      redirect: 'manual',
    });
    if (response.status !== 200) throw new OidcIssuerError(`the JWKS answered HTTP ${response.status}`);
    jwks = await response.json();
  } catch (error) {
    if (error instanceof OidcIssuerError) throw error;
    throw new OidcIssuerError('the JWKS could not be fetched');
  }
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || !keys.every((key) => typeof key === 'object' && key !== null)) {
    throw new OidcIssuerError('the JWKS has no keys array');
  }
  return { keys: keys as Array<Record<string, unknown>> };
}

/**
 * The issuer's discovery document, fetched and checked (its issuer is the one given, it names an
 * authorization, token and JWKS endpoint, each https unless on a loopback host, it signs ID tokens
 * with a public key and accepts a client secret), with its key set.
 */
export async function discoverOp(issuer: string): Promise<OpDiscovery> {
  if (!opUrl(issuer)) throw new OidcIssuerError('must be an https URL (http only for a loopback host)');
  const client = await loadOpenIdClient();
  let config: OpenIdClient.Configuration;
  try {
    config = await client.discovery(
      new URL(issuer),
      'discovery',
      undefined,
      client.None(),
      requestOptions(client, issuer),
    );
  } catch (error) {
    if (error instanceof OidcIssuerError) throw error;
    const mismatch = (error as { code?: string }).code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED';
    throw new OidcIssuerError(
      mismatch ? 'the discovery document names another issuer' : 'its discovery document could not be fetched',
    );
  }
  const metadata = config.serverMetadata() as OpDiscovery['metadata'];
  for (const endpoint of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
    if (!opUrl(metadata[endpoint])) {
      throw new OidcIssuerError(`the discovery document has no usable ${endpoint} (https, or http on a loopback host)`);
    }
  }
  if (metadata.userinfo_endpoint !== undefined && !opUrl(metadata.userinfo_endpoint)) {
    throw new OidcIssuerError('the discovery document has an unusable userinfo_endpoint');
  }
  if (idTokenAlgs(metadata).length === 0) {
    throw new OidcIssuerError('the OP signs ID tokens with no public-key algorithm');
  }
  if (!tokenEndpointAuth(metadata)) {
    throw new OidcIssuerError('the token endpoint accepts neither client_secret_basic nor client_secret_post');
  }
  // Stored as JSON: the helpers openid-client adds are not part of the document.
  const plain = JSON.parse(JSON.stringify(metadata)) as OpDiscovery['metadata'];
  return { metadata: plain, jwks: await fetchJwks(metadata.jwks_uri!) };
}
