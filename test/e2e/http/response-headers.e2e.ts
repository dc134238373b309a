import { ProbeController } from '../../support/probe.controller';
import { startTestApp, TestApp } from '../../support/test-app';
import { totpCode } from '../../support/totp';
import { bearer, confirmPassword, logIn, PASSWORD, signUp, signUpVerified } from '../../support/users';

describe('Response headers: nosniff everywhere, no-store on secrets, Clear-Site-Data on logout', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ controllers: [ProbeController], env: { CORS_ORIGINS: 'https://app.example.com' } });
  });
  afterAll(() => t.close());

  it('sends X-Content-Type-Options: nosniff on every answer, errors and unknown routes included', async () => {
    const answers = [
      await t.http.get('/health').expect(200),
      await t.http.get('/no/such/route').expect(404),
      await t.http.get('/me').expect(401),
      await t.http.post('/auth/login').set('Content-Type', 'application/json').send('{').expect(400),
      await t.http.post('/auth/login').set('Content-Type', 'text/plain').send('x').expect(415),
      await t.http.get('/probe/crash').expect(500),
      await t.http.get('/probe/domain-error').expect(429),
      await t.http.get('/%zz').expect(400),
      await t.http
        .options('/auth/login')
        .set('Origin', 'https://app.example.com')
        .set('Access-Control-Request-Method', 'POST')
        .expect(204),
      await t.http.get('/docs/openapi.json').expect(200),
    ];
    for (const res of answers)
      expect([res.status, res.headers['x-content-type-options']]).toEqual([res.status, 'nosniff']);
  });

  it('sends Cache-Control: no-store with every session token: signup, login, confirm, password change', async () => {
    const signup = await t.http
      .post('/auth/signup')
      .send({ email: `nostore-${Date.now()}@example.com`, password: PASSWORD });
    expect(signup.status).toBe(201);
    expect(signup.headers['cache-control']).toBe('no-store');
    const login = await t.http.post('/auth/login').send({ email: signup.body.user.email, password: PASSWORD });
    expect(login.status).toBe(200);
    expect(login.headers['cache-control']).toBe('no-store');
    const confirm = await t.http
      .post('/auth/confirm')
      .set(bearer(login.body.session.token))
      .send({ password: PASSWORD });
    expect(confirm.status).toBe(200);
    expect(confirm.headers['cache-control']).toBe('no-store');
    const change = await t.http
      .post('/me/password')
      .set(bearer(confirm.body.session.token))
      .send({ newPassword: 'Another-Fine-Passphrase-8' });
    expect(change.status).toBe(200);
    expect(change.headers['cache-control']).toBe('no-store');
  });

  it('sends Cache-Control: no-store with API keys, the TOTP secret, recovery codes and the export', async () => {
    const user = await signUpVerified(t);
    const token = await confirmPassword(t, user.token);
    const key = await t.http.post('/me/api-keys').set(bearer(token)).send({ name: 'ci' }).expect(201);
    const setup = await t.http.post('/me/2fa/totp/setup').set(bearer(token)).expect(200);
    const enable = await t.http
      .post('/me/2fa/totp/enable')
      .set(bearer(token))
      .send({ code: totpCode(setup.body.secret, t.clock) })
      .expect(200);
    const codes = await t.http.post('/me/2fa/recovery-codes').set(bearer(token)).expect(200);
    const exported = await t.http.get('/me/export').set(bearer(token)).expect(200);
    for (const res of [key, setup, enable, codes, exported]) expect(res.headers['cache-control']).toBe('no-store');
  });

  it('sends Cache-Control: no-store with every answer that sets no caching of its own', async () => {
    const user = await signUpVerified(t);
    const org = await t.http.post('/orgs').set(bearer(user.token)).send({ name: 'Cached Co' }).expect(201);
    const answers: Array<[string, { headers: Record<string, string> }]> = [
      ['/me', await t.http.get('/me').set(bearer(user.token)).expect(200)],
      ['/me/sessions', await t.http.get('/me/sessions').set(bearer(user.token)).expect(200)],
      ['/orgs', await t.http.get('/orgs').set(bearer(user.token)).expect(200)],
      ['members', await t.http.get(`/orgs/${org.body.id}/members`).set(bearer(user.token)).expect(200)],
      ['/me (401)', await t.http.get('/me').expect(401)],
      ['unknown route', await t.http.get('/no/such/route').expect(404)],
      ['crash', await t.http.get('/probe/crash').expect(500)],
      ['/health', await t.http.get('/health').expect(200)],
      ['/docs/openapi.json', await t.http.get('/docs/openapi.json').expect(200)],
    ];
    for (const [what, res] of answers) expect([what, res.headers['cache-control']]).toEqual([what, 'no-store']);
  });

  it('sends Vary: Origin whatever the Origin, since CORS headers depend on it', async () => {
    const answers = [
      await t.http.get('/health').expect(200),
      await t.http.get('/health').set('Origin', 'https://app.example.com').expect(200),
      await t.http.get('/health').set('Origin', 'https://evil.example').expect(200),
      await t.http.get('/me').set('Origin', 'https://evil.example').expect(401),
    ];
    for (const res of answers) expect(res.headers.vary).toMatch(/(^|, )Origin(,|$)/);
  });

  it('frames nothing: /docs has a Content-Security-Policy with frame-ancestors, the pages X-Frame-Options', async () => {
    const docs = await t.http.get('/docs').expect(200);
    expect(docs.headers['content-type']).toMatch(/^text\/html/);
    expect(docs.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(docs.headers['content-security-policy']).toContain("script-src 'self'");
    expect(docs.headers['content-security-policy']).not.toContain('unsafe-eval');
    expect(docs.headers['x-frame-options']).toBe('DENY');
    const page = await t.http.get('/verify-email').set('Cookie', 'verify_token=abc').expect(400);
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['x-frame-options']).toBe('DENY');
    const redirect = await t.http.get('/verify-email?token=abc').expect(303);
    expect(redirect.headers['x-frame-options']).toBe('DENY');
  });

  it('sends Clear-Site-Data: "cookies" when the current session signs out, and only then', async () => {
    const user = await signUp(t);
    const other = await logIn(t, user.email);
    const revokeOther = await t.http.delete(`/me/sessions/${other.sessionId}`).set(bearer(user.token)).expect(204);
    expect(revokeOther.headers['clear-site-data']).toBeUndefined();
    const third = await logIn(t, user.email);
    const revokeOthers = await t.http.delete('/me/sessions').set(bearer(third.token)).expect(200);
    expect(revokeOthers.headers['clear-site-data']).toBeUndefined();
    const logout = await t.http.post('/auth/logout').set(bearer(third.token)).expect(204);
    expect(logout.headers['clear-site-data']).toBe('"cookies"');
    const fourth = await logIn(t, user.email);
    const revokeOwn = await t.http.delete(`/me/sessions/${fourth.sessionId}`).set(bearer(fourth.token)).expect(204);
    expect(revokeOwn.headers['clear-site-data']).toBe('"cookies"');
  });
});
