import { gzipSync } from 'node:zlib';
import { ProbeController } from '../../support/probe.controller';
import { startTestApp, TestApp } from '../../support/test-app';

describe('HTTP pipeline: errors, validation, CORS, request ids, OpenAPI', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ controllers: [ProbeController], env: { CORS_ORIGINS: 'https://app.example.com' } });
  });
  afterAll(() => t.close());

  it('answers an unknown route with 404 not_found in the error body', async () => {
    const res = await t.http.get('/no/such/route').expect(404);
    expect(res.body).toEqual({ statusCode: 404, error: 'not_found', message: expect.any(String) });
  });

  it('answers malformed JSON with 400 invalid_json', async () => {
    const res = await t.http.post('/probe/echo').set('Content-Type', 'application/json').send('{"email": ').expect(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'invalid_json' });
  });

  it('answers an oversized body with 413 payload_too_large', async () => {
    const res = await t.http
      .post('/probe/echo')
      .send({ email: 'a@example.com', name: 'x'.repeat(100_000) })
      .expect(413);
    expect(res.body).toMatchObject({ statusCode: 413, error: 'payload_too_large' });
  });

  it('answers a body that is not JSON with 415, so no cross-site form can post one', async () => {
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
      const res = await t.http.post('/probe/echo').set('Content-Type', type).send('email=a%40example.com').expect(415);
      expect(res.body.error).toBe('unsupported_media_type');
    }
  });

  it('refuses unknown fields with 400 validation_failed and details', async () => {
    const res = await t.http.post('/probe/echo').send({ email: 'a@example.com', admin: true }).expect(400);
    expect(res.body.error).toBe('validation_failed');
    expect(res.body.details).toEqual([{ field: 'admin', problems: [expect.stringContaining('should not exist')] }]);
  });

  it('refuses text with NUL characters and prototype keys with 400, never a 500', async () => {
    const nul = await t.http.post('/probe/echo').send({ email: 'a@example.com', name: 'a\u0000b' }).expect(400);
    expect(nul.body).toMatchObject({ error: 'validation_failed', details: [{ field: 'name' }] });
    const proto = await t.http
      .post('/probe/echo')
      .set('Content-Type', 'application/json')
      .send('{"email":"a@example.com","__proto__":{"admin":true}}')
      .expect(400);
    expect(proto.body).toMatchObject({ error: 'validation_failed', details: [{ field: '__proto__' }] });
  });

  it('says a missing required field is required, not that it is too long or of the wrong type', async () => {
    const bodies: Array<[string, object, string[]]> = [
      ['/auth/login', {}, ['email', 'password']],
      ['/auth/signup', {}, ['email', 'password']],
      ['/auth/signup', { password: 'Correct-Horse-Battery-42' }, ['email']],
      ['/auth/password/forgot', {}, ['email']],
      ['/auth/password/reset', {}, ['token', 'newPassword']],
      ['/auth/password/reset', { token: 'x' }, ['newPassword']],
      ['/auth/verify-email', {}, ['token']],
    ];
    for (const [path, body, fields] of bodies) {
      const res = await t.http.post(path).send(body);
      expect({ path, body, status: res.status, details: res.body.details }).toEqual({
        path,
        body,
        status: 400,
        details: fields.map((field) => ({ field, problems: [`${field} is required`] })),
      });
    }
    // A field sent with the wrong value still says what is wrong with it.
    const wrong = await t.http.post('/auth/login').send({ email: 42, password: 'x' }).expect(400);
    expect(wrong.body.details).toEqual([
      { field: 'email', problems: expect.arrayContaining(['email must be a string']) },
    ]);
  });

  it('lists every invalid field in details', async () => {
    const res = await t.http
      .post('/probe/echo')
      .send({ email: 'not-an-email', name: 'far too long a name' })
      .expect(400);
    expect(res.body.details.map((d: { field: string }) => d.field).sort()).toEqual(['email', 'name']);
  });

  it('refuses a body that is not an object', async () => {
    const res = await t.http.post('/probe/echo').set('Content-Type', 'application/json').send('[1,2]').expect(400);
    expect(res.body.error).toBe('validation_failed');
  });

  it('passes a valid body through', async () => {
    await t.http.post('/probe/echo').send({ email: 'a@example.com' }).expect(201, { email: 'a@example.com' });
  });

  it('reads JSON the way it always has: objects or arrays, any UTF charset, gzip; others 415', async () => {
    const latin1 = await t.http
      .post('/probe/echo')
      .set('Content-Type', 'application/json; charset=latin1')
      .send('{"email":"a@example.com"}')
      .expect(415);
    expect(latin1.body.error).toBe('unsupported_media_type');
    const scalar = await t.http.post('/probe/echo').set('Content-Type', 'application/json').send('"a"').expect(400);
    expect(scalar.body.error).toBe('invalid_json');
    await t.http
      .post('/probe/echo')
      .set('Content-Type', 'application/json; charset=UTF-8')
      .send('\ufeff \n{"email":"a@example.com"}')
      .expect(201, { email: 'a@example.com' });
    await t.http
      .post('/probe/echo')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .serialize((body) => body)
      .send(gzipSync('{"email":"a@example.com"}'))
      .expect(201, { email: 'a@example.com' });
    const notGzip = await t.http
      .post('/probe/echo')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .send('{"email":"a@example.com"}')
      .expect(400);
    expect(notGzip.body.error).toBe('validation_failed');
    const unknown = await t.http
      .post('/probe/echo')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'compress')
      .send('{"email":"a@example.com"}')
      .expect(415);
    expect(unknown.body.error).toBe('unsupported_media_type');
  });

  it('reads a body on every method: on GET and DELETE it is JSON or 415 too', async () => {
    await t.http.get('/health').set('Content-Type', 'application/json').send('{"a":1}').expect(200);
    const text = await t.http.get('/health').set('Content-Type', 'text/plain').send('x').expect(415);
    expect(text.body.error).toBe('unsupported_media_type');
    const broken = await t.http.get('/health').set('Content-Type', 'application/json').send('{').expect(400);
    expect(broken.body.error).toBe('invalid_json');
    const del = await t.http.delete('/me').set('Content-Type', 'text/plain').send('x').expect(415);
    expect(del.body.error).toBe('unsupported_media_type');
    const unknownRoute = await t.http.post('/no/such/route').set('Content-Type', 'text/plain').send('x').expect(415);
    expect(unknownRoute.body.error).toBe('unsupported_media_type');
  });

  it('takes a form post only on a route that opted in, up to 256 KB, with the rules JSON has', async () => {
    await t.http.post('/probe/form').type('form').send('field=a%20b').expect(201, { field: 'a b' });
    await t.http.post('/probe/form').send({ field: 'json too' }).expect(201, { field: 'json too' });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded; charset=latin1']) {
      const res = await t.http.post('/probe/form').set('Content-Type', type).send('field=x');
      expect({ type, status: res.status, error: res.body.error }).toEqual({
        type,
        status: 415,
        error: 'unsupported_media_type',
      });
    }
    const large = 'x'.repeat(200_000);
    await t.http.post('/probe/form').type('form').send(`field=${large}`).expect(201, { field: large });
    const tooLarge = await t.http
      .post('/probe/form')
      .type('form')
      .send(`field=${'x'.repeat(256 * 1024)}`)
      .expect(413);
    expect(tooLarge.body).toMatchObject({ statusCode: 413, error: 'payload_too_large' });
    // JSON keeps its own limit there.
    const json = await t.http.post('/probe/form').send({ field: large }).expect(413);
    expect(json.body.error).toBe('payload_too_large');
    const proto = await t.http.post('/probe/form').type('form').send('field=a&__proto__=x').expect(400);
    expect(proto.body).toMatchObject({ error: 'validation_failed', details: [{ field: '__proto__' }] });
    const nul = await t.http.post('/probe/form').type('form').send('field=a%00b').expect(400);
    expect(nul.body).toMatchObject({ error: 'validation_failed', details: [{ field: 'field' }] });
    // A repeated field arrives as an array.
    const repeated = await t.http.post('/probe/form').type('form').send('field=a&field=b').expect(400);
    expect(repeated.body).toMatchObject({ error: 'validation_failed', details: [{ field: 'field' }] });
  });

  it('matches paths without regard to case or a trailing slash, and answers a malformed one with 400', async () => {
    await t.http.get('/HEALTH').expect(200);
    await t.http.get('/health/').expect(200);
    const res = await t.http.get('/me/sessions/%FF').expect(400);
    expect(res.body).toEqual({ statusCode: 400, error: 'validation_failed', message: expect.any(String) });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.vary).toBe('Origin');
  });

  it('keeps an idle connection open for 5 seconds, as Node does', async () => {
    const res = await t.http.get('/health').set('Connection', 'keep-alive').expect(200);
    expect(res.headers['keep-alive']).toBe('timeout=5');
  });

  it('sends no X-Powered-By and no ETag', async () => {
    for (const path of ['/health', '/docs/openapi.json', '/no/such/route']) {
      const res = await t.http.get(path);
      expect({ path, poweredBy: res.headers['x-powered-by'], etag: res.headers.etag }).toEqual({ path });
    }
  });

  it('maps a domain error to its status, code and headers', async () => {
    const res = await t.http.get('/probe/domain-error').expect(429);
    expect(res.headers['retry-after']).toBe('42');
    expect(res.body).toEqual({ statusCode: 429, error: 'too_many_requests', message: expect.any(String) });
  });

  it('answers an unexpected failure with 500 and no internals', async () => {
    const res = await t.http.get('/probe/crash').expect(500);
    expect(res.body).toEqual({ statusCode: 500, error: 'internal_error', message: expect.any(String) });
    expect(JSON.stringify(res.body)).not.toContain('/srv/secret');
  });

  it('allows CORS with credentials for APP_URL and CORS_ORIGINS and exposes X-Session-Token', async () => {
    for (const origin of ['http://localhost:3000', 'https://app.example.com']) {
      const res = await t.http
        .options('/health')
        .set('Origin', origin)
        .set('Access-Control-Request-Method', 'POST')
        .expect(204);
      expect(res.headers['access-control-allow-origin']).toBe(origin);
      expect(res.headers['access-control-allow-credentials']).toBe('true');
    }
    const res = await t.http.get('/health').set('Origin', 'https://app.example.com');
    expect(res.headers['access-control-expose-headers']).toContain('X-Session-Token');
  });

  it('answers a preflight itself, reflecting the headers asked for, and varies on Origin always', async () => {
    const res = await t.http
      .options('/auth/login')
      .set('Origin', 'https://app.example.com')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type,x-foo')
      .expect(204);
    expect(res.headers).toMatchObject({
      'access-control-allow-methods': 'GET,HEAD,PUT,PATCH,POST,DELETE',
      'access-control-allow-headers': 'content-type,x-foo',
      'access-control-expose-headers': 'X-Session-Token,X-Request-Id,Retry-After',
      'content-length': '0',
      vary: 'Origin, Access-Control-Request-Headers',
    });
    const sameOrigin = await t.http.get('/health').expect(200);
    expect(sameOrigin.headers.vary).toBe('Origin');
    expect(sameOrigin.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('gives a foreign origin no CORS grant', async () => {
    const res = await t.http
      .options('/health')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'POST');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.status).toBe(404);
  });

  it('tags every response with a request id, keeping a well-formed incoming one', async () => {
    const generated = await t.http.get('/health');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const kept = await t.http.get('/health').set('X-Request-Id', 'trace-123');
    expect(kept.headers['x-request-id']).toBe('trace-123');
    const replaced = await t.http.get('/health').set('X-Request-Id', 'bad id with spaces');
    expect(replaced.headers['x-request-id']).not.toBe('bad id with spaces');
  });

  it('serves the OpenAPI UI and document', async () => {
    const doc = await t.http.get('/docs/openapi.json').expect(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    const documented = Object.entries(doc.body.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    // Every route built so far, as docs/api.md names them.
    expect(documented.filter((route) => !route.includes('/probe/')).sort()).toEqual(
      [
        'GET /health',
        'GET /health/live',
        'GET /health/ready',
        'POST /auth/signup',
        'POST /auth/login',
        'POST /auth/logout',
        'POST /auth/passkey/login',
        'POST /auth/verify-email',
        'POST /auth/resend-verification',
        'POST /auth/password/forgot',
        'POST /auth/password/reset',
        'POST /auth/confirm',
        'POST /auth/confirm/email',
        'POST /auth/email/start',
        'POST /auth/email/verify',
        'GET /me',
        'PATCH /me',
        'POST /me/email',
        'POST /me/password',
        'POST /me/2fa/totp/setup',
        'POST /me/2fa/totp/enable',
        'POST /me/2fa/recovery-codes',
        'DELETE /me/2fa/totp',
        'GET /me/sessions',
        'DELETE /me/sessions/{id}',
        'DELETE /me/sessions',
        'GET /me/api-keys',
        'POST /me/api-keys',
        'DELETE /me/api-keys/{id}',
        'POST /me/passkeys/options',
        'POST /me/passkeys',
        'GET /me/passkeys',
        'PATCH /me/passkeys/{id}',
        'DELETE /me/passkeys/{id}',
        'DELETE /me/password',
        'POST /auth/passkey/options',
        'POST /orgs',
        'GET /orgs',
        'GET /orgs/{id}',
        'PATCH /orgs/{id}',
        'DELETE /orgs/{id}',
        'GET /orgs/{id}/members',
        'GET /orgs/{id}/policy',
        'PATCH /orgs/{id}/policy',
        'POST /orgs/{id}/invitations',
        'GET /orgs/{id}/invitations',
        'DELETE /orgs/{id}/invitations/{invitationId}',
        'POST /invitations/accept',
        'PATCH /orgs/{id}/members/{userId}',
        'DELETE /orgs/{id}/members/{userId}',
        'POST /orgs/{id}/documents',
        'GET /orgs/{id}/documents',
        'DELETE /me',
        'POST /me/deletion/cancel',
        'GET /me/export',
        'PUT /orgs/{id}/sso/saml',
        'GET /orgs/{id}/sso/saml',
        'POST /orgs/{id}/sso/saml/verify-domain',
        'DELETE /orgs/{id}/sso/saml',
        'POST /auth/sso/discover',
        'GET /auth/saml/{id}/metadata',
        'GET /auth/saml/{id}/login',
        'POST /auth/saml/{id}/acs',
        'PUT /orgs/{id}/sso/oidc',
        'GET /orgs/{id}/sso/oidc',
        'POST /orgs/{id}/sso/oidc/verify-domain',
        'DELETE /orgs/{id}/sso/oidc',
        'GET /auth/oidc/{id}/login',
        'GET /auth/oidc/{id}/callback',
        'POST /auth/token',
        'GET /.well-known/jwks.json',
        'POST /auth/introspect',
        'POST /admin/users/{id}/lock',
        'POST /admin/users/{id}/unlock',
        'DELETE /admin/users/{id}/sessions',
        'POST /admin/webhooks',
        'GET /admin/webhooks',
        'DELETE /admin/webhooks/{id}',
        'POST /admin/webhooks/{id}/test',
        'POST /orgs/{id}/scim/tokens',
        'GET /orgs/{id}/scim/tokens',
        'DELETE /orgs/{id}/scim/tokens/{tokenId}',
        'GET /scim/v2/ServiceProviderConfig',
        'GET /scim/v2/ResourceTypes',
        'GET /scim/v2/Schemas',
        'POST /scim/v2/Users',
        'GET /scim/v2/Users',
        'GET /scim/v2/Users/{id}',
        'PUT /scim/v2/Users/{id}',
        'PATCH /scim/v2/Users/{id}',
        'DELETE /scim/v2/Users/{id}',
        'POST /scim/v2/Groups',
        'GET /scim/v2/Groups',
        'GET /scim/v2/Groups/{id}',
        'PUT /scim/v2/Groups/{id}',
        'PATCH /scim/v2/Groups/{id}',
        'DELETE /scim/v2/Groups/{id}',
        'GET /admin/users',
        'GET /admin/users/{id}',
        'POST /admin/users/{id}/deletion',
        'GET /admin/audit',
      ].sort(),
    );
    // GET /metrics is left out: the main port does not tell that it exists (404 without the token).
    expect(Object.keys(doc.body.paths)).not.toContain('/metrics');
    const ui = await t.http.get('/docs').redirects(1).expect(200);
    expect(ui.text).toContain('swagger');
  });
});
