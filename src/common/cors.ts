import type { FastifyReply, onRequestHookHandler } from 'fastify';

const ALLOWED_METHODS = 'GET,HEAD,PUT,PATCH,POST,DELETE';
const EXPOSED_HEADERS = 'X-Session-Token,X-Request-Id,Retry-After';

/**
 * CORS for APP_URL and CORS_ORIGINS, with credentials, exposing X-Session-Token. Every answer
 * carries `Vary: Origin`, since with another Origin (none, a trusted one, a foreign one) the same
 * request gets other CORS headers and a cache must not hand one to the other; a foreign origin
 * gets no CORS header at all and goes on as any request. A
 * preflight (any OPTIONS with a trusted Origin) is answered here: 204, the methods, and the
 * request headers it asked for.
 */
export function corsFor(trustedOrigins: string[]): onRequestHookHandler {
  const allowed = new Set(trustedOrigins);
  return (request, reply, done) => {
    const origin = request.headers.origin;
    vary(reply, 'Origin');
    if (origin === undefined || !allowed.has(origin)) {
      done();
      return;
    }
    reply.header('Access-Control-Allow-Origin', origin);
    reply.header('Access-Control-Allow-Credentials', 'true');
    if (request.method !== 'OPTIONS') {
      reply.header('Access-Control-Expose-Headers', EXPOSED_HEADERS);
      done();
      return;
    }
    reply.header('Access-Control-Allow-Methods', ALLOWED_METHODS);
    vary(reply, 'Access-Control-Request-Headers');
    const requested = request.headers['access-control-request-headers'];
    if (requested) reply.header('Access-Control-Allow-Headers', requested);
    reply.header('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    // Safari waits for a body on a 204 without Content-Length.
    void reply.code(204).header('Content-Length', '0').send();
  };
}

/** Adds a field to Vary once, keeping what is there (`*` already covers everything). */
function vary(reply: FastifyReply, field: string): void {
  const current = reply.getHeader('vary');
  if (current === undefined) {
    reply.header('Vary', field);
    return;
  }
  const fields = String(current)
    .split(',')
    .map((name) => name.trim().toLowerCase());
  if (fields.includes('*') || fields.includes(field.toLowerCase())) return;
  reply.header('Vary', `${String(current)}, ${field}`);
}
