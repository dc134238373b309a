import type { AddressInfo } from 'node:net';
import { createAuthdClient } from '../../../client';
import { startTestApp, TestApp } from '../../support/test-app';
import { totpCode } from '../../support/totp';
import { PASSWORD, uniqueEmail, verificationToken } from '../../support/users';

/**
 * A newcomer's first hour, entirely through the client generated from the OpenAPI document, against
 * the app on a real port: if the document drifts from the server, this fails to compile (lint's tsc
 * over test/) or to run.
 */
describe('the generated client', () => {
  let t: TestApp;
  let baseUrl: string;

  beforeAll(async () => {
    t = await startTestApp();
    await t.app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(() => t.close());

  const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
  const STEP = 30_000;

  it('signs up, verifies, logs in, turns on 2FA, manages sessions and steps up', async () => {
    const api = createAuthdClient({ baseUrl });
    const email = uniqueEmail('journey');

    const signup = await api.POST('/auth/signup', { body: { email, password: PASSWORD, name: 'Ada' } });
    expect(signup.response.status).toBe(201);
    expect(signup.data?.user.emailVerified).toBe(false);
    const firstToken = signup.data!.session.token;

    const verified = await api.POST('/auth/verify-email', { body: { token: await verificationToken(t, email) } });
    expect(verified.data?.user.emailVerified).toBe(true);

    const login = await api.POST('/auth/login', { body: { email, password: PASSWORD } });
    expect(login.response.status).toBe(200);
    let token = login.data!.session.token;

    const setup = await api.POST('/me/2fa/totp/setup', { headers: bearer(token) });
    expect(setup.data?.secret).toMatch(/^[A-Z2-7]+$/);
    const secret = setup.data!.secret;
    const enabled = await api.POST('/me/2fa/totp/enable', {
      headers: bearer(token),
      body: { code: totpCode(secret, t.clock) },
    });
    expect(enabled.data?.recoveryCodes).toHaveLength(10);

    t.clock.advance(STEP);
    const withoutCode = await api.POST('/auth/login', { body: { email, password: PASSWORD } });
    expect(withoutCode.response.status).toBe(401);
    expect(withoutCode.error?.error).toBe('totp_required');
    const twoFactorLogin = await api.POST('/auth/login', {
      body: { email, password: PASSWORD, totpCode: totpCode(secret, t.clock) },
    });
    expect(twoFactorLogin.data?.user.twoFactorEnabled).toBe(true);
    token = twoFactorLogin.data!.session.token;

    const sessions = await api.GET('/me/sessions', { headers: bearer(token) });
    expect(sessions.data?.map((s) => s.current)).toEqual([true, false, false]);
    const signupSession = sessions.data!.find((s) => s.id === signup.data!.session.id)!;
    const revoked = await api.DELETE('/me/sessions/{id}', {
      headers: bearer(token),
      params: { path: { id: signupSession.id } },
    });
    expect(revoked.response.status).toBe(204);
    const afterRevoke = await api.GET('/me', { headers: bearer(firstToken) });
    expect(afterRevoke.error).toMatchObject({ error: 'session_expired', reason: 'revoked' });

    // The login's authentication has aged past STEP_UP_WINDOW: the protected action asks for a step-up.
    t.clock.advance(t.config.stepUpWindowMs + STEP);
    const refused = await api.POST('/me/api-keys', { headers: bearer(token), body: { name: 'deploys' } });
    expect(refused.response.status).toBe(403);
    expect(refused.error).toMatchObject({ error: 'step_up_required', confirmUrl: '/auth/confirm' });
    expect(refused.error?.methods).toEqual(expect.arrayContaining(['password', 'totp']));

    const confirmed = await api.POST('/auth/confirm', {
      headers: bearer(token),
      body: { password: PASSWORD, totpCode: totpCode(secret, t.clock) },
    });
    expect(confirmed.response.status).toBe(200);
    expect(confirmed.response.headers.get('X-Session-Token')).toBe(confirmed.data?.session.token);
    token = confirmed.data!.session.token;

    const created = await api.POST('/me/api-keys', { headers: bearer(token), body: { name: 'deploys' } });
    expect(created.response.status).toBe(201);
    expect(created.data?.key).toMatch(/^ak_/);

    const viaKey = await api.GET('/me', { headers: bearer(created.data!.key) });
    expect(viaKey.data?.email).toBe(email);
    const keyRefused = await api.GET('/me/sessions', { headers: bearer(created.data!.key) });
    expect(keyRefused.error?.error).toBe('api_key_not_allowed');
  });

  it('signs in with a mailed code, no password ever, and confirms a step-up with another', async () => {
    const api = createAuthdClient({ baseUrl });
    const email = uniqueEmail('journey-email');
    const started = await api.POST('/auth/email/start', { body: { email, returnTo: '/welcome' } });
    expect(started.response.status).toBe(202);
    const [mail] = await t.mail.waitFor((m) => m.to === email && m.subject.includes('Sign in'));
    const code = /\b(\d{6})\b/.exec(mail.text)![1];
    const signedIn = await api.POST('/auth/email/verify', { body: { email, code } });
    expect(signedIn.response.status).toBe(200);
    expect(signedIn.data?.created).toBe(true);
    expect(signedIn.data?.user).toMatchObject({ email, emailVerified: true, hasPassword: false, hasPasskey: false });
    const token = signedIn.data!.session.token;
    const sessions = await api.GET('/me/sessions', { headers: bearer(token) });
    expect(sessions.data?.[0]).toMatchObject({ current: true, authMethod: 'email' });

    t.clock.advance(t.config.stepUpWindowMs + STEP);
    const refused = await api.POST('/me/api-keys', { headers: bearer(token), body: { name: 'deploys' } });
    expect(refused.error).toMatchObject({ error: 'step_up_required', methods: ['email'] });
    const asked = await api.POST('/auth/confirm/email', { headers: bearer(token) });
    expect(asked.response.status).toBe(202);
    const [confirmMail] = await t.mail.waitFor((m) => m.to === email && m.subject.includes('Confirm'));
    const emailCode = /\b(\d{6})\b/.exec(confirmMail.text)![1];
    const confirmed = await api.POST('/auth/confirm', { headers: bearer(token), body: { emailCode } });
    expect(confirmed.response.status).toBe(200);
    const created = await api.POST('/me/api-keys', {
      headers: bearer(confirmed.data!.session.token),
      body: { name: 'deploys' },
    });
    expect(created.response.status).toBe(201);
  });
});
