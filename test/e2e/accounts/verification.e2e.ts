import { PendingEmailChange1796531000001 } from '../../../migrations/1796531000001-PendingEmailChange';
import { BackgroundWork } from '../../../src/common/background-work';
import { hashToken } from '../../../src/common/crypto';
import { TaskRunner } from '../../../src/tasks';
import { startTestApp, TestApp } from '../../support/test-app';
import { totpCode } from '../../support/totp';
import {
  bearer,
  confirmPassword,
  enableTotp,
  logIn,
  PASSWORD,
  signUp,
  signUpVerified,
  uniqueEmail,
  verificationToken,
} from '../../support/users';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

describe('email verification', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const verify = (token: string) => t.http.post('/auth/verify-email').send({ token });

  describe('the token mailed at signup', () => {
    it('verifies the address once; only its hash is stored', async () => {
      const user = await signUp(t);
      const token = await verificationToken(t, user.email);
      const [row] = await t.dataSource.query('SELECT token_hash, email FROM verification_tokens WHERE user_id = $1', [
        user.id,
      ]);
      expect(row.token_hash.equals(hashToken(token))).toBe(true);
      expect(row.email).toBe(user.email);

      const res = await verify(token).expect(200);
      expect(res.body.user).toMatchObject({ id: user.id, emailVerified: true });
      expect((await t.http.get('/me').set(bearer(user.token))).body.emailVerified).toBe(true);
      expect((await verify(token).expect(400)).body.error).toBe('invalid_token');
    });

    it('refuses an unknown token and one past VERIFICATION_TOKEN_TTL', async () => {
      expect((await verify('no-such-token').expect(400)).body.error).toBe('invalid_token');
      const user = await signUp(t);
      const token = await verificationToken(t, user.email);
      t.clock.advance(DAY + 1);
      expect((await verify(token).expect(400)).body.error).toBe('invalid_token');
      const [row] = await t.dataSource.query('SELECT email_verified_at FROM users WHERE id = $1', [user.id]);
      expect(row.email_verified_at).toBeNull();
    });
  });

  describe('an unverified user', () => {
    it('can sign in, and reaches only the routes open to unverified users', async () => {
      const user = await signUp(t);
      const login = await t.http.post('/auth/login').send({ email: user.email, password: PASSWORD }).expect(200);
      const token = login.body.session.token;
      const closed: Array<['post' | 'get', string, object?]> = [
        ['post', '/orgs', { name: 'Acme' }],
        ['get', '/orgs/00000000-0000-4000-8000-000000000000/documents'],
        ['post', '/me/2fa/totp/setup'],
        ['post', '/me/2fa/totp/enable', { code: '123456' }],
        ['post', '/me/api-keys', { name: 'k' }],
      ];
      for (const [method, path, body] of closed) {
        const res = await t.http[method](path)
          .set(bearer(token))
          .send(body ?? {});
        expect({ path, status: res.status, body: res.body }).toEqual({
          path,
          status: 403,
          body: {
            statusCode: 403,
            error: 'email_not_verified',
            message: expect.any(String),
            resendUrl: '/auth/resend-verification',
          },
        });
      }
      await t.http.get('/me').set(bearer(token)).expect(200);
      await t.http.patch('/me').set(bearer(token)).send({ name: 'Typo Fixer' }).expect(200);
      await t.http.get('/orgs').set(bearer(token)).expect(200);
      await t.http.get('/me/api-keys').set(bearer(token)).expect(200);
      const confirmed = await t.http.post('/auth/confirm').set(bearer(token)).send({ password: PASSWORD }).expect(200);
      await t.http
        .post('/me/email')
        .set(bearer(confirmed.body.session.token))
        .send({ email: uniqueEmail('fixed') })
        .expect(200);
      await t.http.post('/auth/logout').set(bearer(confirmed.body.session.token)).expect(204);
    });
  });

  describe('POST /auth/resend-verification', () => {
    it('mails a new link that replaces the old one', async () => {
      const user = await signUp(t);
      const first = await verificationToken(t, user.email);
      await t.http.post('/auth/resend-verification').set(bearer(user.token)).expect(202);
      const second = await verificationToken(t, user.email);
      expect(second).not.toBe(first);
      expect((await verify(first).expect(400)).body.error).toBe('invalid_token');
      await verify(second).expect(200);
    });

    it('answers 409 already_verified, before any limit', async () => {
      const user = await signUpVerified(t);
      for (let i = 0; i < 7; i++) {
        expect((await t.http.post('/auth/resend-verification').set(bearer(user.token)).expect(409)).body.error).toBe(
          'already_verified',
        );
      }
    });

    it('allows the first resend right after signup, then 1 per minute and 5 per hour', async () => {
      const user = await signUp(t);
      const resend = () => t.http.post('/auth/resend-verification').set(bearer(user.token));
      await resend().expect(202);
      const limited = await resend().expect(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
      for (let i = 0; i < 4; i++) {
        t.clock.advance(MINUTE);
        await resend().expect(202);
      }
      t.clock.advance(MINUTE);
      const hourly = await resend().expect(429);
      expect(Number(hourly.headers['retry-after'])).toBeGreaterThan(60);
      t.clock.advance(60 * MINUTE);
      // The session idled out meanwhile; a new one resends again.
      const login = await t.http.post('/auth/login').send({ email: user.email, password: PASSWORD }).expect(200);
      await t.http.post('/auth/resend-verification').set(bearer(login.body.session.token)).expect(202);
    });
  });

  describe('POST /me/email', () => {
    it('needs a recent step-up', async () => {
      const user = await signUp(t);
      t.clock.advance(6 * MINUTE);
      expect(
        (await t.http.post('/me/email').set(bearer(user.token)).send({ email: uniqueEmail() }).expect(403)).body.error,
      ).toBe('step_up_required');
    });

    it('refuses an address another account has, and changes nothing', async () => {
      const user = await signUpVerified(t);
      const other = await signUp(t);
      const res = await t.http
        .post('/me/email')
        .set(bearer(user.token))
        .send({ email: other.email.toUpperCase() })
        .expect(409);
      expect(res.body.error).toBe('email_taken');
      const me = await t.http.get('/me').set(bearer(user.token));
      expect(me.body).toMatchObject({ email: user.email, emailVerified: true });
    });

    it('switches to the new address unverified, mails both addresses, and kills the old tokens', async () => {
      const user = await signUp(t);
      const oldToken = await verificationToken(t, user.email);
      const newEmail = uniqueEmail('new');
      const res = await t.http.post('/me/email').set(bearer(user.token)).send({ email: newEmail }).expect(200);
      expect(res.body).toMatchObject({ id: user.id, email: newEmail, emailVerified: false });

      const [notice] = await t.mail.waitFor(
        (m) => m.to === user.email && m.subject.includes('email address was changed'),
      );
      expect(notice.text).toContain(`${newEmail[0]}***@e***.com`);
      expect(notice.text).not.toContain(newEmail);
      expect((await verify(oldToken).expect(400)).body.error).toBe('invalid_token');
      const newToken = await verificationToken(t, newEmail);
      expect((await verify(newToken).expect(200)).body.user).toMatchObject({ email: newEmail, emailVerified: true });
    });

    it('makes a verified user unverified until the new address is confirmed', async () => {
      const user = await signUpVerified(t);
      await t.http
        .post('/me/email')
        .set(bearer(user.token))
        .send({ email: uniqueEmail('moved') })
        .expect(200);
      expect((await t.http.post('/orgs').set(bearer(user.token)).send({ name: 'x' }).expect(403)).body.error).toBe(
        'email_not_verified',
      );
    });

    it('leaves a token for an address the user no longer has dead, even unused', async () => {
      const user = await signUp(t);
      await verificationToken(t, user.email);
      await t.http
        .post('/me/email')
        .set(bearer(user.token))
        .send({ email: uniqueEmail('second') })
        .expect(200);
      // A token issued for the second address, then the address changes again.
      const secondToken = await verificationToken(t, (await t.http.get('/me').set(bearer(user.token))).body.email);
      const confirmed = await t.http
        .post('/auth/confirm')
        .set(bearer(user.token))
        .send({ password: PASSWORD })
        .expect(200);
      await t.http
        .post('/me/email')
        .set(bearer(confirmed.body.session.token))
        .send({ email: uniqueEmail('third') })
        .expect(200);
      expect((await verify(secondToken).expect(400)).body.error).toBe('invalid_token');
    });
  });

  describe('an address taken by an email change and not yet verified reserves nothing', () => {
    const resetMailsQueued = async () =>
      (await t.dataSource.query(`SELECT count(*)::int AS n FROM mail_outbox WHERE template = 'password-reset'`))[0].n;

    /** A verified user with two-factor on moves to `email` (after a step-up with both factors). */
    async function squat(email: string) {
      const squatter = await signUpVerified(t);
      const { secret } = await enableTotp(t, squatter.token);
      t.clock.advance(30_000);
      const token = await confirmPassword(t, squatter.token, PASSWORD, totpCode(secret, t.clock));
      await t.http.post('/me/email').set(bearer(token)).send({ email }).expect(200);
      return { ...squatter, token, link: await verificationToken(t, email) };
    }

    it('the address held hostage: forgot-password mails nothing there, the owner signs up and wins', async () => {
      const victimEmail = uniqueEmail('victim');
      const squatter = await squat(victimEmail);
      // Until the owner signs up, the address is the changing account's (restricted) current one.
      expect((await t.http.get('/me').set(bearer(squatter.token)).expect(200)).body).toMatchObject({
        email: victimEmail,
        emailVerified: false,
      });

      // A reset asked for the address mails nothing to the account that took it, and answers as always.
      const queuedBefore = await resetMailsQueued();
      await t.http.post('/auth/password/forgot').send({ email: victimEmail }).expect(202);
      await t.app.get(BackgroundWork).drain();
      expect(await resetMailsQueued()).toBe(queuedBefore);
      expect(
        await t.dataSource.query(
          `SELECT 1 FROM audit_log WHERE action = 'user.password_reset_requested' AND actor_id = $1`,
          [squatter.id],
        ),
      ).toEqual([]);

      // The owner's signup succeeds: a new account, with its own verification link.
      const victim = await signUp(t, victimEmail);
      expect(victim.id).not.toBe(squatter.id);
      const victimLink = await verificationToken(t, victimEmail);
      expect((await verify(victimLink).expect(200)).body.user).toMatchObject({ id: victim.id, emailVerified: true });
      // The squatter's link for the address is dead.
      expect((await verify(squatter.link).expect(400)).body.error).toBe('invalid_token');

      // The changing account is back at its previous address, verified, and told why there.
      expect((await t.http.get('/me').set(bearer(squatter.token)).expect(200)).body).toMatchObject({
        id: squatter.id,
        email: squatter.email,
        emailVerified: true,
      });
      const [notice] = await t.mail.waitFor(
        (m) => m.to === squatter.email && m.subject.includes('address change was cancelled'),
      );
      expect(notice.text).toContain('registered');
      expect(notice.text).toContain(`${victimEmail[0]}***@e***.com`);
      const [audit] = await t.dataSource.query(
        `SELECT actor_id, target, details FROM audit_log WHERE action = 'user.email_change_reverted' AND target = $1`,
        [`user:${squatter.id}`],
      );
      expect(audit).toEqual({
        actor_id: null,
        target: `user:${squatter.id}`,
        details: { email: victimEmail, reason: 'address_registered' },
      });

      // The address signs in to the owner's account, with no second factor of someone else's.
      const login = await logIn(t, victimEmail);
      expect(login.user).toMatchObject({ id: victim.id, twoFactorEnabled: false });
      // And a reset for it now reaches the owner's account.
      await t.http.post('/auth/password/forgot').send({ email: victimEmail }).expect(202);
      await t.mail.waitFor((m) => m.to === victimEmail && m.subject.includes('Reset'));
    });

    it('signs its holder in with it until then; the address it left stays reserved for it', async () => {
      const taken = uniqueEmail('taken');
      const squatter = await squat(taken);
      const login = await t.http.post('/auth/login').send({ email: taken, password: PASSWORD }).expect(401);
      expect(login.body.error).toBe('totp_required');
      // The address it left is its way back: nobody signs up with it or moves to it meanwhile.
      expect(
        (await t.http.post('/auth/signup').send({ email: squatter.email, password: PASSWORD }).expect(409)).body.error,
      ).toBe('email_taken');
      const other = await signUpVerified(t);
      const move = (email: string) => t.http.post('/me/email').set(bearer(other.token)).send({ email });
      expect((await move(squatter.email).expect(409)).body.error).toBe('email_taken');
      // Only a signup or a verification takes an address held by a pending change, not another change.
      expect((await move(taken).expect(409)).body.error).toBe('email_taken');
      expect((await t.http.get('/me').set(bearer(squatter.token)).expect(200)).body.email).toBe(taken);
    });

    it('the address an account leaves is never taken from it by a signup at the same moment', async () => {
      // An app of its own: the trials use most of an address's hourly signups.
      const fresh = await startTestApp();
      try {
        for (let trial = 0; trial < 8; trial++) {
          const user = await signUpVerified(fresh);
          const [change, signup] = await Promise.all([
            fresh.http
              .post('/me/email')
              .set(bearer(user.token))
              .send({ email: uniqueEmail('away') }),
            fresh.http.post('/auth/signup').send({ email: user.email, password: PASSWORD }),
          ]);
          expect([change.status, signup.status, signup.body.error]).toEqual([200, 409, 'email_taken']);
        }
      } finally {
        await fresh.close();
      }
    });

    it('a second change keeps the last verified address as the way back', async () => {
      const user = await signUpVerified(t);
      const first = uniqueEmail('first');
      const second = uniqueEmail('second');
      await t.http.post('/me/email').set(bearer(user.token)).send({ email: first }).expect(200);
      const token = await confirmPassword(t, user.token);
      await t.http.post('/me/email').set(bearer(token)).send({ email: second }).expect(200);
      // The first pending address was let go: a signup with it is an ordinary one.
      await signUp(t, first);
      expect((await t.http.get('/me').set(bearer(token)).expect(200)).body.email).toBe(second);
      await signUp(t, second);
      expect((await t.http.get('/me').set(bearer(token)).expect(200)).body).toMatchObject({
        email: user.email,
        emailVerified: true,
      });
    });

    it('moving back to the way back before verifying the change restores it as it was: verified, no link', async () => {
      const user = await signUpVerified(t);
      const elsewhere = uniqueEmail('elsewhere');
      await t.http.post('/me/email').set(bearer(user.token)).send({ email: elsewhere }).expect(200);
      const link = await verificationToken(t, elsewhere);
      const token = await confirmPassword(t, user.token);
      const back = await t.http.post('/me/email').set(bearer(token)).send({ email: user.email }).expect(200);
      expect(back.body).toMatchObject({ email: user.email, emailVerified: true });
      expect((await t.http.get('/me').set(bearer(token)).expect(200)).body.emailVerified).toBe(true);
      // The abandoned address's link verifies nothing, and none was mailed for the address it came back to.
      await verify(link).expect(400);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(t.mail.messages.filter((m) => m.to === user.email && m.subject.includes('Verify'))).toEqual([]);
      // Nothing is pending any more: the address it left is free.
      await signUp(t, elsewhere);
    });

    it('a change verified in time takes the address for good', async () => {
      const user = await signUpVerified(t);
      const email = uniqueEmail('kept');
      await t.http.post('/me/email').set(bearer(user.token)).send({ email }).expect(200);
      await verify(await verificationToken(t, email)).expect(200);
      expect((await t.http.post('/auth/signup').send({ email, password: PASSWORD }).expect(409)).body.error).toBe(
        'email_taken',
      );
      // Its previous address is free again.
      await signUp(t, user.email);
    });
  });

  it('a change pending from before the way back was kept gets it from the audit trail, if the address is free', async () => {
    const fresh = await startTestApp();
    try {
      const [moved, blocked] = [await signUpVerified(fresh), await signUpVerified(fresh)];
      const [movedTo, blockedTo] = [uniqueEmail('legacy'), uniqueEmail('legacy')];
      // Changes as they were stored before: the new address, unverified, and nothing else.
      for (const [user, email] of [
        [moved, movedTo],
        [blocked, blockedTo],
      ] as const) {
        await fresh.dataSource.query('UPDATE users SET email = $2, email_verified_at = NULL WHERE id = $1', [
          user.id,
          email,
        ]);
      }
      // Someone signed up with the address `blocked` left meanwhile: it has no way back.
      await signUp(fresh, blocked.email);
      const migration = new PendingEmailChange1796531000001();
      const runner = fresh.dataSource.createQueryRunner();
      try {
        await migration.down(runner);
        await migration.up(runner);
      } finally {
        await runner.release();
      }
      const rows = await fresh.dataSource.query('SELECT id, previous_email FROM users WHERE id = ANY($1) ORDER BY id', [
        [moved.id, blocked.id],
      ]);
      expect(
        Object.fromEntries(rows.map((r: { id: string; previous_email: string | null }) => [r.id, r.previous_email])),
      ).toEqual({
        [moved.id]: moved.email,
        [blocked.id]: null,
      });
      await signUp(fresh, movedTo);
      expect((await fresh.http.get('/me').set(bearer(moved.token)).expect(200)).body).toMatchObject({
        email: moved.email,
        emailVerified: true,
      });
    } finally {
      await fresh.close();
    }
  });

  it('limits POST /auth/verify-email to 30 per IP per 15 minutes', async () => {
    const fresh = await startTestApp();
    try {
      for (let i = 0; i < 30; i++)
        await fresh.http
          .post('/auth/verify-email')
          .send({ token: `guess-${i}` })
          .expect(400);
      expect((await fresh.http.post('/auth/verify-email').send({ token: 'guess' }).expect(429)).body.error).toBe(
        'too_many_requests',
      );
    } finally {
      await fresh.close();
    }
  });
});

describe('cleanup-unverified-accounts', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('deletes never-verified accounts past UNVERIFIED_ACCOUNT_TTL with what they own, in batches, once', async () => {
    const stale = await signUp(t);
    const verified = await signUpVerified(t);
    const movedAway = await signUpVerified(t);
    await t.http
      .post('/me/email')
      .set(bearer(movedAway.token))
      .send({ email: uniqueEmail('moved') })
      .expect(200);
    // A backlog larger than one batch.
    await t.dataSource.query(
      `INSERT INTO users (email, created_at, updated_at)
       SELECT 'bulk' || n || '@example.com', $1, $1 FROM generate_series(1, 1500) n`,
      [t.clock.now()],
    );
    t.clock.advance(6 * DAY);
    const young = await signUp(t);
    t.clock.advance(DAY + MINUTE);

    const runner = t.app.get(TaskRunner);
    expect(await runner.run('cleanup-unverified-accounts')).toMatchObject({
      status: 'done',
      result: { deleted: 1501 },
    });
    expect(await runner.run('cleanup-unverified-accounts')).toMatchObject({ result: { deleted: 0 } });

    const left = (await t.dataSource.query('SELECT id FROM users')).map((r: { id: string }) => r.id);
    expect(left).toEqual(expect.arrayContaining([verified.id, movedAway.id, young.id]));
    expect(left).not.toContain(stale.id);
    expect(left).toHaveLength(3);
    expect(await t.dataSource.query('SELECT 1 FROM sessions WHERE user_id = $1', [stale.id])).toHaveLength(0);
    expect(await t.dataSource.query('SELECT 1 FROM verification_tokens WHERE user_id = $1', [stale.id])).toHaveLength(
      0,
    );
    // Each deletion is audited under the pseudonym that replaced the account in its own rows, and no
    // row names it any more (the erasure a deleted account goes through).
    const deletions = await t.dataSource.query(`SELECT target FROM audit_log WHERE action = 'user.deleted_unverified'`);
    expect(deletions).toHaveLength(1501);
    const [signup] = await t.dataSource.query(
      `SELECT s.actor_id, s.actor_email, s.ip FROM audit_log s JOIN audit_log d ON d.target = 'user:' || s.actor_id
        WHERE s.action = 'user.signup' AND d.action = 'user.deleted_unverified'`,
    );
    expect(signup.actor_id).not.toBe(stale.id);
    expect(signup).toMatchObject({ actor_email: null, ip: null });
    const [{ n }] = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM audit_log
        WHERE actor_id::text = $1 OR actor_email = $2 OR target LIKE '%' || $1 || '%' OR details::text LIKE '%' || $2 || '%'`,
      [stale.id, stale.email],
    );
    expect(n).toBe(0);

    // The address is free again.
    await t.http.post('/auth/signup').send({ email: stale.email, password: PASSWORD }).expect(201);
  });

  it('takes back an email change not verified within VERIFICATION_TOKEN_TTL: the previous address, verified, audited and mailed', async () => {
    const runner = t.app.get(TaskRunner);
    const stuck = await signUpVerified(t);
    const pending = uniqueEmail('pending');
    await t.http.post('/me/email').set(bearer(stuck.token)).send({ email: pending }).expect(200);
    const link = await verificationToken(t, pending);
    t.clock.advance(DAY - MINUTE);
    const recent = await signUpVerified(t);
    const recentPending = uniqueEmail('recent');
    await t.http.post('/me/email').set(bearer(recent.token)).send({ email: recentPending }).expect(200);
    t.clock.advance(2 * MINUTE);

    expect(await runner.run('cleanup-unverified-accounts')).toMatchObject({ result: { deleted: 0, reverted: 1 } });
    const [stuckRow, recentRow] = await Promise.all(
      [stuck.id, recent.id].map(
        async (id) => (await t.dataSource.query('SELECT email, email_verified_at FROM users WHERE id = $1', [id]))[0],
      ),
    );
    expect(stuckRow.email).toBe(stuck.email);
    expect(stuckRow.email_verified_at).not.toBeNull();
    expect(recentRow).toMatchObject({ email: recentPending, email_verified_at: null });
    // Its link for the address it had taken is gone, not just expired.
    const tokens = await t.dataSource.query('SELECT token_hash FROM verification_tokens WHERE user_id = $1', [
      stuck.id,
    ]);
    expect(tokens).toEqual([]);
    expect(link).toMatch(/^[A-Za-z0-9_-]+$/);
    const [notice] = await t.mail.waitFor(
      (m) => m.to === stuck.email && m.subject.includes('address change was cancelled'),
    );
    expect(notice.text).toContain('not confirmed');
    const audit = await t.dataSource.query(
      `SELECT target, details FROM audit_log WHERE action = 'user.email_change_reverted' AND target IN ($1, $2)`,
      [`user:${stuck.id}`, `user:${recent.id}`],
    );
    expect(audit).toEqual([{ target: `user:${stuck.id}`, details: { email: pending, reason: 'expired' } }]);
    // The address it had taken is free; it signs in again with its own.
    await signUp(t, pending);
    await logIn(t, stuck.email);
    expect(await runner.run('cleanup-unverified-accounts')).toMatchObject({ result: { deleted: 0, reverted: 0 } });
  });
});
