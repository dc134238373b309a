import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, paths } from './schema';

export type { components, paths };

/** The body of every error answer (`error` is one of ErrorCode). */
export type ApiError = components['schemas']['Error'];
export type ErrorCode = components['schemas']['ErrorCode'];

/**
 * A typed client for authd, generated from its OpenAPI document (client/schema.d.ts): paths,
 * parameters, bodies and answers are checked by the compiler. Authenticate with a session token
 * or an API key by passing `headers: { Authorization: 'Bearer …' }`, or, in a browser on a trusted
 * origin, with `credentials: 'include'` and the session cookie.
 */
export function createAuthdClient(options: ClientOptions): Client<paths> {
  return createClient<paths>(options);
}
