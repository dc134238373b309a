import { EmailConfirmationService } from '../../../src/email-sign-in/email-confirmation.service';
import { TaskRunner } from '../../../src/tasks';
import { startTestApp, TestApp } from '../../support/test-app';
import { totpCode } from '../../support/totp';
import {
  bearer,
  confirmPassword,
  createApiKey,
  enableTotp,
  logIn,
  PASSWORD,
  signUp,
  signUpVerified,
  uniqueEmail,
} from '../../support/users';
import { selfSigned } from '../../support/x509';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let ipCounter = 0;
/** A client address of its own, so that each request meets the per-IP limits afresh. */
function freshIp(): Record<string, string> {
  ipCounter += 1;
  return { 'X-Forwarded-For': `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}` };
}

interface SignInMail {
  token: string;
  code: string;
  text: string;
}

describe('email sign-in', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { TRUST_PROXY: 'true' } });
  });
  afterAll(() => t.close());

  const start = (email: string, body: Record<string, unknown> = {}, ip = freshIp()) =>
    t.http
      .post('/auth/email/start')
      .set(ip)
      .send({ email, ...body });
  const verify = (body: Record<string, unknown>, ip = freshIp()) =>
    t.http.post('/auth/email/verify').set(ip).send(body);

  /** The link's token and the code of the newest sign-in mail to `email` (and forgets that mail). */
  async function signInMail(email: string): Promise<SignInMail> {
    const mails = await t.mail.waitFor((m) => m.to === email && m.subject.includes('Sign in'));
    const mail = mails[mails.length - 1];
    t.mail.messages.splice(t.mail.messages.indexOf(mail), 1);
    const link = /http:\/\/localhost:3000\/sign-in\/email\?token=([A-Za-z0-9_-]+)/.exec(mail.text);
    const code = /\b(\d{6})\b/.exec(mail.text);
    if (!link || !code) throw new Error(`no link or code in: ${mail.text}`);
    expect(mail.html).toContain(code[1]);
    return { token: link[1], code: code[1], text: mail.text };
  }

  async function requested(email: string, body: Record<string, unknown> = {}): Promise<SignInMail> {
    await start(email, body).expect(202);
    return signInMail(email);
  }

  /** A 6-digit code other than `code`. */
  const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

  describe('POST /auth/email/start', () => {
    it('answers 202 alike for a known and an unknown address; each gets a row and a mail', async () => {
      const known = await signUpVerified(t);
      const unknown = uniqueEmail('nobody');
      const a = await start(known.email).expect(202);
      const b = await start(unknown).expect(202);
      expect(a.body).toEqual(b.body);
      expect(a.headers['content-length']).toBe(b.headers['content-length']);
      const knownMail = await signInMail(known.email);
      const unknownMail = await signInMail(unknown);
      expect(knownMail.text).toContain('sign in to your account');
      expect(unknownMail.text).toContain('no account for it yet');
      const rows = await t.dataSource.query(
        `SELECT email, user_id, purpose, token_hash IS NOT NULL AS has_token, length(code_hash) AS code_bytes,
                extract(epoch FROM expires_at - created_at)::int AS ttl
           FROM email_sign_in_codes WHERE email = ANY($1) ORDER BY user_id NULLS LAST`,
        [[known.email, unknown]],
      );
      expect(rows).toEqual([
        { email: known.email, user_id: known.id, purpose: 'sign-in', has_token: true, code_bytes: 32, ttl: 900 },
        { email: unknown, user_id: null, purpose: 'sign-in', has_token: true, code_bytes: 32, ttl: 900 },
      ]);
      // Neither the code nor the token is kept in clear.
      const [stored] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM email_sign_in_codes
          WHERE position(convert_to($1, 'UTF8') in code_hash) > 0 OR position(convert_to($2, 'UTF8') in token_hash) > 0`,
        [knownMail.code, knownMail.token],
      );
      expect(stored.n).toBe(0);
    });

    it('refuses a returnTo that is not a path on this origin', async () => {
      for (const returnTo of ['https://evil.example/', '//evil.example', '/\\evil.example', 'settings', '/a b']) {
        const res = await start(uniqueEmail(), { returnTo }).expect(400);
        expect(res.body).toMatchObject({ error: 'validation_failed' });
      }
    });

    it('limits each address to 5 per hour and each IP to 20 per hour (429 with Retry-After)', async () => {
      const email = uniqueEmail('limited');
      for (let i = 0; i < 5; i++) await start(email.toUpperCase()).expect(202);
      const refused = await start(email).expect(429);
      expect(refused.body.error).toBe('too_many_requests');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      await start(uniqueEmail()).expect(202);

      const ip = freshIp();
      for (let i = 0; i < 20; i++) await start(uniqueEmail('ip'), {}, ip).expect(202);
      expect((await start(uniqueEmail('ip'), {}, ip).expect(429)).body.error).toBe('too_many_requests');
      t.clock.advance(HOUR + 1);
      await start(email).expect(202);
      await start(uniqueEmail('ip'), {}, ip).expect(202);
    });
  });

  describe('POST /auth/email/verify', () => {
    it('signs a verified account in with the link: cookie, authMethod email, audit row, new-IP mail', async () => {
      const user = await signUpVerified(t);
      const mail = await requested(user.email);
      const res = await verify({ token: mail.token }).expect(200);
      expect(res.body).toMatchObject({
        user: { id: user.id, email: user.email, emailVerified: true, hasPassword: true },
        session: { id: expect.any(String), token: expect.any(String) },
        created: false,
      });
      expect(res.headers['set-cookie'][0]).toMatch(/^sid=[^;]+; Path=\/; Expires=.*; HttpOnly; SameSite=Lax$/);
      expect(res.headers['cache-control']).toContain('no-store');
      const sessions = await t.http.get('/me/sessions').set(bearer(res.body.session.token)).expect(200);
      expect(sessions.body.find((s: { current: boolean }) => s.current).authMethod).toBe('email');
      const audit = await t.dataSource.query(
        `SELECT action, target FROM audit_log WHERE actor_id = $1 AND action LIKE 'user.email_sign_in%' ORDER BY id`,
        [user.id],
      );
      expect(audit).toEqual([
        { action: 'user.email_sign_in_requested', target: null },
        { action: 'user.email_sign_in', target: `session:${res.body.session.id}` },
      ]);
      await t.mail.waitFor((m) => m.to === user.email && m.subject.includes('New sign-in'));
      // Single use.
      expect((await verify({ token: mail.token }).expect(401)).body.error).toBe('invalid_token');
    });

    it('signs in with the address and the code, once; the link of that mail dies with it', async () => {
      const user = await signUpVerified(t);
      const mail = await requested(user.email);
      const res = await verify({ email: user.email.toUpperCase(), code: mail.code }).expect(200);
      expect(res.body.user.id).toBe(user.id);
      expect((await verify({ email: user.email, code: mail.code }).expect(401)).body.error).toBe('invalid_token');
      expect((await verify({ token: mail.token }).expect(401)).body.error).toBe('invalid_token');
    });

    it('answers 401 invalid_token for an unknown token, a replaced link or code, and one past 15 minutes', async () => {
      expect((await verify({ token: 'no-such-token' }).expect(401)).body).toMatchObject({
        statusCode: 401,
        error: 'invalid_token',
      });
      expect((await verify({ email: uniqueEmail(), code: '123456' }).expect(401)).body.error).toBe('invalid_token');
      const user = await signUpVerified(t);
      const first = await requested(user.email);
      const second = await requested(user.email);
      expect((await verify({ token: first.token }).expect(401)).body.error).toBe('invalid_token');
      if (first.code !== second.code) {
        expect((await verify({ email: user.email, code: first.code }).expect(401)).body.error).toBe('invalid_token');
      }
      t.clock.advance(15 * MINUTE + 1);
      expect((await verify({ token: second.token }).expect(401)).body.error).toBe('invalid_token');
      expect((await verify({ email: user.email, code: second.code }).expect(401)).body.error).toBe('invalid_token');
    });

    it('ends the code after 5 wrong ones: the right code and the link no longer work', async () => {
      const user = await signUpVerified(t);
      const mail = await requested(user.email);
      for (let i = 0; i < 4; i++) {
        expect((await verify({ email: user.email, code: wrong(mail.code) }).expect(401)).body.error).toBe(
          'invalid_token',
        );
      }
      // Four wrong ones leave it working; wrong codes are counted even when sent at once.
      const [row] = await t.dataSource.query('SELECT attempts FROM email_sign_in_codes WHERE email = $1', [user.email]);
      expect(row.attempts).toBe(4);
      await verify({ email: user.email, code: wrong(mail.code) }).expect(401);
      expect((await verify({ email: user.email, code: mail.code }).expect(401)).body.error).toBe('invalid_token');
      expect((await verify({ token: mail.token }).expect(401)).body.error).toBe('invalid_token');

      // Concurrent guesses cannot get past five either.
      const again = await requested(user.email);
      const guesses = await Promise.all(
        Array.from({ length: 8 }, (_, i) => verify({ email: user.email, code: wrong(String(Number(again.code) + i)) })),
      );
      expect(guesses.every((r) => r.status === 401)).toBe(true);
      await verify({ email: user.email, code: again.code }).expect(401);
    });

    it('asks for the second factor without spending the link or a try, then signs in with it', async () => {
      const user = await signUpVerified(t);
      const { secret } = await enableTotp(t, await confirmPassword(t, user.token));
      t.clock.advance(MINUTE);
      const mail = await requested(user.email);
      for (let i = 0; i < 6; i++) {
        expect((await verify({ email: user.email, code: mail.code }).expect(401)).body.error).toBe('totp_required');
      }
      expect((await verify({ token: mail.token }).expect(401)).body.error).toBe('totp_required');
      const [row] = await t.dataSource.query('SELECT attempts, used_at FROM email_sign_in_codes WHERE email = $1', [
        user.email,
      ]);
      expect(row).toEqual({ attempts: 0, used_at: null });
      expect((await verify({ token: mail.token, totpCode: '000000' }).expect(401)).body.error).toBe('invalid_totp');
      const res = await verify({ email: user.email, code: mail.code, totpCode: totpCode(secret, t.clock) }).expect(200);
      expect(res.body.user).toMatchObject({ id: user.id, twoFactorEnabled: true });
      expect((await verify({ token: mail.token, totpCode: totpCode(secret, t.clock, 1) }).expect(401)).body.error).toBe(
        'invalid_token',
      );
    });

    it('ends the link after 5 wrong authenticator codes', async () => {
      const user = await signUpVerified(t);
      const { secret } = await enableTotp(t, await confirmPassword(t, user.token));
      t.clock.advance(MINUTE);
      const mail = await requested(user.email);
      for (let i = 0; i < 5; i++) await verify({ token: mail.token, totpCode: '000000' }).expect(401);
      expect((await verify({ token: mail.token, totpCode: totpCode(secret, t.clock) }).expect(401)).body.error).toBe(
        'invalid_token',
      );
    });

    it("counts wrong authenticator codes against the account's login failure limit, as a password login does", async () => {
      const user = await signUpVerified(t);
      await enableTotp(t, await confirmPassword(t, user.token));
      t.clock.advance(MINUTE);
      // Ten wrong authenticator codes after the right password: the account's failures are used up.
      for (let i = 0; i < 10; i++) {
        await t.http
          .post('/auth/login')
          .set(freshIp())
          .send({ email: user.email, password: PASSWORD, totpCode: '000000' })
          .expect(401);
      }
      await t.http
        .post('/auth/login')
        .set(freshIp())
        .send({ email: user.email, password: PASSWORD, totpCode: '000000' })
        .expect(429);
      // A mailed link is no new supply of guesses at the same authenticator.
      const mail = await requested(user.email);
      expect((await verify({ token: mail.token, totpCode: '000000' }).expect(429)).body.error).toBe(
        'too_many_requests',
      );
    });

    it('creates a verified account without a password for an unknown address', async () => {
      const email = uniqueEmail('fresh');
      const mail = await requested(email, { returnTo: '/welcome' });
      const res = await verify({ token: mail.token }).expect(200);
      expect(res.body).toMatchObject({
        created: true,
        user: { email, emailVerified: true, hasPassword: false, twoFactorEnabled: false },
      });
      const me = await t.http.get('/me').set(bearer(res.body.session.token)).expect(200);
      expect(me.body).toMatchObject({ id: res.body.user.id, emailVerified: true, hasPassword: false });
      // No password opens it; the account's first sign-in mails no new-IP alert.
      expect((await t.http.post('/auth/login').send({ email, password: PASSWORD }).expect(401)).body.error).toBe(
        'invalid_credentials',
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(t.mail.messages.filter((m) => m.to === email)).toEqual([]);
      // The next mail to the address signs into that account.
      const next = await requested(email);
      expect(next.text).toContain('sign in to your account');
      const again = await verify({ email, code: next.code }).expect(200);
      expect(again.body).toMatchObject({ created: false, user: { id: res.body.user.id } });
    });

    it('creates a new account for an address another account only moved to, which goes back to its own', async () => {
      const mover = await signUpVerified(t);
      const target = uniqueEmail('claimed');
      const stepped = await confirmPassword(t, mover.token);
      await t.http.post('/me/email').set(bearer(stepped)).send({ email: target }).expect(200);
      t.mail.messages.length = 0;
      const mail = await requested(target);
      expect(mail.text).toContain('no account for it yet');
      const res = await verify({ email: target, code: mail.code }).expect(200);
      expect(res.body).toMatchObject({
        created: true,
        user: { email: target, emailVerified: true, hasPassword: false },
      });
      expect(res.body.user.id).not.toBe(mover.id);
      const [moved] = await t.dataSource.query(
        'SELECT email, email_verified_at, previous_email FROM users WHERE id = $1',
        [mover.id],
      );
      expect(moved).toMatchObject({ email: mover.email, previous_email: null });
      expect(moved.email_verified_at).not.toBeNull();
      // The account that moved keeps its own way in, at its own address.
      await logIn(t, mover.email);
    });

    it('signs the holder of a pending change’s way back into that account, not into a 409', async () => {
      const mover = await signUpVerified(t);
      const stepped = await confirmPassword(t, mover.token);
      const movingTo = uniqueEmail('moving');
      await t.http.post('/me/email').set(bearer(stepped)).send({ email: movingTo }).expect(200);
      const mail = await requested(mover.email);
      const res = await verify({ token: mail.token });
      expect({ status: res.status, id: res.body.user?.id }).toEqual({ status: 200, id: mover.id });
      // Proving the way back neither stops the move nor verifies the address moved to.
      expect(res.body).toMatchObject({ created: false, user: { email: movingTo, emailVerified: false } });
    });

    it('hands an account nobody verified to the mailbox holder: its creator loses password, sessions and keys', async () => {
      const victim = uniqueEmail('victim');
      const attacker = await signUp(t, victim, 'Attackers-Own-Pass-99');
      const attackerLogin = await logIn(t, victim, { password: 'Attackers-Own-Pass-99' });
      const mail = await requested(victim);
      const res = await verify({ token: mail.token }).expect(200);
      expect(res.body).toMatchObject({
        created: false,
        user: { id: attacker.id, emailVerified: true, hasPassword: false },
      });
      for (const token of [attacker.token, attackerLogin.token]) {
        expect((await t.http.get('/me').set(bearer(token)).expect(401)).body.error).toBe('session_expired');
      }
      expect(
        (await t.http.post('/auth/login').send({ email: victim, password: 'Attackers-Own-Pass-99' }).expect(401)).body
          .error,
      ).toBe('invalid_credentials');
      await t.http.get('/me').set(bearer(res.body.session.token)).expect(200);
      const audit = await t.dataSource.query(`SELECT 1 FROM audit_log WHERE action = $1 AND actor_id = $2`, [
        'user.unverified_account_claimed',
        attacker.id,
      ]);
      expect(audit).toHaveLength(1);
    });

    it("leaves a verified account's password, sessions and API keys alone", async () => {
      const user = await signUpVerified(t);
      const key = await createApiKey(t, await confirmPassword(t, user.token));
      const mail = await requested(user.email);
      await verify({ token: mail.token }).expect(200);
      await t.http.get('/me').set(bearer(key.key)).expect(200);
      await t.http.get('/me').set(bearer(user.token)).expect(200);
      await logIn(t, user.email);
    });

    it('answers 400 validation_failed without a token or an address and code', async () => {
      expect((await verify({}).expect(400)).body.error).toBe('validation_failed');
      expect((await verify({ email: uniqueEmail() }).expect(400)).body.error).toBe('validation_failed');
      for (const body of [
        { token: null, email: uniqueEmail(), code: '123456' },
        { token: 'abc', email: null },
        { token: 'abc', code: 7 },
        { email: uniqueEmail(), code: null },
        { token: 'abc', totpCode: null },
      ]) {
        expect((await verify(body).expect(400)).body.error).toBe('validation_failed');
      }
    });

    it('limits tries per IP (30 per 15 minutes)', async () => {
      const ip = freshIp();
      for (let i = 0; i < 30; i++) await verify({ token: `guess-${i}` }, ip).expect(401);
      expect((await verify({ token: 'guess' }, ip).expect(429)).body.error).toBe('too_many_requests');
    });
  });

  describe('and account deletion', () => {
    it('signs a scheduled account in to its grace-period routes only, and after the purge makes a new account', async () => {
      const user = await signUpVerified(t);
      await t.http
        .delete('/me')
        .set(bearer(await confirmPassword(t, user.token)))
        .expect(202);
      const during = await verify({ token: (await requested(user.email)).token }).expect(200);
      expect(during.body).toMatchObject({ created: false, user: { id: user.id } });
      expect(during.body.user.deletionScheduledFor).toEqual(expect.any(String));
      const token = during.body.session.token;
      await t.http.get('/me').set(bearer(token)).expect(200);
      const refused = await t.http.post('/orgs').set(bearer(token)).send({ name: 'Nope' }).expect(403);
      expect(refused.body.error).toBe('account_pending_deletion');

      // Once the account is erased, the address signs in to a new account with nothing of the old one.
      t.clock.advance(31 * 24 * HOUR);
      expect(await t.app.get(TaskRunner).run('purge-deleted-accounts')).toMatchObject({ status: 'done' });
      const after = await verify({ token: (await requested(user.email)).token }).expect(200);
      expect(after.body).toMatchObject({ created: true, user: { email: user.email, hasPassword: false } });
      expect(after.body.user.id).not.toBe(user.id);
    });
  });

  describe('an SSO-enforced domain', () => {
    it('answers 403 sso_required with loginUrl at the start and for a link mailed before enforcement', async () => {
      const owner = await signUpVerified(t);
      const ownerToken = await confirmPassword(t, owner.token);
      const orgId = (await t.http.post('/orgs').set(bearer(ownerToken)).send({ name: 'Enforced' }).expect(201)).body.id;
      const provider = (
        await t.http
          .put(`/orgs/${orgId}/sso/saml`)
          .set(bearer(ownerToken))
          .send({
            domain: 'enforced.test',
            idpEntityId: 'https://idp.enforced.test/metadata',
            idpSsoUrl: 'https://idp.enforced.test/sso',
            idpCert: selfSigned().cert,
            enforce: false,
          })
          .expect(200)
      ).body;
      await t.dataSource.query('UPDATE saml_providers SET domain_verified_at = now() WHERE id = $1', [provider.id]);
      const member = `member-${Date.now().toString(36)}@enforced.test`;
      const early = await requested(member);
      await t.dataSource.query('UPDATE saml_providers SET enforce = true WHERE id = $1', [provider.id]);

      const loginUrl = `http://localhost:3000/auth/saml/${provider.id}/login`;
      for (const email of [member, `nobody@enforced.test`]) {
        expect((await start(email).expect(403)).body).toEqual({
          statusCode: 403,
          error: 'sso_required',
          message: expect.any(String),
          loginUrl,
        });
      }
      expect((await verify({ token: early.token }).expect(403)).body).toMatchObject({
        error: 'sso_required',
        loginUrl,
      });
      expect(await t.dataSource.query('SELECT 1 FROM users WHERE email = $1', [member])).toEqual([]);
    });
  });

  describe('POST /auth/confirm/email (step-up code)', () => {
    async function passwordless(): Promise<{ id: string; email: string; token: string; sessionId: string }> {
      const email = uniqueEmail('nopass');
      const mail = await requested(email);
      const res = await verify({ token: mail.token }).expect(200);
      return { id: res.body.user.id, email, token: res.body.session.token, sessionId: res.body.session.id };
    }

    async function confirmationCode(email: string): Promise<string> {
      const mails = await t.mail.waitFor((m) => m.to === email && m.subject.includes('Confirm'));
      const mail = mails[mails.length - 1];
      t.mail.messages.splice(t.mail.messages.indexOf(mail), 1);
      return /\b(\d{6})\b/.exec(mail.text)![1];
    }

    const codes = () => t.app.get(EmailConfirmationService);

    it('mails a code that confirms the session that asked, once, for 10 minutes', async () => {
      const user = await passwordless();
      await t.http.post('/auth/confirm/email').set(bearer(user.token)).expect(202);
      const code = await confirmationCode(user.email);
      const [row] = await t.dataSource.query(
        `SELECT purpose, session_id, token_hash, extract(epoch FROM expires_at - created_at)::int AS ttl
           FROM email_sign_in_codes WHERE user_id = $1 AND purpose = 'step-up'`,
        [user.id],
      );
      expect(row).toEqual({ purpose: 'step-up', session_id: user.sessionId, token_hash: null, ttl: 600 });
      const other = await verify({ token: (await requested(user.email)).token }).expect(200);
      expect(await codes().verifyConfirmationCode(user.id, other.body.session.id, code)).toBe(false);
      expect(await codes().verifyConfirmationCode(user.id, user.sessionId, code)).toBe(true);
      expect(await codes().verifyConfirmationCode(user.id, user.sessionId, code)).toBe(false);

      await t.http.post('/auth/confirm/email').set(bearer(user.token)).expect(202);
      const late = await confirmationCode(user.email);
      t.clock.advance(10 * MINUTE + 1);
      expect(await codes().verifyConfirmationCode(user.id, user.sessionId, late)).toBe(false);
    });

    it('confirms the step-up of a passwordless account over HTTP with emailCode, which its 403 lists as "email"', async () => {
      const user = await passwordless();
      t.clock.advance(6 * MINUTE);
      const refused = await t.http.get('/me/export').set(bearer(user.token)).expect(403);
      expect(refused.body).toMatchObject({ error: 'step_up_required', methods: ['email'] });
      expect(refused.body.message).toContain('POST /auth/confirm/email');
      await t.http.post('/auth/confirm/email').set(bearer(user.token)).expect(202);
      const code = await confirmationCode(user.email);
      const wrongOne = await t.http
        .post('/auth/confirm')
        .set(bearer(user.token))
        .send({ emailCode: wrong(code) })
        .expect(401);
      expect(wrongOne.body.error).toBe('invalid_token');
      await t.http
        .post('/auth/confirm')
        .set(bearer(user.token))
        .send({ emailCode: code, password: 'whatever-it-is' })
        .expect(400, /validation_failed/);
      const confirmed = await t.http
        .post('/auth/confirm')
        .set(bearer(user.token))
        .send({ emailCode: code })
        .expect(200);
      expect(confirmed.body.session.token).not.toBe(user.token);
      await t.http.get('/me/export').set(bearer(confirmed.body.session.token)).expect(200);
      // Spent: it confirms nothing again.
      await t.http
        .post('/auth/confirm')
        .set(bearer(confirmed.body.session.token))
        .send({ emailCode: code })
        .expect(401);
      // An account with a password confirms with it, never with a mailed code.
      const withPassword = await signUpVerified(t);
      const asked = await t.http
        .post('/auth/confirm')
        .set(bearer(withPassword.token))
        .send({ emailCode: '123456' })
        .expect(403);
      expect(asked.body).toMatchObject({ error: 'step_up_required', methods: ['password'] });
    });

    it('ends the code at the fifth wrong one; a new request replaces it', async () => {
      const user = await passwordless();
      await t.http.post('/auth/confirm/email').set(bearer(user.token)).expect(202);
      const first = await confirmationCode(user.email);
      await t.http.post('/auth/confirm/email').set(bearer(user.token)).expect(202);
      const code = await confirmationCode(user.email);
      if (first !== code) expect(await codes().verifyConfirmationCode(user.id, user.sessionId, first)).toBe(false);
      for (let i = first !== code ? 1 : 0; i < 5; i++) {
        expect(await codes().verifyConfirmationCode(user.id, user.sessionId, wrong(code))).toBe(false);
      }
      expect(await codes().verifyConfirmationCode(user.id, user.sessionId, code)).toBe(false);
    });

    it('refuses accounts with a password or an authenticator (409) and API keys (403), and limits to 5 per hour', async () => {
      const withPassword = await signUpVerified(t);
      expect((await t.http.post('/auth/confirm/email').set(bearer(withPassword.token)).expect(409)).body.error).toBe(
        'email_code_unavailable',
      );
      const key = await createApiKey(t, await confirmPassword(t, withPassword.token));
      expect((await t.http.post('/auth/confirm/email').set(bearer(key.key)).expect(403)).body.error).toBe(
        'api_key_not_allowed',
      );
      await t.http.post('/auth/confirm/email').expect(401);

      const user = await passwordless();
      for (let i = 0; i < 5; i++) await t.http.post('/auth/confirm/email').set(bearer(user.token)).expect(202);
      expect((await t.http.post('/auth/confirm/email').set(bearer(user.token)).expect(429)).body.error).toBe(
        'too_many_requests',
      );
    });
  });

  describe('stored rows', () => {
    it('are purged once expired or used', async () => {
      const used = uniqueEmail('used');
      await verify({ token: (await requested(used)).token }).expect(200);
      const stale = uniqueEmail('stale');
      await requested(stale);
      t.clock.advance(16 * MINUTE);
      const live = uniqueEmail('live');
      await requested(live);
      expect(await t.app.get(TaskRunner).run('purge-email-sign-in-codes')).toMatchObject({ status: 'done' });
      const left = await t.dataSource.query('SELECT email FROM email_sign_in_codes WHERE email = ANY($1)', [
        [used, stale, live],
      ]);
      expect(left).toEqual([{ email: live }]);
    });

    it('go with the account that asked for them', async () => {
      const email = uniqueEmail('erased');
      await requested(email);
      const user = await signUpVerified(t, email);
      await requested(email);
      await t.http.post('/auth/confirm/email').set(bearer(user.token)).expect(409);
      const before = await t.dataSource.query('SELECT 1 FROM email_sign_in_codes WHERE email = $1 OR user_id = $2', [
        email,
        user.id,
      ]);
      expect(before).toHaveLength(1);
      const stepped = await confirmPassword(t, user.token);
      await t.http.delete('/me').set(bearer(stepped)).expect(202);
      t.clock.advance(31 * 24 * HOUR);
      expect(await t.app.get(TaskRunner).run('purge-deleted-accounts')).toMatchObject({ status: 'done' });
      expect(await t.dataSource.query('SELECT 1 FROM users WHERE id = $1', [user.id])).toEqual([]);
      expect(await t.dataSource.query('SELECT 1 FROM email_sign_in_codes WHERE email = $1', [email])).toEqual([]);
    });

    it('erase a row mailed to an address the account had, kept apart from its id', async () => {
      const email = uniqueEmail('before');
      await requested(email);
      const user = await signUpVerified(t, email);
      const stepped = await confirmPassword(t, user.token);
      await t.http.delete('/me').set(bearer(stepped)).expect(202);
      t.clock.advance(31 * 24 * HOUR);
      await t.app.get(TaskRunner).run('purge-deleted-accounts');
      expect(await t.dataSource.query('SELECT 1 FROM email_sign_in_codes WHERE email = $1', [email])).toEqual([]);
    });
  });
});
