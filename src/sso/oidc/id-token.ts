import { OidcRejection } from './errors';
import { loadJose, type Jose } from './esm';
import { ASYMMETRIC_ALGS } from './op-metadata';

/** The clock difference tolerated between the OP and us, for `exp`, `iat` and `auth_time`. */
export const OIDC_CLOCK_SKEW_SECONDS = 300;

export interface IdTokenExpectations {
  issuer: string;
  clientId: string;
  nonce: string;
  /** The asymmetric algorithms the OP advertised. */
  algorithms: string[];
  jwks: { keys: Array<Record<string, unknown>> };
  /** The OP's key set fetched again, for a token signed with a key the cached set lacks (asked once). */
  refetchJwks: () => Promise<{ keys: Array<Record<string, unknown>> }>;
  now: Date;
}

export type IdTokenClaims = Jose.JWTPayload & Record<string, unknown>;

/**
 * Our own check of the ID token, beside openid-client's: signed by a key of the OP's JWKS with an
 * asymmetric algorithm it advertises (never `none`, never HS*, whose "key" would be public),
 * `iss`, `aud` holding the client id, `azp` when it has several audiences, `exp` and `iat` within
 * the skew, and the nonce this browser's request stored.
 */
export async function verifyIdToken(idToken: string, expected: IdTokenExpectations): Promise<IdTokenClaims> {
  const jose = await loadJose();
  let alg: unknown;
  try {
    alg = jose.decodeProtectedHeader(idToken).alg;
  } catch {
    throw new OidcRejection('the ID token is not a JWS');
  }
  const allowed = expected.algorithms.filter((a) => (ASYMMETRIC_ALGS as readonly string[]).includes(a));
  if (typeof alg !== 'string' || !allowed.includes(alg)) {
    throw new OidcRejection(`the ID token is signed with ${String(alg)}, not an advertised public-key algorithm`);
  }
  const verify = (jwks: IdTokenExpectations['jwks']) =>
    jose.jwtVerify(idToken, jose.createLocalJWKSet(jwks as Jose.JSONWebKeySet), {
      algorithms: allowed,
      issuer: expected.issuer,
      audience: expected.clientId,
      clockTolerance: OIDC_CLOCK_SKEW_SECONDS,
      currentDate: expected.now,
      requiredClaims: ['sub', 'exp', 'iat'],
    });
  let payload: Jose.JWTPayload;
  try {
    try {
      ({ payload } = await verify(expected.jwks));
    } catch (error) {
      if (!(error instanceof jose.errors.JWKSNoMatchingKey)) throw error;
      // The OP rolled its keys over since the set was cached.
      ({ payload } = await verify(await expected.refetchJwks()));
    }
  } catch (error) {
    if (error instanceof OidcRejection) throw error;
    throw new OidcRejection(`the ID token was refused: ${(error as Error).message}`);
  }
  const now = expected.now.getTime() / 1000;
  if (typeof payload.iat !== 'number' || payload.iat > now + OIDC_CLOCK_SKEW_SECONDS) {
    throw new OidcRejection('the ID token was issued in the future');
  }
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if ((audiences.length > 1 || payload.azp !== undefined) && payload.azp !== expected.clientId) {
    throw new OidcRejection('the ID token has several audiences and is not authorized for this client (azp)');
  }
  if (payload.nonce !== expected.nonce)
    throw new OidcRejection('the ID token does not carry the nonce of this request');
  return payload as IdTokenClaims;
}
