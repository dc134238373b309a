import { ProbeController } from '../support/probe.controller';
import { startTestApp, TestApp } from '../support/test-app';

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

  it('gives a foreign origin no CORS grant', async () => {
    const res = await t.http
      .options('/health')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'POST');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
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
    // Every route built so far, as API.md names them.
    expect(documented.filter((route) => !route.includes('/probe/')).sort()).toEqual(
      [
        'GET /health',
        'POST /auth/signup',
        'POST /auth/login',
        'POST /auth/logout',
        'POST /auth/verify-email',
        'POST /auth/resend-verification',
        'POST /auth/password/forgot',
        'POST /auth/password/reset',
        'POST /auth/confirm',
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
        'POST /orgs',
        'GET /orgs',
        'POST /orgs/{id}/members',
        'PATCH /orgs/{id}/members/{userId}',
        'DELETE /orgs/{id}/members/{userId}',
        'POST /orgs/{id}/documents',
        'GET /orgs/{id}/documents',
        'DELETE /me',
        'POST /me/deletion/cancel',
        'GET /me/export',
      ].sort(),
    );
    const ui = await t.http.get('/docs').redirects(1).expect(200);
    expect(ui.text).toContain('swagger');
  });
});
