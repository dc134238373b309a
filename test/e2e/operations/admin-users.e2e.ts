import { ApiKeysService } from '../../../src/api-keys/api-keys.service';
import { hashToken } from '../../../src/common/crypto';
import { TransactionHost } from '../../../src/database/transactions';
import { SessionsService } from '../../../src/sessions/sessions.service';
import { UsersService } from '../../../src/users/users.service';
import { createAdminKey, TestAdminKey } from '../../support/admin';
import { startTestApp, TestApp } from '../../support/test-app';
import { WebhookReceiver } from '../../support/webhook-receiver';
import { subscribeToEveryEvent } from '../../support/webhook-sink';
import { addMember } from '../../support/orgs';
import { SoftAuthenticator } from '../../support/soft-authenticator';
import {
  bearer,
  confirmPassword,
  createApiKey,
  enableTotp,
  logIn,
  PASSWORD,
  signUpVerified,
  uniqueEmail,
} from '../../support/users';

/** The operators' side of accounts: find, look at, lock, sign out, delete. */
describe('admin API: users', () => {
  let t: TestApp;
  let reader: TestAdminKey;
  let writer: TestAdminKey;

  let sink: WebhookReceiver;
  beforeAll(async () => {
    t = await startTestApp({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
    sink = await subscribeToEveryEvent(t);
    reader = await createAdminKey(t, 'users:read');
    writer = await createAdminKey(t, 'users:write');
  });
  afterAll(async () => {
    await t.close();
    await sink.close();
  });

  const read = (path: string) => t.http.get(path).set(bearer(reader.key));
  const write = (method: 'post' | 'delete', path: string, body?: object) =>
    t.http[method](path)
      .set(bearer(writer.key))
      .send(body ?? {});
  /** Accounts made straight through the users module: many, and no signup rate limit. */
  const makeAccounts = async (emails: string[]) => {
    const ids: string[] = [];
    for (const email of emails) ids.push((await t.app.get(UsersService).create({ email, passwordHash: null })).id);
    return ids;
  };
  const webhookEvents = (userId: string) =>
    t.dataSource
      .query(`SELECT type, data FROM webhook_events WHERE user_id = $1 ORDER BY created_at, id`, [userId])
      .then((rows: Array<{ type: string; data: Record<string, unknown> }>) => rows);

  describe('GET /admin/users', () => {
    it('pages newest first without gaps or duplicates while accounts are made between pages', async () => {
      const tag = `page${Date.now().toString(36)}`;
      // Several share a creation instant: the id breaks the tie.
      const before: string[] = [];
      for (let i = 0; i < 7; i++) {
        before.push(...(await makeAccounts([`${tag}-${i}a@example.com`, `${tag}-${i}b@example.com`])));
        t.clock.advance(1000);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: {
          headers: Record<string, string>;
          body: { data: Array<{ id: string }>; nextCursor: string | null };
        } = await read(`/admin/users?q=${tag}&limit=3${cursor ? `&cursor=${cursor}` : ''}`).expect(200);
        expect(res.headers['cache-control']).toBe('no-store');
        expect(res.body.data.length).toBeLessThanOrEqual(3);
        seen.push(...res.body.data.map((user) => user.id));
        cursor = res.body.nextCursor;
        pages += 1;
        // Newer accounts arrive while the operator pages.
        t.clock.advance(1000);
        await makeAccounts([`${tag}-new${pages}@example.com`]);
      } while (cursor);
      // Exactly the accounts there were when paging began, each once, newest first (ties by id, descending);
      // those made meanwhile are newer than every cursor and belong to a fresh first page.
      const rows: Array<{ id: string }> = await t.dataSource.query(
        `SELECT id FROM users WHERE id = ANY($1::uuid[]) ORDER BY created_at DESC, id DESC`,
        [before],
      );
      expect(seen).toEqual(rows.map((row) => row.id));
      expect(pages).toBe(5);
      const fresh = await read(`/admin/users?q=${tag}&limit=100`).expect(200);
      expect(fresh.body.data).toHaveLength(before.length + pages);
    });

    it('matches an address prefix as addresses are normalised, and an exact id', async () => {
      const tag = `pfx${Date.now().toString(36)}`;
      const [underscore, plain, other] = await makeAccounts([
        `${tag}_x@example.com`,
        `${tag}ax@example.com`,
        `other-${tag}@example.com`,
      ]);
      const ids = async (q: string) =>
        (await read(`/admin/users?q=${encodeURIComponent(q)}`).expect(200)).body.data.map((u: { id: string }) => u.id);
      expect(await ids(tag.toUpperCase())).toEqual(expect.arrayContaining([underscore, plain]));
      expect(await ids(`  ${tag}  `)).toHaveLength(2);
      // LIKE wildcards are literal characters.
      expect(await ids(`${tag}_`)).toEqual([underscore]);
      expect(await ids(`${tag}%`)).toEqual([]);
      expect(await ids(`%${tag}`)).toEqual([]);
      expect(await ids(`${tag}ax@EXAMPLE.com`)).toEqual([plain]);
      expect(await ids(other)).toEqual([other]);
      expect(await ids('00000000-0000-4000-8000-000000000000')).toEqual([]);
    });

    it('answers the User with lockedAt, suspendedAt and lastSignInAt (the latest sign-in)', async () => {
      const user = await signUpVerified(t);
      const signedUpAt = t.clock.now().toISOString();
      const listed = async () => (await read(`/admin/users?q=${user.id}`).expect(200)).body;
      expect(await listed()).toEqual({
        data: [
          {
            id: user.id,
            email: user.email,
            name: null,
            emailVerified: true,
            twoFactorEnabled: false,
            hasPassword: true,
            hasPasskey: false,
            ssoProviderId: null,
            createdAt: signedUpAt,
            deletionScheduledFor: null,
            lockedAt: null,
            suspendedAt: null,
            lastSignInAt: signedUpAt,
          },
        ],
        nextCursor: null,
      });
      t.clock.advance(3_600_000);
      await logIn(t, user.email);
      expect((await listed()).data[0].lastSignInAt).toBe(t.clock.now().toISOString());
      const [never] = await makeAccounts([uniqueEmail('never')]);
      expect((await read(`/admin/users?q=${never}`).expect(200)).body.data[0].lastSignInAt).toBeNull();
    });

    it('refuses a limit over 100, a cursor it did not give, and unknown parameters with 400', async () => {
      const bad = [
        '/admin/users?limit=101',
        '/admin/users?limit=0',
        '/admin/users?limit=ten',
        '/admin/users?cursor=garbage!',
        `/admin/users?cursor=${Buffer.from('["2026-02-30T00:00:00.000000","00000000-0000-4000-8000-000000000000"]').toString('base64url')}`,
        `/admin/users?cursor=${Buffer.from('["x"]').toString('base64url')}`,
        `/admin/users?cursor=${Buffer.from('{}').toString('base64url')}`,
        '/admin/users?q=a&q=b',
        '/admin/users?sort=email',
        // Text PostgreSQL cannot hold: a 400, not a 500 from the database.
        '/admin/users?q=ada%00',
      ];
      for (const path of bad) {
        const res = await read(path);
        expect([path, res.status, res.body.error]).toEqual([path, 400, 'validation_failed']);
      }
      const page = await read('/admin/users?limit=100').expect(200);
      expect(page.body.data.length).toBeLessThanOrEqual(100);
    });

    it('needs users:read', async () => {
      const res = await t.http.get('/admin/users').set(bearer(writer.key)).expect(403);
      expect(res.body.error).toBe('insufficient_scope');
    });
  });

  describe('GET /admin/users/:id', () => {
    it('shows the sessions, organizations and roles, factors and SSO identities', async () => {
      const user = await signUpVerified(t);
      const second = await logIn(t, user.email, {
        headers: { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0' },
      });
      const org = await t.http.post('/orgs').set(bearer(second.token)).send({ name: 'Acme' }).expect(201);
      const res = await read(`/admin/users/${user.id}`).expect(200);
      expect(res.body).toMatchObject({
        id: user.id,
        email: user.email,
        lockedAt: null,
        lockReason: null,
        lastSignInAt: expect.any(String),
        organizations: [{ id: org.body.id, name: 'Acme', role: 'owner' }],
        factors: { totp: false, passkeys: 0 },
        ssoIdentities: [],
      });
      expect(res.body.sessions.map((s: { id: string }) => s.id).sort()).toEqual(
        [user.sessionId, second.sessionId].sort(),
      );
      expect(res.body.sessions.every((s: { current: boolean }) => s.current === false)).toBe(true);
      expect(res.body.sessions.find((s: { id: string }) => s.id === second.sessionId)).toMatchObject({
        authMethod: 'password',
        deviceName: expect.stringContaining('Firefox'),
      });
      // No secret of any kind.
      expect(JSON.stringify(res.body)).not.toContain(second.token);

      const confirmed = await t.http
        .post('/auth/confirm')
        .set(bearer(second.token))
        .send({ password: PASSWORD })
        .expect(200);
      await enableTotp(t, confirmed.body.session.token);
      expect((await read(`/admin/users/${user.id}`).expect(200)).body.factors).toEqual({ totp: true, passkeys: 0 });
    });

    it('answers 404 for an unknown id and for something that is no id', async () => {
      await read('/admin/users/00000000-0000-4000-8000-000000000000').expect(404);
      await read('/admin/users/nope').expect(404);
    });
  });

  describe('as the account changes', () => {
    it('finds the account under its new address after an email change, and not under the old one', async () => {
      const user = await signUpVerified(t);
      const token = await confirmPassword(t, user.token);
      const moved = uniqueEmail('moved');
      await t.http.post('/me/email').set(bearer(token)).send({ email: moved }).expect(200);
      const ids = async (q: string) =>
        (await read(`/admin/users?q=${encodeURIComponent(q)}`).expect(200)).body.data.map((u: { id: string }) => u.id);
      expect(await ids(moved)).toEqual([user.id]);
      expect(await ids(user.email)).toEqual([]);
      expect((await read(`/admin/users/${user.id}`).expect(200)).body).toMatchObject({
        email: moved,
        emailVerified: false,
      });
    });

    it('shows a suspension by a directory, and memberships and roles as they change', async () => {
      const owner = await signUpVerified(t);
      const member = await signUpVerified(t);
      const org = (await t.http.post('/orgs').set(bearer(owner.token)).send({ name: 'Directory' }).expect(201)).body;
      await addMember(t, org.id, owner, member);
      const organizations = async () => (await read(`/admin/users/${member.id}`).expect(200)).body.organizations;
      expect(await organizations()).toEqual([{ id: org.id, name: 'Directory', role: 'member' }]);
      await t.http
        .patch(`/orgs/${org.id}/members/${member.id}`)
        .set(bearer(owner.token))
        .send({ role: 'admin' })
        .expect(200);
      expect(await organizations()).toEqual([{ id: org.id, name: 'Directory', role: 'admin' }]);

      await t.app.get(UsersService).setSuspension(member.id, org.id, true);
      const listed = (await read(`/admin/users?q=${member.id}`).expect(200)).body.data[0];
      expect(listed).toMatchObject({ suspendedAt: t.clock.now().toISOString(), lockedAt: null });

      await t.http.delete(`/orgs/${org.id}/members/${member.id}`).set(bearer(owner.token)).expect(204);
      expect(await organizations()).toEqual([]);
    });
  });

  describe('lock and unlock', () => {
    it('refuses a passkey sign-in of a locked account, and takes it again once unlocked', async () => {
      const user = await signUpVerified(t);
      const authenticator = new SoftAuthenticator('http://localhost:3000');
      const creation = await t.http.post('/me/passkeys/options').set(bearer(user.token)).expect(200);
      await t.http
        .post('/me/passkeys')
        .set(bearer(user.token))
        .send({ challengeId: creation.body.challengeId, response: authenticator.create(creation.body.options) })
        .expect(201);
      const passkeyLogin = async () => {
        const request = await t.http.post('/auth/passkey/options').send({}).expect(200);
        return t.http
          .post('/auth/passkey/login')
          .send({ challengeId: request.body.challengeId, response: authenticator.get(request.body.options) });
      };

      await write('post', `/admin/users/${user.id}/lock`, { reason: 'stolen laptop' }).expect(200);
      const refused = await passkeyLogin();
      expect([refused.status, refused.body.error]).toEqual([403, 'account_locked']);
      await write('post', `/admin/users/${user.id}/unlock`).expect(200);
      expect((await passkeyLogin()).status).toBe(200);
    });

    it('ends every session and API key at once, refuses every sign-in, and unlocking lets the account in again', async () => {
      const user = await signUpVerified(t);
      const other = await logIn(t, user.email);
      const key = await createApiKey(t, other.token);
      await t.http.get('/me').set(bearer(key.key)).expect(200);

      const locked = await write('post', `/admin/users/${user.id}/lock`, { reason: 'chargeback fraud' }).expect(200);
      expect(locked.body).toMatchObject({ id: user.id, lockedAt: t.clock.now().toISOString(), suspendedAt: null });

      // Live credentials die at once.
      for (const token of [user.token, other.token, key.key]) {
        const res = await t.http.get('/me').set(bearer(token));
        expect(res.status).toBe(401);
      }
      // The step-up confirmation needs a live session: there is none left.
      await t.http.post('/auth/confirm').set(bearer(other.token)).send({ password: PASSWORD }).expect(401);

      // Every sign-in method this account has answers account_locked.
      const login = await t.http.post('/auth/login').send({ email: user.email, password: PASSWORD }).expect(403);
      expect(login.body).toMatchObject({ statusCode: 403, error: 'account_locked' });
      await t.http.post('/auth/email/start').send({ email: user.email }).expect(202);
      const [signInMail] = await t.mail.waitFor((m) => m.to === user.email && m.subject.includes('Sign in'));
      const code = /\b(\d{6})\b/.exec(signInMail.text)![1];
      const byCode = await t.http.post('/auth/email/verify').send({ email: user.email, code }).expect(403);
      expect(byCode.body.error).toBe('account_locked');

      // A password reset by mail does not let it in either.
      await t.http.post('/auth/password/forgot').send({ email: user.email }).expect(202);
      const [resetMail] = await t.mail.waitFor((m) => m.to === user.email && m.subject.includes('Reset'));
      const token = /reset-password\?token=([A-Za-z0-9_-]+)/.exec(resetMail.text)![1];
      const newPassword = 'Another-Horse-Battery-43';
      await t.http.post('/auth/password/reset').send({ token, newPassword });
      const afterReset = await t.http.post('/auth/login').send({ email: user.email, password: newPassword });
      expect([afterReset.status, afterReset.body.error]).toEqual([403, 'account_locked']);

      const unlocked = await write('post', `/admin/users/${user.id}/unlock`).expect(200);
      expect(unlocked.body.lockedAt).toBeNull();
      const back = await logIn(t, user.email, { password: newPassword });
      await t.http.get('/me').set(bearer(back.token)).expect(200);
      // What the lock ended stays ended.
      await t.http.get('/me').set(bearer(key.key)).expect(401);
      await t.http.get('/me').set(bearer(other.token)).expect(401);

      expect((await webhookEvents(user.id)).filter((e) => e.type.startsWith('user.'))).toEqual(
        expect.arrayContaining([
          { type: 'user.locked', data: { userId: user.id } },
          { type: 'user.unlocked', data: { userId: user.id } },
        ]),
      );
      const audit: Array<{ action: string; details: Record<string, unknown> }> = await t.dataSource.query(
        `SELECT action, details FROM audit_log WHERE target = $1 AND action IN ('user.locked', 'user.unlocked') ORDER BY id`,
        [`user:${user.id}`],
      );
      expect(audit).toEqual([
        { action: 'user.locked', details: { reason: 'chargeback fraud', adminKeyId: writer.id } },
        { action: 'user.unlocked', details: { adminKeyId: writer.id } },
      ]);
    });

    it('lets no credential that a request was making as the lock committed work afterwards', async () => {
      const user = await signUpVerified(t);
      const session = { id: user.sessionId, tokenHash: hashToken(user.token) };
      const view = await t.app.get(UsersService).getById(user.id);
      const client = { ip: '203.0.113.7', userAgent: 'race' };
      // A POST /me/api-keys (and a sign-in) already past its checks, its transaction still open when the lock commits.
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let written!: () => void;
      const inserted = new Promise<void>((resolve) => (written = resolve));
      const racing = t.app.get(TransactionHost).withTransaction(async () => {
        const key = await t.app.get(ApiKeysService).create(view, session, 'racer', client);
        const issued = await t.app
          .get(SessionsService)
          .issue(view, client, 'password', { alertOnNewIp: false, amr: ['pwd'] });
        written();
        await gate;
        return { key: key.key, token: issued.token };
      });
      await inserted;
      await write('post', `/admin/users/${user.id}/lock`, { reason: 'race' }).expect(200);
      release();
      const late = await racing;
      await t.http.get('/me').set(bearer(late.key)).expect(401);
      await t.http.get('/me').set(bearer(late.token)).expect(401);
      const introspect = await createAdminKey(t, 'sessions:introspect');
      for (const token of [late.key, late.token]) {
        const answer = await t.http.post('/auth/introspect').set(bearer(introspect.key)).send({ token }).expect(200);
        expect(answer.body).toEqual({ active: false });
      }
      await write('post', `/admin/users/${user.id}/unlock`).expect(200);
    });

    it('keeps the first reason when locking again, and unlocking an unlocked account changes nothing', async () => {
      const user = await signUpVerified(t);
      await write('post', `/admin/users/${user.id}/unlock`).expect(200);
      await write('post', `/admin/users/${user.id}/lock`, { reason: 'first' }).expect(200);
      const lockedAt = t.clock.now().toISOString();
      t.clock.advance(1000);
      const again = await write('post', `/admin/users/${user.id}/lock`, { reason: 'second' }).expect(200);
      expect(again.body.lockedAt).toBe(lockedAt);
      expect((await read(`/admin/users/${user.id}`).expect(200)).body.lockReason).toBe('first');
      const events = await webhookEvents(user.id);
      expect(events.filter((e) => e.type === 'user.locked')).toHaveLength(1);
      expect(events.filter((e) => e.type === 'user.unlocked')).toHaveLength(0);
    });

    it('validates the reason and answers 404 for an unknown account', async () => {
      const user = await signUpVerified(t);
      for (const body of [{}, { reason: '' }, { reason: 'x'.repeat(501) }, { reason: 'x', extra: true }]) {
        const res = await write('post', `/admin/users/${user.id}/lock`, body).expect(400);
        expect(res.body.error).toBe('validation_failed');
      }
      await write('post', '/admin/users/00000000-0000-4000-8000-000000000000/lock', { reason: 'x' }).expect(404);
      await t.http.get('/me').set(bearer(user.token)).expect(200);
    });
  });

  describe('DELETE /admin/users/:id/sessions', () => {
    it('signs the account out everywhere and answers how many; its API keys stay', async () => {
      const user = await signUpVerified(t);
      const other = await logIn(t, user.email);
      const key = await createApiKey(t, other.token);
      await write('delete', `/admin/users/${user.id}/sessions`).expect(200, { revoked: 2 });
      await t.http.get('/me').set(bearer(user.token)).expect(401);
      await t.http.get('/me').set(bearer(other.token)).expect(401);
      await t.http.get('/me').set(bearer(key.key)).expect(200);
      await write('delete', `/admin/users/${user.id}/sessions`).expect(200, { revoked: 0 });
      expect((await webhookEvents(user.id)).filter((e) => e.type === 'session.revoked')).toEqual([
        { type: 'session.revoked', data: { userId: user.id, count: 2, reason: 'admin' } },
      ]);
      await write('delete', '/admin/users/00000000-0000-4000-8000-000000000000/sessions').expect(404);
    });
  });

  describe('POST /admin/users/:id/deletion', () => {
    it('schedules the deletion as DELETE /me does: grace period, every session ended, a mail', async () => {
      const user = await signUpVerified(t);
      const res = await write('post', `/admin/users/${user.id}/deletion`).expect(202);
      const due = new Date(t.clock.now().getTime() + t.config.deletionGracePeriodMs).toISOString();
      expect(res.body).toEqual({ deletionScheduledFor: due, deleted: false });
      await t.http.get('/me').set(bearer(user.token)).expect(401);
      await t.mail.waitFor((m) => m.to === user.email && m.subject.includes('scheduled for deletion'));
      // The user may still cancel it.
      const back = await logIn(t, user.email);
      await t.http.post('/me/deletion/cancel').set(bearer(back.token)).expect(200);
      // Asking twice answers the date already set.
      await write('post', `/admin/users/${user.id}/deletion`, { immediate: false }).expect(202);
      t.clock.advance(1000);
      const again = await write('post', `/admin/users/${user.id}/deletion`).expect(202);
      expect(again.body.deletionScheduledFor).toBe(
        (await read(`/admin/users/${user.id}`).expect(200)).body.deletionScheduledFor,
      );
      const [row] = await t.dataSource.query(
        `SELECT details FROM audit_log WHERE action = 'user.deletion_scheduled' AND target = $1 ORDER BY id DESC LIMIT 1`,
        [`user:${user.id}`],
      );
      expect(row.details).toMatchObject({ adminKeyId: writer.id });
    });

    it('erases the account now with immediate: true, leaving no trace of its id in the audit log', async () => {
      const user = await signUpVerified(t);
      await write('post', `/admin/users/${user.id}/lock`, { reason: 'spam' }).expect(200);
      const res = await write('post', `/admin/users/${user.id}/deletion`, { immediate: true }).expect(202);
      expect(res.body).toEqual({ deletionScheduledFor: null, deleted: true });
      expect(await t.dataSource.query('SELECT id FROM users WHERE id = $1', [user.id])).toEqual([]);
      await t.mail.waitFor((m) => m.to === user.email && m.subject.includes('was deleted'));
      const [{ n }] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM audit_log
          WHERE actor_id = $1 OR target LIKE '%' || $2 || '%' OR details::text LIKE '%' || $2 || '%'`,
        [user.id, user.id],
      );
      expect(n).toBe(0);
      const erased: Array<{ action: string; details: Record<string, unknown> | null }> = await t.dataSource.query(
        `SELECT action, details FROM audit_log WHERE action IN ('user.erased_by_operator', 'user.deleted')
          AND created_at = $1 ORDER BY id`,
        [t.clock.now()],
      );
      expect(erased.map((row) => row.action)).toEqual(['user.erased_by_operator', 'user.deleted']);
      expect(erased[0].details).toEqual({ adminKeyId: writer.id });
      await write('post', `/admin/users/${user.id}/deletion`, { immediate: true }).expect(404);
      await write('post', `/admin/users/${user.id}/deletion`).expect(404);
      const login = await t.http.post('/auth/login').send({ email: user.email, password: PASSWORD }).expect(401);
      expect(login.body.error).toBe('invalid_credentials');
    });

    it('validates immediate', async () => {
      const user = await signUpVerified(t);
      await write('post', `/admin/users/${user.id}/deletion`, { immediate: 'yes' }).expect(400);
      await t.http.get('/me').set(bearer(user.token)).expect(200);
    });
  });
});
