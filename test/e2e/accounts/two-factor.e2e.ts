import { startTestApp, TestApp } from '../../support/test-app';
import { totpCode } from '../../support/totp';
import { bearer, PASSWORD, SignedUp, signUpVerified } from '../../support/users';

const MINUTE = 60_000;

describe('TOTP two-factor authentication and recovery codes', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Behind one trusted proxy, so a test can sign in from an address of its own.
    t = await startTestApp({ env: { TRUST_PROXY: '1' } });
  });
  afterAll(() => t.close());

  /** Signs up and turns 2FA on; answers the secret and the recovery codes. */
  async function enrolled(): Promise<SignedUp & { secret: string; recoveryCodes: string[] }> {
    const user = await signUpVerified(t);
    const setup = await t.http.post('/me/2fa/totp/setup').set(bearer(user.token)).expect(200);
    const enable = await t.http
      .post('/me/2fa/totp/enable')
      .set(bearer(user.token))
      .send({ code: totpCode(setup.body.secret, t.clock) })
      .expect(200);
    // Leave the enrolment code's time step, and the one after, behind.
    t.clock.advance(60_000);
    return { ...user, secret: setup.body.secret, recoveryCodes: enable.body.recoveryCodes };
  }

  const login = (email: string, totp?: string) =>
    t.http.post('/auth/login').send({ email, password: PASSWORD, ...(totp !== undefined ? { totpCode: totp } : {}) });

  it('sets up with a base32 secret and an otpauth URL naming the service', async () => {
    const user = await signUpVerified(t);
    const res = await t.http.post('/me/2fa/totp/setup').set(bearer(user.token)).expect(200);
    expect(res.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    const url = new URL(res.body.otpauthUrl);
    expect(url.protocol).toBe('otpauth:');
    expect(url.searchParams.get('secret')).toBe(res.body.secret);
    expect(url.searchParams.get('issuer')).toBe('Auth');
    expect(decodeURIComponent(url.pathname)).toContain(user.email);
    expect((await t.http.get('/me').set(bearer(user.token))).body.twoFactorEnabled).toBe(false);
  });

  it('enables with a right code only: 400 invalid_totp otherwise; 10 recovery codes; a mail', async () => {
    const user = await signUpVerified(t);
    const before = await t.http
      .post('/me/2fa/totp/enable')
      .set(bearer(user.token))
      .send({ code: '123456' })
      .expect(400);
    expect(before.body.error).toBe('totp_setup_required');
    const { body } = await t.http.post('/me/2fa/totp/setup').set(bearer(user.token)).expect(200);
    const wrong = await t.http
      .post('/me/2fa/totp/enable')
      .set(bearer(user.token))
      .send({ code: totpCode(body.secret, t.clock, 5) });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toBe('invalid_totp');
    for (const code of ['12345', ' 1234567', 'abcdef', '']) {
      const bad = await t.http.post('/me/2fa/totp/enable').set(bearer(user.token)).send({ code });
      expect({ code, status: bad.status, error: bad.body.error }).toEqual({ code, status: 400, error: 'invalid_totp' });
    }
    const ok = await t.http
      .post('/me/2fa/totp/enable')
      .set(bearer(user.token))
      .send({ code: totpCode(body.secret, t.clock) })
      .expect(200);
    expect(ok.body.recoveryCodes).toHaveLength(10);
    expect(new Set(ok.body.recoveryCodes).size).toBe(10);
    expect((await t.http.get('/me').set(bearer(user.token))).body.twoFactorEnabled).toBe(true);
    await t.mail.waitFor((m) => m.to === user.email && m.subject.includes('Two-factor authentication is on'));
    expect((await t.http.post('/me/2fa/totp/setup').set(bearer(user.token)).expect(409)).body.error).toBe(
      'totp_already_enabled',
    );
  });

  it('enables once when two enables race, and hands out one set of recovery codes', async () => {
    const user = await signUpVerified(t);
    const { body } = await t.http.post('/me/2fa/totp/setup').set(bearer(user.token)).expect(200);
    const code = totpCode(body.secret, t.clock);
    const answers = await Promise.all(
      [1, 2].map(() => t.http.post('/me/2fa/totp/enable').set(bearer(user.token)).send({ code })),
    );
    expect(answers.map((r) => r.status).sort()).toEqual([200, 409]);
    const winner = answers.find((r) => r.status === 200)!;
    const stored = await t.dataSource.query('SELECT count(*)::int AS n FROM recovery_codes WHERE user_id = $1', [
      user.id,
    ]);
    expect(stored[0].n).toBe(10);
    t.clock.advance(60_000);
    await login(user.email, winner.body.recoveryCodes[0]).expect(200);
  });

  it('keeps the secret and the codes only in sealed or hashed form', async () => {
    const user = await enrolled();
    const dump =
      JSON.stringify(await t.dataSource.query('SELECT * FROM totp_factors WHERE user_id = $1', [user.id])) +
      JSON.stringify(await t.dataSource.query('SELECT * FROM recovery_codes WHERE user_id = $1', [user.id]));
    expect(dump).not.toContain(user.secret);
    for (const code of user.recoveryCodes) {
      expect(dump).not.toContain(code);
      expect(dump).not.toContain(code.replace('-', ''));
    }
    const [factor] = await t.dataSource.query('SELECT secret FROM totp_factors WHERE user_id = $1', [user.id]);
    expect(factor.secret.toString('latin1')).not.toContain(user.secret);
  });

  it('asks for the code at login: totp_required without it, invalid_totp when wrong, a session when right', async () => {
    const user = await enrolled();
    const missing = await login(user.email).expect(401);
    expect(missing.body.error).toBe('totp_required');
    expect(missing.headers['set-cookie']).toBeUndefined();
    expect((await login(user.email, '000000').expect(401)).body.error).toBe('invalid_totp');
    const ok = await login(user.email, totpCode(user.secret, t.clock)).expect(200);
    expect(ok.body.user.twoFactorEnabled).toBe(true);
  });

  it('accepts a code from one step before or after, and never the same code twice', async () => {
    const user = await enrolled();
    await login(user.email, totpCode(user.secret, t.clock, -1)).expect(200);
    const code = totpCode(user.secret, t.clock);
    await login(user.email, code).expect(200);
    expect((await login(user.email, code).expect(401)).body.error).toBe('invalid_totp');
    // An older step than the last accepted one is refused too.
    expect((await login(user.email, totpCode(user.secret, t.clock, -1)).expect(401)).body.error).toBe('invalid_totp');
    await login(user.email, totpCode(user.secret, t.clock, 1)).expect(200);
    expect((await login(user.email, totpCode(user.secret, t.clock, 3)).expect(401)).body.error).toBe('invalid_totp');
  });

  it('answers 401, not 500, when the last used step lies ahead (a clock that moved back)', async () => {
    const user = await enrolled();
    await t.dataSource.query('UPDATE totp_factors SET last_used_step = last_used_step + 1000 WHERE user_id = $1', [
      user.id,
    ]);
    expect((await login(user.email, totpCode(user.secret, t.clock)).expect(401)).body.error).toBe('invalid_totp');
    // A recovery code still gets the user in.
    await login(user.email, user.recoveryCodes[0]).expect(200);
  });

  it('takes each recovery code once, at login and at step-up', async () => {
    const user = await enrolled();
    const [first, second] = user.recoveryCodes;
    await login(user.email, first.toLowerCase()).expect(200);
    expect((await login(user.email, first).expect(401)).body.error).toBe('invalid_totp');
    t.clock.advance(10 * MINUTE);
    const confirmed = await t.http
      .post('/auth/confirm')
      .set(bearer(user.token))
      .send({ password: PASSWORD, totpCode: second })
      .expect(200);
    const again = await t.http
      .post('/auth/confirm')
      .set(bearer(confirmed.body.session.token))
      .send({ password: PASSWORD, totpCode: second });
    expect(again.status).toBe(401);
    expect(again.body.error).toBe('invalid_totp');
  });

  it('spends no recovery code on a confirmation that loses a race for the token (409 session_rotated)', async () => {
    const user = await enrolled();
    t.clock.advance(10 * MINUTE);
    const codes = user.recoveryCodes.slice(0, 4);
    const answers = await Promise.all(
      codes.map((code) =>
        t.http.post('/auth/confirm').set(bearer(user.token)).send({ password: PASSWORD, totpCode: code }),
      ),
    );
    expect(answers.map((r) => r.status).sort()).toEqual([200, 409, 409, 409]);
    const lost = codes.filter((_, i) => answers[i].status === 409);
    for (const code of lost) await login(user.email, code).expect(200);
    const won = codes[answers.findIndex((r) => r.status === 200)];
    expect((await login(user.email, won).expect(401)).body.error).toBe('invalid_totp');
  });

  it('confirms step-up with the password and an authenticator code together, and lists both methods', async () => {
    const user = await enrolled();
    t.clock.advance(10 * MINUTE);
    const required = await t.http.post('/me/2fa/recovery-codes').set(bearer(user.token)).expect(403);
    expect(required.body.methods).toEqual(['password', 'totp']);
    expect(required.body.message).toContain('(an authenticator or recovery code, alone or with the password)');
    const res = await t.http
      .post('/auth/confirm')
      .set(bearer(user.token))
      .send({ password: PASSWORD, totpCode: totpCode(user.secret, t.clock) })
      .expect(200);
    await t.http.post('/me/2fa/recovery-codes').set(bearer(res.body.session.token)).expect(200);
  });

  it('confirms a two-factor account with its authenticator or recovery code alone', async () => {
    const user = await enrolled();
    t.clock.advance(10 * MINUTE);
    const byCode = await t.http
      .post('/auth/confirm')
      .set(bearer(user.token))
      .send({ totpCode: totpCode(user.secret, t.clock) })
      .expect(200);
    const codes = await t.http.post('/me/2fa/recovery-codes').set(bearer(byCode.body.session.token)).expect(200);
    t.clock.advance(10 * MINUTE);
    const byRecovery = await t.http
      .post('/auth/confirm')
      .set(bearer(byCode.body.session.token))
      .send({ totpCode: codes.body.recoveryCodes[0] })
      .expect(200);
    await t.http.delete('/me/2fa/totp').set(bearer(byRecovery.body.session.token)).expect(204);
    // Neither factor is still a malformed body.
    const neither = await t.http.post('/auth/confirm').set(bearer(byRecovery.body.session.token)).send({}).expect(400);
    expect(neither.body.error).toBe('validation_failed');
  });

  it('never takes the password alone as a step-up of a two-factor account, so 2FA cannot be undone with a password', async () => {
    const user = await enrolled();
    t.clock.advance(10 * MINUTE);
    const passwordOnly = await t.http
      .post('/auth/confirm')
      .set(bearer(user.token))
      .send({ password: PASSWORD })
      .expect(401);
    expect(passwordOnly.body.error).toBe('totp_required');
    // The token was not rotated and the session not re-authenticated: the sensitive routes still ask.
    for (const [method, path] of [
      ['delete', '/me/2fa/totp'],
      ['post', '/me/2fa/recovery-codes'],
    ] as const) {
      expect((await t.http[method](path).set(bearer(user.token)).expect(403)).body.error).toBe('step_up_required');
    }
    // A wrong password spends no code: the same recovery code confirms afterwards.
    const [recovery] = user.recoveryCodes;
    expect(
      (
        await t.http
          .post('/auth/confirm')
          .set(bearer(user.token))
          .send({ password: 'Wrong-password-1', totpCode: recovery })
          .expect(401)
      ).body.error,
    ).toBe('invalid_credentials');
    expect(
      (
        await t.http
          .post('/auth/confirm')
          .set(bearer(user.token))
          .send({ password: PASSWORD, totpCode: '000000' })
          .expect(401)
      ).body.error,
    ).toBe('invalid_totp');
    const confirmed = await t.http
      .post('/auth/confirm')
      .set(bearer(user.token))
      .send({ password: PASSWORD, totpCode: recovery })
      .expect(200);
    await t.http.delete('/me/2fa/totp').set(bearer(confirmed.body.session.token)).expect(204);
    const failures = await t.dataSource.query(
      `SELECT details->>'reason' AS reason FROM audit_log WHERE action = 'user.step_up_failed' AND actor_id = $1 ORDER BY id`,
      [user.id],
    );
    expect(failures.map((r: { reason: string }) => r.reason)).toEqual(['invalid_credentials', 'invalid_totp']);
  });

  it('replaces the recovery codes: the old ones die', async () => {
    const user = await enrolled();
    const res = await t.http.post('/me/2fa/recovery-codes').set(bearer(user.token)).expect(200);
    expect(res.body.recoveryCodes).toHaveLength(10);
    expect((await login(user.email, user.recoveryCodes[0]).expect(401)).body.error).toBe('invalid_totp');
    await login(user.email, res.body.recoveryCodes[0]).expect(200);
  });

  it('turns off: codes no longer asked, secrets and codes deleted, a mail', async () => {
    const user = await enrolled();
    await t.http.delete('/me/2fa/totp').set(bearer(user.token)).expect(204);
    expect((await t.http.get('/me').set(bearer(user.token))).body.twoFactorEnabled).toBe(false);
    await login(user.email).expect(200);
    expect(await t.dataSource.query('SELECT 1 FROM totp_factors WHERE user_id = $1', [user.id])).toHaveLength(0);
    expect(await t.dataSource.query('SELECT 1 FROM recovery_codes WHERE user_id = $1', [user.id])).toHaveLength(0);
    await t.mail.waitFor((m) => m.to === user.email && m.subject.includes('turned off'));
    expect((await t.http.post('/me/2fa/recovery-codes').set(bearer(user.token)).expect(409)).body.error).toBe(
      'totp_not_enabled',
    );
  });

  it('does not count the password step of a two-factor sign-in as a failure', async () => {
    const user = await enrolled();
    for (let i = 0; i < 12; i++) {
      await login(user.email).expect(401);
      await login(user.email, totpCode(user.secret, t.clock)).expect(200);
      t.clock.advance(30_000);
    }
  });

  it('counts wrong codes against the login limit', async () => {
    const user = await enrolled();
    // From an address the account never signed in from (a known one has a limit of its own).
    const elsewhere = { 'X-Forwarded-For': '203.0.113.9' };
    for (let i = 0; i < 10; i++) await login(user.email, '000000').set(elsewhere).expect(401);
    expect((await login(user.email, totpCode(user.secret, t.clock)).set(elsewhere).expect(429)).body.error).toBe(
      'too_many_requests',
    );
  });

  it('audits enabling and disabling', async () => {
    const user = await enrolled();
    await t.http.delete('/me/2fa/totp').set(bearer(user.token)).expect(204);
    const rows = await t.dataSource.query(
      `SELECT action FROM audit_log WHERE actor_id = $1 AND action LIKE 'user.two_factor%' ORDER BY id`,
      [user.id],
    );
    expect(rows.map((r: { action: string }) => r.action)).toEqual([
      'user.two_factor_enabled',
      'user.two_factor_disabled',
    ]);
  });
});
