import { createHash, randomUUID } from 'node:crypto';
import { RateLimiter } from '../../../src/rate-limit/rate-limiter.service';
import { startTestApp, TestApp } from '../../support/test-app';
import { bearer, PASSWORD, signUpVerified, expectReplacedToken } from '../../support/users';

const MINUTE = 60_000;

describe('step-up: POST /auth/confirm and @RequireStepUp()', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  /** Every route docs/api.md marks "step-up" that exists so far, with a body that would pass validation. */
  const SENSITIVE: Array<[method: 'post' | 'patch' | 'delete', path: string, body?: object]> = [
    ['post', '/me/2fa/totp/setup'],
    ['post', '/me/2fa/totp/enable', { code: '123456' }],
    ['post', '/me/2fa/recovery-codes'],
    ['delete', '/me/2fa/totp'],
    ['post', '/me/api-keys', { name: 'ci' }],
    ['post', '/me/passkeys/options'],
    ['delete', '/me/password'],
    // An organization's route asks for the step-up before it looks the organization up.
    ['patch', `/orgs/${randomUUID()}/policy`, { requireMfa: true }],
    // An organization's routes answer the step-up before they look the organization up.
    ['post', '/orgs/5a1d6e0c-3f7b-4f0e-9d43-0c2b8e7f1a21/scim/tokens', { name: 'Okta' }],
    ['delete', '/orgs/5a1d6e0c-3f7b-4f0e-9d43-0c2b8e7f1a21/scim/tokens/0b9e2f4d-7c1a-4e3b-8f6d-2a5c9e1b7d30'],
  ];

  it('lets a fresh login through, and asks again once STEP_UP_WINDOW has passed', async () => {
    const user = await signUpVerified(t);
    await t.http.post('/me/2fa/totp/setup').set(bearer(user.token)).expect(200);
    t.clock.advance(5 * MINUTE + 1000);
    for (const [method, path, body] of SENSITIVE) {
      const res = await t.http[method](path)
        .set(bearer(user.token))
        .send(body ?? {});
      expect({ path, status: res.status }).toEqual({ path, status: 403 });
      expect(res.body).toEqual({
        statusCode: 403,
        error: 'step_up_required',
        confirmUrl: '/auth/confirm',
        methods: ['password'],
        maxAgeSeconds: 300,
        message: 'Confirm your identity with POST /auth/confirm (password); the confirmation is valid for 5 minutes.',
      });
    }
  });

  it('confirms with the password: a new token everywhere, the old one ending after its grace', async () => {
    const user = await signUpVerified(t);
    t.clock.advance(10 * MINUTE);
    const res = await t.http.post('/auth/confirm').set(bearer(user.token)).send({ password: PASSWORD }).expect(200);
    const { session } = res.body;
    expect(res.body.reauthenticatedAt).toBe(t.clock.now().toISOString());
    expect(res.body.stepUpExpiresAt).toBe(new Date(t.clock.now().getTime() + 5 * MINUTE).toISOString());
    expect(session.id).toBe(user.sessionId);
    expect(session.token).not.toBe(user.token);
    expect(res.headers['x-session-token']).toBe(session.token);
    expect(([] as string[]).concat(res.headers['set-cookie'])[0]).toMatch(new RegExp(`^sid=${session.token};`));

    // In its grace the old token still reads, but it is not confirmed: no step-up route takes it.
    expect((await t.http.get('/me/export').set(bearer(user.token)).expect(403)).body.error).toBe('step_up_required');
    await expectReplacedToken(t, user.token);
    await t.http.post('/me/api-keys').set(bearer(session.token)).send({ name: 'ci' }).expect(201);
    t.clock.advance(5 * MINUTE + 1);
    await t.http.post('/me/api-keys').set(bearer(session.token)).send({ name: 'ci' }).expect(403);
  });

  it('re-authenticates only the session that confirmed', async () => {
    const user = await signUpVerified(t);
    const other = await t.http.post('/auth/login').send({ email: user.email, password: PASSWORD }).expect(200);
    t.clock.advance(6 * MINUTE);
    const fresh = await t.http.post('/auth/confirm').set(bearer(user.token)).send({ password: PASSWORD }).expect(200);
    await t.http.post('/me/api-keys').set(bearer(fresh.body.session.token)).send({ name: 'a' }).expect(201);
    await t.http.post('/me/api-keys').set(bearer(other.body.session.token)).send({ name: 'b' }).expect(403);
  });

  it('refuses a wrong password, and a body with both or neither method', async () => {
    const user = await signUpVerified(t);
    const wrong = await t.http
      .post('/auth/confirm')
      .set(bearer(user.token))
      .send({ password: 'Wrong-password-1' })
      .expect(401);
    expect(wrong.body.error).toBe('invalid_credentials');
    await t.http.get('/me').set(bearer(user.token)).expect(200);
    for (const body of [{}, { password: PASSWORD, totpCode: '123456' }]) {
      expect((await t.http.post('/auth/confirm').set(bearer(user.token)).send(body).expect(400)).body.error).toBe(
        'validation_failed',
      );
    }
    const totp = await t.http.post('/auth/confirm').set(bearer(user.token)).send({ totpCode: '123456' }).expect(401);
    expect(totp.body.error).toBe('invalid_totp');
  });

  it('takes null as a wrong type, not as an absent factor', async () => {
    const user = await signUpVerified(t);
    for (const body of [
      { password: null },
      { password: null, totpCode: '123456' },
      { password: PASSWORD, totpCode: null },
    ]) {
      const res = await t.http.post('/auth/confirm').set(bearer(user.token)).send(body);
      expect({ body, status: res.status, error: res.body.error }).toEqual({
        body,
        status: 400,
        error: 'validation_failed',
      });
    }
  });

  it('limits failed confirmations to 10 per user per 15 minutes', async () => {
    const user = await signUpVerified(t);
    for (let i = 0; i < 10; i++) {
      await t.http
        .post('/auth/confirm')
        .set(bearer(user.token))
        .send({ password: `Wrong-${i}-pw` })
        .expect(401);
    }
    const limited = await t.http.post('/auth/confirm').set(bearer(user.token)).send({ password: PASSWORD }).expect(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    t.clock.advance(15 * MINUTE);
    await t.http.post('/auth/confirm').set(bearer(user.token)).send({ password: PASSWORD }).expect(200);
  });

  it('counts parallel guesses before checking them', async () => {
    const user = await signUpVerified(t);
    const answers = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        t.http
          .post('/auth/confirm')
          .set(bearer(user.token))
          .send({ password: `Guess-${i}-pw` }),
      ),
    );
    expect(answers.filter((r) => r.status === 401)).toHaveLength(10);
    expect(answers.filter((r) => r.status === 429)).toHaveLength(15);
  });

  it('rotates once for concurrent confirmations with one token: one new token, the others told to retry', async () => {
    const user = await signUpVerified(t);
    t.clock.advance(10 * MINUTE);
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        t.http.post('/auth/confirm').set(bearer(user.token)).send({ password: PASSWORD }),
      ),
    );
    const winners = answers.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    for (const res of answers.filter((r) => r.status !== 200)) {
      // Answered with the contract's body, and no Set-Cookie that would replace the working token.
      expect(res.status).toBe(409);
      expect(res.body).toEqual({
        statusCode: 409,
        error: 'session_rotated',
        message: expect.stringContaining('retry with the current token'),
      });
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(res.headers['x-session-token']).toBeUndefined();
    }
    const { token } = winners[0].body.session;
    await t.http.post('/me/api-keys').set(bearer(token)).send({ name: 'after the race' }).expect(201);
    await expectReplacedToken(t, user.token);
    // A right password is never a failure, whichever request won.
    const key = `confirm-failures-user:${createHash('sha256').update(user.id).digest('base64url').slice(0, 22)}`;
    expect(await t.dataSource.query('SELECT count FROM rate_limits WHERE key = $1', [key])).toEqual([{ count: 0 }]);
    const audited = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM audit_log WHERE action = 'user.step_up' AND actor_id = $1`,
      [user.id],
    );
    expect(audited[0].n).toBe(1);
  });

  it('answers with the new token even when the rate-limit store cannot take the attempt back', async () => {
    const user = await signUpVerified(t);
    const refund = jest
      .spyOn(t.app.get(RateLimiter), 'refund')
      .mockRejectedValueOnce(new Error('rate-limit store unavailable'));
    try {
      const res = await t.http.post('/auth/confirm').set(bearer(user.token)).send({ password: PASSWORD }).expect(200);
      expect(refund).toHaveBeenCalledTimes(1);
      await t.http.post('/me/api-keys').set(bearer(res.body.session.token)).send({ name: 'after' }).expect(201);
    } finally {
      refund.mockRestore();
    }
  });

  it('ends the session when it is signed out with the token a rotation replaced, even past the grace', async () => {
    const user = await signUpVerified(t);
    const confirmed = await t.http
      .post('/auth/confirm')
      .set(bearer(user.token))
      .send({ password: PASSWORD })
      .expect(200);
    await expectReplacedToken(t, user.token);
    // Whoever holds the newer token (another copy of the client, or someone who took the old one
    // and rotated it) is signed out with the holder of the old one.
    const res = await t.http.post('/auth/logout').set(bearer(user.token)).expect(204);
    expect(res.headers['clear-site-data']).toBe('"cookies"');
    const after = await t.http.get('/me').set(bearer(confirmed.body.session.token)).expect(401);
    expect(after.body).toMatchObject({ error: 'session_expired', reason: 'revoked' });
  });

  it('audits confirmations and their failures', async () => {
    const user = await signUpVerified(t);
    await t.http.post('/auth/confirm').set(bearer(user.token)).send({ password: 'Wrong-pw-1' }).expect(401);
    await t.http.post('/auth/confirm').set(bearer(user.token)).send({ password: PASSWORD }).expect(200);
    const rows = await t.dataSource.query(
      `SELECT action FROM audit_log WHERE actor_id = $1 AND action LIKE 'user.step_up%' ORDER BY id`,
      [user.id],
    );
    expect(rows.map((r: { action: string }) => r.action)).toEqual(['user.step_up_failed', 'user.step_up']);
  });
});
