import { hashToken } from '../../../src/common/crypto';
import { startTestApp, TestApp } from '../../support/test-app';
import { bearer, PASSWORD, signUp, signUpVerified, uniqueEmail } from '../../support/users';

describe('signup, login, logout, password reset, /me', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  describe('POST /auth/signup', () => {
    it('creates the account and its first session, cookie included', async () => {
      const email = uniqueEmail('Signup');
      const res = await t.http
        .post('/auth/signup')
        .set('User-Agent', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0')
        .send({ email, password: PASSWORD, name: 'Ada' })
        .expect(201);
      expect(res.body.user).toEqual({
        id: expect.any(String),
        email: email.toLowerCase(),
        name: 'Ada',
        emailVerified: false,
        twoFactorEnabled: false,
        hasPassword: true,
        hasPasskey: false,
        ssoProviderId: null,
        createdAt: expect.any(String),
        deletionScheduledFor: null,
      });
      expect(res.body.session).toEqual({
        id: expect.any(String),
        token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        expiresAt: expect.any(String),
        idleExpiresAt: expect.any(String),
      });
      const cookie = ([] as string[]).concat(res.headers['set-cookie'])[0];
      expect(cookie).toMatch(new RegExp(`^sid=${res.body.session.token};`));
      expect(cookie).toContain('HttpOnly');
      expect(cookie).toContain('SameSite=Lax');
      expect(cookie).toContain('Path=/');
      expect(cookie).not.toContain('Secure');

      const [session] = await t.dataSource.query('SELECT * FROM sessions WHERE id = $1', [res.body.session.id]);
      expect(session.auth_method).toBe('password');
      expect(session.device_name).toBe('Firefox on Windows');
      expect(session.reauthenticated_at).toEqual(session.created_at);
    });

    it('refuses an address that exists, whatever its case', async () => {
      const { email } = await signUp(t);
      const res = await t.http
        .post('/auth/signup')
        .send({ email: `  ${email.toUpperCase()} `.trim(), password: PASSWORD })
        .expect(409);
      expect(res.body.error).toBe('email_taken');
    });

    it('lets one of two simultaneous signups of an address through, and answers the other 409', async () => {
      const email = uniqueEmail('race');
      const answers = await Promise.all(
        [1, 2].map(() => t.http.post('/auth/signup').send({ email, password: PASSWORD })),
      );
      expect(answers.map((r) => r.status).sort()).toEqual([201, 409]);
      expect(await t.dataSource.query('SELECT 1 FROM users WHERE email = $1', [email])).toHaveLength(1);
    });

    it.each([
      ['too short', 'Ab1!xyz'],
      ['too long', 'Aa1!'.repeat(33)],
      ['common', 'password123'],
      ['easily guessed', 'qwertyuiop'],
    ])('refuses a %s password with 400 weak_password and creates nothing', async (_, password) => {
      const email = uniqueEmail();
      const res = await t.http.post('/auth/signup').send({ email, password }).expect(400);
      expect(res.body.error).toBe('weak_password');
      expect(await t.dataSource.query('SELECT 1 FROM users WHERE email = $1', [email])).toHaveLength(0);
    });

    it('reports every failing field at once, the password length among them', async () => {
      const res = await t.http.post('/auth/signup').send({ email: 'nope', password: 'short', name: 7 }).expect(400);
      expect(res.body.error).toBe('validation_failed');
      expect(res.body.details.map((detail: { field: string }) => detail.field).sort()).toEqual([
        'email',
        'name',
        'password',
      ]);
      expect(res.body.details).toContainEqual({
        field: 'password',
        problems: ['password must be 8 to 128 characters'],
      });
    });

    it('validates the body', async () => {
      expect(
        (await t.http.post('/auth/signup').send({ email: 'nope', password: PASSWORD }).expect(400)).body.error,
      ).toBe('validation_failed');
      const extra = await t.http
        .post('/auth/signup')
        .send({ email: uniqueEmail(), password: PASSWORD, admin: true })
        .expect(400);
      expect(extra.body.details[0].field).toBe('admin');
    });
  });

  describe('POST /auth/login', () => {
    it('opens a session for the right password, the email in any case', async () => {
      const { email } = await signUp(t);
      t.clock.advance(60_000);
      const res = await t.http.post('/auth/login').send({ email: email.toUpperCase(), password: PASSWORD }).expect(200);
      expect(res.body.user.email).toBe(email);
      const [session] = await t.dataSource.query('SELECT created_at, reauthenticated_at FROM sessions WHERE id = $1', [
        res.body.session.id,
      ]);
      expect(session.reauthenticated_at).toEqual(t.clock.now());
      await t.http.get('/me').set(bearer(res.body.session.token)).expect(200);
    });

    // That both take about the same time is measured by `npm run bench`, where a loaded machine
    // cannot make a test flake.
    it('answers an unknown email exactly as a wrong password', async () => {
      const { email } = await signUp(t);
      const wrong = await t.http.post('/auth/login').send({ email, password: 'Not-The-Password-1' }).expect(401);
      const unknown = await t.http
        .post('/auth/login')
        .send({ email: uniqueEmail('ghost'), password: 'Not-The-Password-1' })
        .expect(401);
      expect(unknown.body).toEqual(wrong.body);
      expect(wrong.body).toEqual({ statusCode: 401, error: 'invalid_credentials', message: expect.any(String) });
    });

    it('cannot be driven by a cross-site form (login CSRF): only JSON bodies are read', async () => {
      const { email } = await signUp(t);
      const res = await t.http
        .post('/auth/login')
        .set('Origin', 'https://evil.example')
        .type('form')
        .send({ email, password: PASSWORD })
        .expect(415);
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it('answers odd input with 4xx, never 500', async () => {
      const nul = await t.http.post('/auth/login').send({ email: 'a\u0000b@example.com', password: 'x' }).expect(400);
      expect(nul.body.error).toBe('validation_failed');
      // 320 characters that lower-case to 640.
      const long = await t.http
        .post('/auth/login')
        .send({ email: 'İ'.repeat(320), password: 'x' })
        .expect(401);
      expect(long.body.error).toBe('invalid_credentials');
    });

    it('records success and failure in the audit log with ip and user agent', async () => {
      const { id, email } = await signUp(t);
      await t.http.post('/auth/login').set('User-Agent', 'audit-test/1').send({ email, password: 'Wrong-password-1' });
      await t.http
        .post('/auth/login')
        .set('User-Agent', 'audit-test/1')
        .send({ email, password: PASSWORD })
        .expect(200);
      const rows = await t.dataSource.query(
        `SELECT action, actor_id, actor_email, ip, user_agent FROM audit_log WHERE actor_email = $1 ORDER BY id`,
        [email],
      );
      expect(rows.map((r: { action: string }) => r.action)).toEqual(['user.signup', 'user.login_failed', 'user.login']);
      expect(rows[1]).toMatchObject({ actor_id: id, ip: '127.0.0.1', user_agent: 'audit-test/1' });
    });
  });

  describe('sessions as credentials', () => {
    it('accepts the cookie or the bearer token; refuses none or an unknown one', async () => {
      const user = await signUp(t);
      await t.http.get('/me').set('Cookie', user.cookie.split(';')[0]).expect(200);
      const me = await t.http.get('/me').set(bearer(user.token)).expect(200);
      expect(me.body.id).toBe(user.id);
      expect((await t.http.get('/me').expect(401)).body.error).toBe('unauthenticated');
      expect(
        (
          await t.http
            .get('/me')
            .set(bearer('x'.repeat(43)))
            .expect(401)
        ).body.error,
      ).toBe('unauthenticated');
    });

    it('logs out: 204, the cookie cleared, the token dead with reason revoked', async () => {
      const user = await signUp(t);
      // A route without a body refuses fields like any other, and does nothing.
      const extra = await t.http.post('/auth/logout').set(bearer(user.token)).send({ evil: 1 }).expect(400);
      expect(extra.body).toMatchObject({ error: 'validation_failed', details: [{ field: 'evil' }] });
      await t.http.get('/me').set(bearer(user.token)).expect(200);
      const res = await t.http.post('/auth/logout').set(bearer(user.token)).expect(204);
      expect(([] as string[]).concat(res.headers['set-cookie'])[0]).toMatch(/^sid=;.*Expires=Thu, 01 Jan 1970/);
      const after = await t.http.get('/me').set(bearer(user.token)).expect(401);
      expect(after.body).toMatchObject({ error: 'session_expired', reason: 'revoked' });
      const [audit] = await t.dataSource.query(
        `SELECT target FROM audit_log WHERE action = 'user.logout' AND actor_id = $1`,
        [user.id],
      );
      expect(audit.target).toBe(`session:${user.sessionId}`);
    });
    it('logs out idempotently: a dead, unknown or missing session still answers 204 and clears the cookie', async () => {
      const user = await signUp(t);
      await t.http.post('/auth/logout').set(bearer(user.token)).expect(204);
      const cleared = /^sid=;.*Expires=Thu, 01 Jan 1970/;
      const origin = { Origin: t.config.appUrl };
      for (const request of [
        t.http.post('/auth/logout').set(bearer(user.token)),
        t.http.post('/auth/logout').set(bearer('not-a-session-token')),
        t.http.post('/auth/logout').set({ ...origin, Cookie: `sid=${user.token}` }),
        t.http.post('/auth/logout').set(origin),
      ]) {
        const res = await request;
        expect(res.status).toBe(204);
        expect(([] as string[]).concat(res.headers['set-cookie'])[0]).toMatch(cleared);
        // No live session ended: nothing tells the browser to drop the site's other cookies.
        expect(res.headers['clear-site-data']).toBeUndefined();
      }
      // Still: a cookie from another origin is refused, and an API key never signs out.
      const foreign = await t.http.post('/auth/logout').set({ Origin: 'https://evil.example', Cookie: 'sid=x' });
      expect(foreign.body.error).toBe('csrf_rejected');
      const key = await t.http.post('/auth/logout').set(bearer('ak_whatever'));
      expect(key.body.error).toBe('api_key_not_allowed');
      const audited = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM audit_log WHERE action = 'user.logout' AND actor_id = $1`,
        [user.id],
      );
      expect(audited).toEqual([{ n: 1 }]);
    });
  });

  describe('/me', () => {
    it('answers the user and updates the name', async () => {
      const user = await signUp(t, uniqueEmail(), PASSWORD, 'Grace');
      expect((await t.http.get('/me').set(bearer(user.token)).expect(200)).body.name).toBe('Grace');
      const res = await t.http.patch('/me').set(bearer(user.token)).send({ name: 'Grace Hopper' }).expect(200);
      expect(res.body).toMatchObject({ id: user.id, name: 'Grace Hopper', hasPassword: true });
      expect((await t.http.get('/me').set(bearer(user.token))).body.name).toBe('Grace Hopper');
      expect(
        (await t.http.patch('/me').set(bearer(user.token)).send({ email: 'x@example.com' }).expect(400)).body.error,
      ).toBe('validation_failed');
      expect((await t.http.patch('/me').set(bearer(user.token)).send({ name: '' }).expect(400)).body.error).toBe(
        'validation_failed',
      );
    });

    it('refuses names that would put a link or a line of their own into mails, at signup and in PATCH /me', async () => {
      const refusal = (res: { body: { error: string; details: Array<{ field: string }> } }) => [
        res.body.error,
        res.body.details?.map((detail) => detail.field),
      ];
      // A fresh hour: the signups above used up most of this address's signup limit.
      t.clock.advance(61 * 60_000);
      for (const name of ['Ada\nYour account is locked', 'www.evil.example', 'Visit evil.com', 'x'.repeat(101)]) {
        const signup = await t.http.post('/auth/signup').send({ email: uniqueEmail(), password: PASSWORD, name });
        expect([name, signup.status, ...refusal(signup)]).toEqual([name, 400, 'validation_failed', ['name']]);
      }
      const user = await signUp(t, uniqueEmail(), PASSWORD, 'Grace');
      for (const name of ['https://evil.example/reset', 'Grace\r\nBcc: someone', 'Grace\u202Egnp.exe']) {
        const res = await t.http.patch('/me').set(bearer(user.token)).send({ name });
        expect([name, res.status, ...refusal(res)]).toEqual([name, 400, 'validation_failed', ['name']]);
      }
      expect((await t.http.get('/me').set(bearer(user.token))).body.name).toBe('Grace');
    });
  });

  describe('password reset', () => {
    // A fresh hour: the signups above used up most of this address's signup limit.
    beforeAll(() => t.clock.advance(61 * 60_000));

    const resetToken = async (email: string) => {
      const [mail] = await t.mail.waitFor((m) => m.to === email && m.subject.includes('Reset'));
      t.mail.messages.splice(t.mail.messages.indexOf(mail), 1);
      const link = /http:\/\/localhost:3000\/reset-password\?token=([A-Za-z0-9_-]+)/.exec(mail.text);
      expect(link).not.toBeNull();
      return link![1];
    };

    it('answers 202 whether or not the account exists, and mails only an existing one', async () => {
      const ghost = uniqueEmail('ghost');
      await t.http.post('/auth/password/forgot').send({ email: ghost }).expect(202);
      const { email } = await signUp(t);
      await t.http.post('/auth/password/forgot').send({ email }).expect(202);
      await resetToken(email);
      expect(t.mail.messages.some((m) => m.to === ghost)).toBe(false);
    });

    it('resets with the mailed token once, revokes every session, and mails a notice', async () => {
      const user = await signUp(t);
      const other = await t.http.post('/auth/login').send({ email: user.email, password: PASSWORD }).expect(200);
      await t.http.post('/auth/password/forgot').send({ email: user.email }).expect(202);
      const token = await resetToken(user.email);
      const [stored] = await t.dataSource.query('SELECT token_hash FROM password_reset_tokens WHERE user_id = $1', [
        user.id,
      ]);
      expect(stored.token_hash.equals(hashToken(token))).toBe(true);

      const weak = await t.http.post('/auth/password/reset').send({ token, newPassword: 'password' }).expect(400);
      expect(weak.body.error).toBe('weak_password');

      const newPassword = 'A-brand-new-Passphrase-7';
      await t.http.post('/auth/password/reset').send({ token, newPassword }).expect(200);
      for (const session of [user.token, other.body.session.token]) {
        expect((await t.http.get('/me').set(bearer(session)).expect(401)).body.reason).toBe('revoked');
      }
      await t.mail.waitFor((m) => m.to === user.email && m.subject.includes('password was changed'));
      await t.http.post('/auth/login').send({ email: user.email, password: PASSWORD }).expect(401);
      await t.http.post('/auth/login').send({ email: user.email, password: newPassword }).expect(200);

      const again = await t.http
        .post('/auth/password/reset')
        .send({ token, newPassword: 'Yet-another-Passphrase-8' })
        .expect(400);
      expect(again.body.error).toBe('invalid_token');
    });

    it('revokes the account’s API keys with its sessions', async () => {
      const user = await signUpVerified(t);
      const key = await t.http.post('/me/api-keys').set(bearer(user.token)).send({ name: 'k' }).expect(201);
      await t.http.post('/auth/password/forgot').send({ email: user.email }).expect(202);
      const token = await resetToken(user.email);
      await t.http.post('/auth/password/reset').send({ token, newPassword: 'A-brand-new-Passphrase-7' }).expect(200);
      expect((await t.http.get('/me').set(bearer(key.body.key)).expect(401)).body.error).toBe('unauthenticated');
      const rows = await t.dataSource.query(
        `SELECT actor_id, target, details FROM audit_log WHERE action = 'api_key.revoked_all' AND actor_id = $1`,
        [user.id],
      );
      expect(rows).toEqual([
        { actor_id: user.id, target: `user:${user.id}`, details: { revoked: 1, reason: 'password_reset' } },
      ]);
    });

    it('kills a reset link once the account’s email address changes', async () => {
      const user = await signUp(t);
      await t.http.post('/auth/password/forgot').send({ email: user.email }).expect(202);
      const token = await resetToken(user.email);
      await t.http
        .post('/me/email')
        .set(bearer(user.token))
        .send({ email: uniqueEmail('moved') })
        .expect(200);
      const res = await t.http
        .post('/auth/password/reset')
        .send({ token, newPassword: 'A-brand-new-Passphrase-7' })
        .expect(400);
      expect(res.body.error).toBe('invalid_token');
    });

    it('answers for an unknown address in about the time it takes for a real one', async () => {
      const { email } = await signUp(t);
      const time = async (address: string) => {
        const started = performance.now();
        await t.http.post('/auth/password/forgot').send({ email: address }).expect(202);
        return performance.now() - started;
      };
      const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 5; i++) {
        known.push(await time(email));
        unknown.push(await time(uniqueEmail('ghost')));
      }
      // Both answers are a lookup and a counter: well under the cost of making and queueing a link.
      expect(median(known) / median(unknown)).toBeLessThan(2);
      await t.mail.waitFor((m) => m.to === email && m.subject.includes('Reset'), 5);
    });

    it('refuses an expired token, an unknown one, and one replaced by a newer request', async () => {
      const user = await signUp(t);
      await t.http.post('/auth/password/forgot').send({ email: user.email }).expect(202);
      const first = await resetToken(user.email);
      await t.http.post('/auth/password/forgot').send({ email: user.email }).expect(202);
      const second = await resetToken(user.email);
      const body = (token: string) => ({ token, newPassword: 'A-brand-new-Passphrase-7' });
      expect((await t.http.post('/auth/password/reset').send(body(first)).expect(400)).body.error).toBe(
        'invalid_token',
      );
      expect((await t.http.post('/auth/password/reset').send(body('made-up')).expect(400)).body.error).toBe(
        'invalid_token',
      );
      t.clock.advance(60 * 60_000 + 1);
      expect((await t.http.post('/auth/password/reset').send(body(second)).expect(400)).body.error).toBe(
        'invalid_token',
      );
    });
  });
});

/** The one spec that hashes at the production cost; every other app hashes cheaply (test-app.ts). */
describe('stored credentials at the production cost', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ productionPasswordHashing: true });
  });
  afterAll(() => t.close());

  it('stores an argon2id hash at the OWASP baseline and only the hash of the session token', async () => {
    const user = await signUp(t);
    const [row] = await t.dataSource.query('SELECT password_hash FROM users WHERE id = $1', [user.id]);
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    const sessions = await t.dataSource.query('SELECT * FROM sessions WHERE user_id = $1', [user.id]);
    expect(sessions).toHaveLength(1);
    expect(sessions[0].token_hash.equals(hashToken(user.token))).toBe(true);
    const dump =
      JSON.stringify(await t.dataSource.query('SELECT * FROM sessions')) +
      JSON.stringify(await t.dataSource.query('SELECT * FROM users'));
    expect(dump).not.toContain(user.token);
    expect(dump).not.toContain(PASSWORD);
  });
});
