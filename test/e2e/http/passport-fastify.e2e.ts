import {
  IDP_LOGIN_URL,
  PassportProbeController,
  POST_BINDING_PAGE,
  ProbeGuard,
  ProbeStrategy,
} from '../../support/passport-probe';
import { startTestApp, TestApp } from '../../support/test-app';

/** A passport strategy (as passport-saml is written) behind @nestjs/passport's AuthGuard, on Fastify. */
describe('passport strategies on Fastify', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ controllers: [PassportProbeController], providers: [ProbeStrategy, ProbeGuard] });
  });
  afterAll(() => t.close());

  describe('a strategy that answers by itself', () => {
    it('redirects: 302 to the IdP, an empty body, and the headers every answer carries', async () => {
      const res = await t.http.get('/probe/sso/login').set('Origin', 'http://localhost:3000').expect(302);
      expect(res.headers.location).toBe(IDP_LOGIN_URL);
      expect(res.headers['content-length']).toBe('0');
      expect(res.text).toBe('');
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers['access-control-allow-origin']).toBe('http://localhost:3000');
      expect(PassportProbeController.handlerRunsAfterAnswer).toBe(0);
    });

    it('sends a page through req.res.send (the SAML HTTP-POST binding)', async () => {
      const res = await t.http.get('/probe/sso/login?binding=post').expect(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.text).toBe(POST_BINDING_PAGE);
      expect(PassportProbeController.handlerRunsAfterAnswer).toBe(0);
    });

    it('leaves the app serving the next request normally', async () => {
      await t.http.get('/probe/sso/login').expect(302);
      await t.http.get('/health').expect(200);
    });
  });

  describe('a strategy that checks a posted answer', () => {
    it('lets the user through on success, from a form post as an IdP sends it', async () => {
      const res = await t.http.post('/probe/sso/callback').type('form').send('user=alice').expect(200);
      expect(res.body).toEqual({ user: { name: 'alice' }, posted: 'alice' });
    });

    it('takes JSON on the same route', async () => {
      const res = await t.http.post('/probe/sso/callback').send({ user: 'alice' }).expect(200);
      expect(res.body).toEqual({ user: { name: 'alice' }, posted: 'alice' });
    });

    it('answers a failure with 401 in the error body', async () => {
      for (const body of ['user=mallory', 'other=1', '']) {
        const res = await t.http.post('/probe/sso/callback').type('form').send(body);
        expect({ body, status: res.status, error: res.body }).toEqual({
          body,
          status: 401,
          error: { statusCode: 401, error: 'unauthenticated', message: expect.any(String) },
        });
      }
    });

    it('answers a strategy error with 500 and no internals', async () => {
      const res = await t.http.post('/probe/sso/callback').type('form').send('user=crash').expect(500);
      expect(res.body).toEqual({ statusCode: 500, error: 'internal_error', message: expect.any(String) });
      expect(JSON.stringify(res.body)).not.toContain('IdP answer');
    });
  });
});
