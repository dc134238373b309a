import { Injectable } from '@nestjs/common';
import { ErasedAccount, UserData, UserDataHandler } from '../../../src/common/user-data';
import { MailDelivery } from '../../../src/mail';
import { TaskRunner } from '../../../src/tasks';
import { startTestApp, TestApp } from '../../support/test-app';
import { addMember, invite } from '../../support/orgs';
import {
  actingAs,
  bearer,
  confirmPassword,
  createApiKey,
  enableTotp,
  logIn,
  PASSWORD,
  SignedUp,
  signUp,
  signUpVerified,
  uniqueEmail,
  verificationToken,
} from '../../support/users';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const GRACE = 30 * DAY;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The error body of docs/api.md: statusCode, error and message (plus extra fields). */
const errorBody = (status: number, error: string) => ({
  statusCode: status,
  error,
  message: expect.any(String),
});

/** Whether a mail's text names the date, in any of the usual renderings. */
function mentionsDate(text: string, iso: string): boolean {
  const date = new Date(iso);
  const renderings = [
    iso,
    iso.slice(0, 10),
    date.toUTCString(),
    date.toUTCString().slice(5, 16),
    new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeZone: 'UTC' }).format(date),
    new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeZone: 'UTC' }).format(date),
    new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeZone: 'UTC' }).format(date),
    new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' }).format(date),
  ];
  return renderings.some((rendering) => text.includes(rendering));
}

/** Runs a task; true when it rejected or reported a failure in its result. */
async function runFails(runner: TaskRunner, name: string): Promise<boolean> {
  try {
    const outcome = await runner.run(name);
    if (outcome.status !== 'done') return false;
    return Object.entries(outcome.result).some(
      ([key, value]) => /fail|error/i.test(key) && value !== 0 && value !== false && value !== '',
    );
  } catch {
    return true;
  }
}

async function count(t: TestApp, table: string, column: string, value: string): Promise<number> {
  const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${column} = $1`, [value]);
  return n;
}

/** Schedules the deletion with a fresh step-up; answers the deletion date. */
/** Confirms (with a code beside the password when two-factor is on) and schedules the deletion. */
async function scheduleDeletion(t: TestApp, user: { token: string }, totpCode?: string): Promise<string> {
  user.token = await confirmPassword(t, user.token, PASSWORD, totpCode);
  const res = await t.http.delete('/me').set(bearer(user.token)).expect(202);
  return res.body.deletionScheduledFor;
}

describe('account deletion', () => {
  let t: TestApp;
  let runner: TaskRunner;
  beforeAll(async () => {
    t = await startTestApp();
    runner = t.app.get(TaskRunner);
  });
  afterAll(() => t.close());

  /** Each group starts a fresh hour: signups are limited to 20 per IP per hour. */
  const freshHour = () => t.clock.advance(HOUR + MINUTE);

  describe('DELETE /me', () => {
    beforeAll(() => freshHour());

    it('needs a session: an API key answers 403 api_key_not_allowed and schedules nothing', async () => {
      const user = await signUpVerified(t);
      const key = await createApiKey(t, user.token);
      const res = await t.http.delete('/me').set(bearer(key.key)).expect(403);
      expect(res.body).toEqual(errorBody(403, 'api_key_not_allowed'));
      const [row] = await t.dataSource.query('SELECT deletion_scheduled_for FROM users WHERE id = $1', [user.id]);
      expect(row.deletion_scheduled_for).toBeNull();
    });

    it('needs a recent step-up: 403 step_up_required once STEP_UP_WINDOW has passed', async () => {
      const user = await signUpVerified(t);
      t.clock.advance(6 * MINUTE);
      const refused = await t.http.delete('/me').set(bearer(user.token)).expect(403);
      expect(refused.body).toMatchObject({ error: 'step_up_required', confirmUrl: '/auth/confirm' });
      const [row] = await t.dataSource.query('SELECT deletion_scheduled_for FROM users WHERE id = $1', [user.id]);
      expect(row.deletion_scheduled_for).toBeNull();

      const token = await confirmPassword(t, user.token);
      await t.http.delete('/me').set(bearer(token)).expect(202);
    });

    it('answers 202 with a date DELETION_GRACE_PERIOD ahead, revokes the other sessions, mails and audits', async () => {
      const user = await signUpVerified(t);
      const other = await logIn(t, user.email);
      const expected = new Date(t.clock.now().getTime() + GRACE).toISOString();

      const res = await t.http.delete('/me').set(bearer(user.token)).expect(202);
      expect(res.body).toEqual({ deletionScheduledFor: expected });

      const [row] = await t.dataSource.query('SELECT deletion_scheduled_for FROM users WHERE id = $1', [user.id]);
      expect(row.deletion_scheduled_for.toISOString()).toBe(expected);
      // Every other session is revoked; the current one goes on.
      await t.http.get('/me').set(bearer(other.token)).expect(401);
      await t.http.get('/me').set(bearer(user.token)).expect(200);

      const [mail] = await t.mail.waitFor((m) => m.to === user.email && /delet/i.test(m.subject));
      expect(mentionsDate(mail.text, expected)).toBe(true);
      expect(mail.text).toMatch(/\/me\/deletion\/cancel|cancel/i);

      const actions = await t.dataSource.query('SELECT action FROM audit_log WHERE actor_id = $1', [user.id]);
      expect(actions.map((a: { action: string }) => a.action)).toContain('user.deletion_scheduled');
    });

    it('works for an unverified user too', async () => {
      const user = await signUp(t);
      const expected = new Date(t.clock.now().getTime() + GRACE).toISOString();
      const res = await t.http.delete('/me').set(bearer(user.token)).expect(202);
      expect(res.body).toEqual({ deletionScheduledFor: expected });
    });

    it('answers the same date when asked twice, even a day later', async () => {
      const user = await signUpVerified(t);
      const first = (await t.http.delete('/me').set(bearer(user.token)).expect(202)).body.deletionScheduledFor;
      t.clock.advance(DAY);
      // The session idled out meanwhile; signing in is an authentication, so step-up holds.
      const again = await logIn(t, user.email);
      const second = await t.http.delete('/me').set(bearer(again.token)).expect(202);
      expect(second.body).toEqual({ deletionScheduledFor: first });
      const [row] = await t.dataSource.query('SELECT deletion_scheduled_for FROM users WHERE id = $1', [user.id]);
      expect(row.deletion_scheduled_for.toISOString()).toBe(first);
    });

    it('refuses a body with the error body, and schedules nothing', async () => {
      const user = await signUpVerified(t);
      const res = await t.http.delete('/me').set(bearer(user.token)).send({ now: true });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject(errorBody(400, 'validation_failed'));
      const [row] = await t.dataSource.query('SELECT deletion_scheduled_for FROM users WHERE id = $1', [user.id]);
      expect(row.deletion_scheduled_for).toBeNull();
    });
  });

  describe('during the grace period', () => {
    let user: SignedUp;
    let owner: SignedUp;
    let orgId: string;
    let key: string;
    let scheduledFor: string;

    beforeAll(async () => {
      freshHour();
      owner = await signUpVerified(t, undefined, undefined, 'Grace Owner');
      orgId = (await t.http.post('/orgs').set(bearer(owner.token)).send({ name: 'Grace Org' }).expect(201)).body.id;
      user = await signUpVerified(t, undefined, undefined, 'Gail Leaving');
      key = (await createApiKey(t, user.token)).key;
      await t.http.get('/me').set(bearer(key)).expect(200);
      scheduledFor = (await t.http.delete('/me').set(bearer(user.token)).expect(202)).body.deletionScheduledFor;
    });

    const pendingDeletion = () => ({
      ...errorBody(403, 'account_pending_deletion'),
      cancelUrl: '/me/deletion/cancel',
      deletionScheduledFor: scheduledFor,
    });

    it('keeps GET /me open, with deletionScheduledFor', async () => {
      const res = await t.http.get('/me').set(bearer(user.token)).expect(200);
      expect(res.body).toMatchObject({ id: user.id, deletionScheduledFor: scheduledFor });
      expect(new Date(res.body.deletionScheduledFor).toISOString()).toBe(res.body.deletionScheduledFor);
    });

    it('answers 403 account_pending_deletion on every other route', async () => {
      const closed: Array<['get' | 'post' | 'patch', string, object?]> = [
        ['patch', '/me', { name: 'Still Here' }],
        ['post', '/orgs', { name: 'New Org' }],
        ['get', '/orgs'],
        ['post', '/me/api-keys', { name: 'another' }],
        ['get', '/me/api-keys'],
      ];
      for (const [method, path, payload] of closed) {
        const res = await t.http[method](path)
          .set(bearer(user.token))
          .send(payload ?? {});
        expect({ method, path, status: res.status, body: res.body }).toEqual({
          method,
          path,
          status: 403,
          body: pendingDeletion(),
        });
      }
      const [row] = await t.dataSource.query('SELECT name FROM users WHERE id = $1', [user.id]);
      expect(row.name).toBe('Gail Leaving');
    });

    it('answers 403 account_pending_deletion to the user’s API keys', async () => {
      for (const path of ['/me', '/orgs']) {
        const res = await t.http.get(path).set(bearer(key));
        expect({ path, status: res.status, body: res.body }).toEqual({ path, status: 403, body: pendingDeletion() });
      }
    });

    it('still signs the user in, with deletionScheduledFor', async () => {
      const res = await t.http.post('/auth/login').send({ email: user.email, password: PASSWORD }).expect(200);
      expect(res.body.user).toMatchObject({ id: user.id, deletionScheduledFor: scheduledFor });
    });

    it('keeps the session routes open: list, revoke one, revoke all others', async () => {
      const second = await logIn(t, user.email);
      const list = await t.http.get('/me/sessions').set(bearer(user.token)).expect(200);
      expect(list.body.map((s: { id: string }) => s.id)).toEqual(
        expect.arrayContaining([user.sessionId, second.sessionId]),
      );

      await t.http.delete(`/me/sessions/${second.sessionId}`).set(bearer(user.token)).expect(204);
      await t.http.get('/me').set(bearer(second.token)).expect(401);

      const third = await logIn(t, user.email);
      const all = await t.http.delete('/me/sessions').set(bearer(user.token)).expect(200);
      expect(all.body.revoked).toBeGreaterThanOrEqual(1);
      await t.http.get('/me').set(bearer(third.token)).expect(401);
      await t.http.get('/me').set(bearer(user.token)).expect(200);
    });

    it('keeps POST /auth/confirm and GET /me/export open', async () => {
      user.token = await confirmPassword(t, user.token);
      const res = await t.http.get('/me/export').set(bearer(user.token)).expect(200);
      expect(res.body.profile).toMatchObject({ id: user.id, email: user.email });
    });

    it('answers 409 email_taken to a signup with the address', async () => {
      const res = await t.http.post('/auth/signup').send({ email: user.email, password: PASSWORD }).expect(409);
      expect(res.body.error).toBe('email_taken');
    });

    it('cannot join an organization: an invitation is answered as for anyone, but the account cannot take it', async () => {
      const token = await invite(t, orgId, owner, user.email, 'member');
      const res = await t.http.post('/invitations/accept').set(bearer(user.token)).send({ token }).expect(403);
      expect(res.body.error).toBe('account_pending_deletion');
      expect(await count(t, 'org_members', 'user_id', user.id)).toBe(0);
    });

    it('keeps POST /auth/logout open', async () => {
      const session = await logIn(t, user.email);
      await t.http.post('/auth/logout').set(bearer(session.token)).expect(204);
      await t.http.get('/me').set(bearer(session.token)).expect(401);
    });

    it('reopens every route after a cancel, the API keys included', async () => {
      await t.http.post('/me/deletion/cancel').set(bearer(user.token)).expect(200);
      expect((await t.http.get('/me').set(bearer(key)).expect(200)).body).toMatchObject({
        id: user.id,
        deletionScheduledFor: null,
      });
      await t.http.get('/orgs').set(bearer(key)).expect(200);
      await t.http.patch('/me').set(bearer(user.token)).send({ name: 'Gail Staying' }).expect(200);
    });
  });

  describe('POST /me/deletion/cancel', () => {
    beforeAll(() => freshHour());

    it('cancels without step-up: the User back, a mail, an audit row; a second cancel answers 409', async () => {
      const user = await signUpVerified(t);
      await t.http.delete('/me').set(bearer(user.token)).expect(202);
      await t.mail.waitFor((m) => m.to === user.email && /delet/i.test(m.subject));
      const cancelMails = () => t.mail.messages.filter((m) => m.to === user.email && /cancel/i.test(m.subject)).length;
      const before = cancelMails();

      t.clock.advance(10 * MINUTE);
      const res = await t.http.post('/me/deletion/cancel').set(bearer(user.token)).expect(200);
      expect(res.body).toMatchObject({ id: user.id, email: user.email, deletionScheduledFor: null });
      const [row] = await t.dataSource.query('SELECT deletion_scheduled_for FROM users WHERE id = $1', [user.id]);
      expect(row.deletion_scheduled_for).toBeNull();

      await t.mail.waitFor((m) => m.to === user.email && /cancel/i.test(m.subject), before + 1);
      const actions = await t.dataSource.query('SELECT action FROM audit_log WHERE actor_id = $1', [user.id]);
      expect(actions.map((a: { action: string }) => a.action)).toContain('user.deletion_cancelled');
      await t.http.patch('/me').set(bearer(user.token)).send({ name: 'Back Again' }).expect(200);

      const again = await t.http.post('/me/deletion/cancel').set(bearer(user.token)).expect(409);
      expect(again.body).toEqual(errorBody(409, 'deletion_not_scheduled'));
    });

    it('answers 409 deletion_not_scheduled when none is', async () => {
      const user = await signUp(t);
      const res = await t.http.post('/me/deletion/cancel').set(bearer(user.token)).expect(409);
      expect(res.body.error).toBe('deletion_not_scheduled');
    });
  });

  describe('GET /me/export', () => {
    beforeAll(() => freshHour());

    it('needs a session and a recent step-up', async () => {
      const user = await signUpVerified(t);
      const key = await createApiKey(t, user.token);
      expect((await t.http.get('/me/export').set(bearer(key.key)).expect(403)).body).toEqual(
        errorBody(403, 'api_key_not_allowed'),
      );
      t.clock.advance(6 * MINUTE);
      expect((await t.http.get('/me/export').set(bearer(user.token)).expect(403)).body.error).toBe('step_up_required');
      const token = await confirmPassword(t, user.token);
      await t.http.get('/me/export').set(bearer(token)).expect(200);
    });

    it('answers an attachment with every section, and never a secret', async () => {
      const user = await signUpVerified(t, undefined, undefined, 'Erin Export');
      const second = await logIn(t, user.email);
      const key = await createApiKey(t, user.token, 'export key');
      const orgId = (await t.http.post('/orgs').set(bearer(user.token)).send({ name: 'Export Org' }).expect(201)).body
        .id;
      await t.http
        .post(`/orgs/${orgId}/documents`)
        .set(bearer(user.token))
        .send({ title: 'Export notes', body: 'Things to keep.' })
        .expect(201);
      const invited = `invited-${Date.now().toString(36)}@example.com`;
      const invitationLink = await invite(t, orgId, user, invited, 'admin');
      const inviter = await signUpVerified(t);
      const otherOrg = (await t.http.post('/orgs').set(bearer(inviter.token)).send({ name: 'Inviting' }).expect(201))
        .body.id;
      const invitationToMe = await invite(t, otherOrg, inviter, user.email, 'member');
      const totp = await enableTotp(t, user.token);
      const sessions = (await t.http.get('/me/sessions').set(bearer(user.token)).expect(200)).body;
      const ip = sessions[0].ip as string;

      const res = await t.http.get('/me/export').set(bearer(user.token)).expect(200);
      expect(res.headers['content-disposition']).toMatch(/^attachment/);
      expect(res.headers['content-type']).toMatch(/json/);
      const body = res.body;

      expect(body.profile).toMatchObject({ id: user.id, email: user.email, name: 'Erin Export' });

      expect(Array.isArray(body.sessions)).toBe(true);
      expect(body.sessions.map((s: { id: string }) => s.id)).toEqual(
        expect.arrayContaining([user.sessionId, second.sessionId]),
      );
      for (const session of body.sessions) {
        expect(session).toMatchObject({
          id: expect.any(String),
          ip: expect.any(String),
          deviceName: expect.any(String),
        });
        expect(Object.keys(session).filter((k) => /token|hash/i.test(k))).toEqual([]);
      }

      expect(body.apiKeys).toEqual([expect.objectContaining({ id: key.id, name: 'export key', prefix: key.prefix })]);
      expect(Object.keys(body.apiKeys[0]).filter((k) => k === 'key' || /hash/i.test(k))).toEqual([]);

      expect(body.twoFactor).toMatchObject({ enabled: true });

      expect(
        body.organizations.some((o: Record<string, unknown>) => o.role === 'owner' && Object.values(o).includes(orgId)),
      ).toBe(true);

      expect(body.documents).toEqual(expect.arrayContaining([expect.objectContaining({ title: 'Export notes' })]));
      expect(body.invitationsSent).toEqual([expect.objectContaining({ orgId, email: invited, role: 'admin' })]);
      expect(body.invitationsReceived).toEqual([expect.objectContaining({ orgId: otherOrg, role: 'member' })]);

      expect(body.audit.length).toBeGreaterThan(0);
      for (const event of body.audit) {
        expect(event).toMatchObject({ action: expect.any(String), createdAt: expect.any(String) });
      }
      expect(body.audit.map((e: { action: string }) => e.action)).toEqual(
        expect.arrayContaining(['user.signup', 'api_key.created', 'org.created', 'user.two_factor_enabled']),
      );

      expect(JSON.stringify(body.knownAddresses)).toContain(ip);

      const dump = JSON.stringify(body);
      for (const secret of [
        key.key,
        user.token,
        second.token,
        totp.secret,
        ...totp.recoveryCodes,
        invitationLink,
        invitationToMe,
      ]) {
        expect(dump).not.toContain(secret);
      }
      for (const code of totp.recoveryCodes) expect(dump).not.toContain(code.replace(/-/g, ''));
      expect(dump).not.toContain('$argon2');
    });

    it('shows an unverified address nothing sent to it: no invitation, no audit row about it', async () => {
      const inviter = await signUpVerified(t, undefined, undefined, 'Ivy Inviter');
      const orgId = (await t.http.post('/orgs').set(bearer(inviter.token)).send({ name: 'Secret Plans' }).expect(201))
        .body.id;
      const address = uniqueEmail('squatted');
      await invite(t, orgId, inviter, address, 'admin');
      // Someone signs up with the invited address and never proves it.
      const squatter = await signUp(t, address);
      squatter.token = await confirmPassword(t, squatter.token);
      const body = (await t.http.get('/me/export').set(bearer(squatter.token)).expect(200)).body;
      expect(body.profile).toMatchObject({ email: address, emailVerifiedAt: null });
      expect(body.invitationsReceived).toEqual([]);
      expect(JSON.stringify(body)).not.toContain(orgId);
      expect(JSON.stringify(body)).not.toContain('Secret Plans');
    });

    it('includes what others wrote about the user, and does not call their acts or failed logins the user’s', async () => {
      const owner = await signUpVerified(t, undefined, undefined, 'Otto Owner');
      const user = await signUpVerified(t, undefined, undefined, 'Ursula User');
      const orgId = (await t.http.post('/orgs').set(bearer(owner.token)).send({ name: 'Watched Org' }).expect(201)).body
        .id;
      await addMember(t, orgId, owner, user, 'member');
      await t.http
        .patch(`/orgs/${orgId}/members/${user.id}`)
        .set(bearer(owner.token))
        .set('User-Agent', 'owner-agent/1.0')
        .send({ role: 'admin' })
        .expect(200);
      // Someone else tries the user's password.
      await t.http
        .post('/auth/login')
        .set('User-Agent', 'guesser-agent/1.0')
        .send({ email: user.email, password: 'not the password' })
        .expect(401);
      user.token = await confirmPassword(t, user.token);
      const audit: Array<Record<string, unknown>> = (await t.http.get('/me/export').set(bearer(user.token)).expect(200))
        .body.audit;

      const roleChange = audit.filter((row) => row.action === 'org.role_changed');
      expect(roleChange).toEqual([
        expect.objectContaining({
          byYou: false,
          target: `org:${orgId}`,
          details: expect.objectContaining({ userId: user.id, to: 'admin' }),
        }),
      ]);
      // Another person's address and browser are theirs, not the user's data.
      expect(roleChange[0].ip ?? null).toBeNull();
      expect(JSON.stringify(audit)).not.toContain('owner-agent');
      const failed = audit.filter((row) => row.action === 'user.login_failed');
      expect(failed).toEqual([expect.objectContaining({ byYou: false })]);
      expect(audit.find((row) => row.action === 'user.signup')).toMatchObject({ byYou: true });
    });

    it('shows nothing sent to the address before the account held it', async () => {
      const inviter = await signUpVerified(t, undefined, undefined, 'Ivo Inviter');
      const orgId = (await t.http.post('/orgs').set(bearer(inviter.token)).send({ name: 'Earlier Plans' }).expect(201))
        .body.id;
      const address = uniqueEmail('passed-on');
      const before = await signUpVerified(t, address);
      await invite(t, orgId, inviter, address, 'admin');
      before.token = await confirmPassword(t, before.token);
      const next = uniqueEmail('next');
      await t.http.post('/me/email').set(bearer(before.token)).send({ email: next }).expect(200);
      await t.http
        .post('/auth/verify-email')
        .send({ token: await verificationToken(t, next) })
        .expect(200);
      t.clock.advance(MINUTE);
      // The address, free again, goes to someone else, who proves it and is invited at it.
      const holder = await signUpVerified(t, address);
      const laterOrg = (await t.http.post('/orgs').set(bearer(inviter.token)).send({ name: 'Later Plans' }).expect(201))
        .body.id;
      await invite(t, laterOrg, inviter, address, 'member');
      holder.token = await confirmPassword(t, holder.token);
      const audit: Array<Record<string, unknown>> = (
        await t.http.get('/me/export').set(bearer(holder.token)).expect(200)
      ).body.audit;
      expect(audit.filter((row) => row.action === 'org.invitation_sent').map((row) => row.target)).toEqual([
        `org:${laterOrg}`,
      ]);
      expect(JSON.stringify(audit)).not.toContain(orgId);
      expect(JSON.stringify(audit)).not.toContain(before.id);
    });

    it('refuses a body with the error body', async () => {
      const user = await signUpVerified(t);
      const res = await t.http.get('/me/export').set(bearer(user.token)).send({ everything: true });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject(errorBody(400, 'validation_failed'));
    });
  });

  describe('purge-deleted-accounts', () => {
    let owner: SignedUp;
    let user: SignedUp;
    let orgId: string;
    let documentId: string;
    let roleChangeRowId: string;
    let auditIds: string[];
    let auditActions: Record<string, number>;
    const tables: Array<[string, string]> = [
      ['sessions', 'user_id'],
      ['api_keys', 'user_id'],
      ['totp_factors', 'user_id'],
      ['recovery_codes', 'user_id'],
      ['verification_tokens', 'user_id'],
      ['password_reset_tokens', 'user_id'],
      ['known_ips', 'user_id'],
      ['org_members', 'user_id'],
    ];

    beforeAll(async () => {
      freshHour();
      owner = await signUpVerified(t, undefined, undefined, 'Olga Owner');
      orgId = (await t.http.post('/orgs').set(bearer(owner.token)).send({ name: 'Purge Org' }).expect(201)).body.id;
      user = await signUpVerified(t, undefined, undefined, 'Ursula Leaving');
      await createApiKey(t, user.token);
      await t.http.post('/auth/password/forgot').send({ email: user.email }).expect(202);
      await t.mail.waitFor((m) => m.to === user.email && m.subject.includes('Reset'));
      const { recoveryCodes } = await enableTotp(t, user.token);
      await addMember(t, orgId, owner, user);
      // Written by someone else about the user: the details carry the user's id.
      await actingAs(t, owner).patch(`/orgs/${orgId}/members/${user.id}`, { role: 'admin' }).expect(200);
      documentId = (
        await actingAs(t, user)
          .post(`/orgs/${orgId}/documents`, { title: 'Handover', body: 'Written before leaving.' })
          .expect(201)
      ).body.id;
      for (const [table, column] of tables) {
        expect({ table, rows: (await count(t, table, column, user.id)) > 0 }).toEqual({ table, rows: true });
      }
      [{ id: roleChangeRowId }] = await t.dataSource.query(
        `SELECT id FROM audit_log WHERE action = 'org.role_changed' AND details->>'userId' = $1`,
        [user.id],
      );

      await scheduleDeletion(t, user, recoveryCodes[0]);

      const rows: Array<{ id: string; action: string }> = await t.dataSource.query(
        'SELECT id, action FROM audit_log WHERE actor_id = $1',
        [user.id],
      );
      auditIds = rows.map((r) => r.id);
      auditActions = {};
      for (const { action } of rows) auditActions[action] = (auditActions[action] ?? 0) + 1;
      expect(auditActions['user.deletion_scheduled']).toBe(1);
    });

    it('purges nothing before the grace period ends', async () => {
      t.clock.advance(29 * DAY);
      expect(await runner.run('purge-deleted-accounts')).toMatchObject({ status: 'done' });
      const [row] = await t.dataSource.query('SELECT deletion_scheduled_for FROM users WHERE id = $1', [user.id]);
      expect(row.deletion_scheduled_for).not.toBeNull();
      for (const table of ['org_members', 'api_keys', 'totp_factors', 'recovery_codes']) {
        expect({ table, kept: (await count(t, table, 'user_id', user.id)) > 0 }).toEqual({ table, kept: true });
      }
      expect(await count(t, 'audit_log', 'actor_id', user.id)).toBe(auditIds.length);
    });

    it('past the grace period, deletes the user and every row of theirs', async () => {
      t.clock.advance(2 * DAY);
      expect(await runner.run('purge-deleted-accounts')).toMatchObject({ status: 'done' });
      expect(await count(t, 'users', 'id', user.id)).toBe(0);
      for (const [table, column] of tables) {
        expect({ table, rows: await count(t, table, column, user.id) }).toEqual({ table, rows: 0 });
      }
    });

    it('keeps the documents they wrote, shown as by "Deleted user"', async () => {
      const [row] = await t.dataSource.query('SELECT author_id FROM documents WHERE id = $1', [documentId]);
      expect(row).toEqual({ author_id: null });
      const session = await logIn(t, owner.email);
      const list = await t.http.get(`/orgs/${orgId}/documents`).set(bearer(session.token)).expect(200);
      expect(list.body.find((d: { id: string }) => d.id === documentId)).toMatchObject({
        title: 'Handover',
        authorId: null,
        authorName: 'Deleted user',
      });
    });

    it('keeps the audit trail under one pseudonym, without the id, the email or the client', async () => {
      const kept: Array<{ actor_id: string; ip: string | null; user_agent: string | null }> = await t.dataSource.query(
        'SELECT actor_id, ip, user_agent FROM audit_log WHERE id = ANY($1::bigint[])',
        [auditIds],
      );
      expect(kept).toHaveLength(auditIds.length);
      const pseudonyms = [...new Set(kept.map((r) => r.actor_id))];
      expect(pseudonyms).toHaveLength(1);
      expect(pseudonyms[0]).toMatch(UUID);
      expect(pseudonyms[0]).not.toBe(user.id);
      expect(kept.every((r) => r.ip === null && r.user_agent === null)).toBe(true);

      const rows: Array<{ action: string; n: number }> = await t.dataSource.query(
        'SELECT action, count(*)::int AS n FROM audit_log WHERE actor_id = $1 GROUP BY action',
        [pseudonyms[0]],
      );
      expect(Object.fromEntries(rows.map((r) => [r.action, r.n]))).toMatchObject(auditActions);

      for (const needle of [user.id, user.email]) {
        const traces = await t.dataSource.query(
          `SELECT id, action FROM audit_log
            WHERE concat_ws('|', actor_id::text, actor_email, ip, user_agent, target, details::text) ILIKE $1`,
          [`%${needle}%`],
        );
        expect({ needle, traces }).toEqual({ needle, traces: [] });
      }

      // The row the owner wrote about them is kept, still the owner's, without their id.
      const [roleChange] = await t.dataSource.query(
        'SELECT actor_id, details::text AS details FROM audit_log WHERE id = $1',
        [roleChangeRowId],
      );
      expect(roleChange.actor_id).toBe(owner.id);
      expect(roleChange.details).not.toContain(user.id);
    });

    it('mails the address a last time to say the account is gone', async () => {
      await t.app.get(MailDelivery).deliverDue();
      const mails = await t.mail.waitFor((m) => m.to === user.email && /delet/i.test(m.subject), 2);
      expect(mails).toHaveLength(2);
    });

    it('lets the address sign up again as a new account with nothing of the old one', async () => {
      const res = await t.http
        .post('/auth/signup')
        .send({ email: user.email, password: PASSWORD, name: 'Ursula Again' })
        .expect(201);
      expect(res.body.user.id).not.toBe(user.id);
      expect(res.body.user).toMatchObject({
        twoFactorEnabled: false,
        deletionScheduledFor: null,
        emailVerified: false,
      });
      const token = res.body.session.token;
      expect((await t.http.get('/orgs').set(bearer(token)).expect(200)).body).toEqual([]);
      expect((await t.http.get('/me/api-keys').set(bearer(token)).expect(200)).body).toEqual([]);
    });
  });

  describe('earlier addresses of a purged user', () => {
    beforeAll(() => freshHour());

    it('erases what others wrote to an earlier address, unless another account has had it since', async () => {
      const inviter = await signUpVerified(t, undefined, undefined, 'Ines Inviter');
      const orgId = (await t.http.post('/orgs').set(bearer(inviter.token)).send({ name: 'Two Holders' }).expect(201))
        .body.id;
      // The leaving account had `kept`, then `gone` (verified, so `kept` is nobody's way back), then
      // moved on; someone else took `kept` since.
      const kept = uniqueEmail('kept');
      const gone = uniqueEmail('gone');
      const leaving = await signUpVerified(t, kept);
      for (const address of [gone, uniqueEmail('last')]) {
        leaving.token = await confirmPassword(t, leaving.token);
        await t.http.post('/me/email').set(bearer(leaving.token)).send({ email: address }).expect(200);
        if (address === gone) {
          await t.http
            .post('/auth/verify-email')
            .send({ token: await verificationToken(t, gone) })
            .expect(200);
        }
      }
      const taker = await signUpVerified(t, kept);
      await invite(t, orgId, inviter, kept, 'member');
      await invite(t, orgId, inviter, gone, 'member');
      await scheduleDeletion(t, leaving);
      t.clock.advance(GRACE + DAY);
      expect(await runner.run('purge-deleted-accounts')).toMatchObject({ status: 'done' });

      const invited = await t.dataSource.query('SELECT email FROM org_invitations WHERE org_id = $1', [orgId]);
      expect(invited).toEqual([{ email: kept }]);
      const sent = await t.dataSource.query(
        `SELECT details->>'email' AS email FROM audit_log WHERE action = 'org.invitation_sent' AND target = $1
          ORDER BY id`,
        [`org:${orgId}`],
      );
      expect(sent).toEqual([{ email: kept }, { email: null }]);
      expect(await count(t, 'user_addresses', 'user_id', leaving.id)).toBe(0);
      expect(await count(t, 'user_addresses', 'user_id', taker.id)).toBe(1);
    });

    it('erases what others wrote to an earlier address that another account only moved to, never proving it', async () => {
      const inviter = await signUpVerified(t, undefined, undefined, 'Ines Inviter');
      const orgId = (await t.http.post('/orgs').set(bearer(inviter.token)).send({ name: 'Passers-by' }).expect(201))
        .body.id;
      const gone = uniqueEmail('gone');
      const leaving = await signUpVerified(t, gone);
      await invite(t, orgId, inviter, gone, 'member');
      leaving.token = await confirmPassword(t, leaving.token);
      const last = uniqueEmail('last');
      await t.http.post('/me/email').set(bearer(leaving.token)).send({ email: last }).expect(200);
      await t.http
        .post('/auth/verify-email')
        .send({ token: await verificationToken(t, last) })
        .expect(200);
      // Someone else moves to `gone` for a moment, proving nothing, and moves back.
      const passerBy = await signUpVerified(t);
      passerBy.token = await confirmPassword(t, passerBy.token);
      await t.http.post('/me/email').set(bearer(passerBy.token)).send({ email: gone }).expect(200);
      passerBy.token = await confirmPassword(t, passerBy.token);
      await t.http.post('/me/email').set(bearer(passerBy.token)).send({ email: passerBy.email }).expect(200);
      await scheduleDeletion(t, leaving);
      t.clock.advance(GRACE + DAY);
      expect(await runner.run('purge-deleted-accounts')).toMatchObject({ status: 'done' });

      expect(await t.dataSource.query('SELECT email FROM org_invitations WHERE org_id = $1', [orgId])).toEqual([]);
      const sent = await t.dataSource.query(
        `SELECT details->>'email' AS email FROM audit_log WHERE action = 'org.invitation_sent' AND target = $1`,
        [`org:${orgId}`],
      );
      expect(sent).toEqual([{ email: null }]);
    });

    it('drops the mail still waiting for an earlier address', async () => {
      const gone = uniqueEmail('gone');
      const leaving = await signUpVerified(t, gone);
      const [{ last }] = await t.dataSource.query('SELECT coalesce(max(id), 0) AS last FROM mail_outbox');
      const waiting = async () =>
        (
          await t.dataSource.query(
            `SELECT id FROM mail_outbox WHERE id > $1 AND sent_at IS NULL AND template = 'email-changed'`,
            [last],
          )
        ).length;
      // The mailbox of `gone` turns mail away for now: the notice that the address changed waits.
      t.mail.rejectRecipients.set(gone, 450);
      try {
        leaving.token = await confirmPassword(t, leaving.token);
        await t.http
          .post('/me/email')
          .set(bearer(leaving.token))
          .send({ email: uniqueEmail('last') })
          .expect(200);
        expect(await waiting()).toBe(1);
        await scheduleDeletion(t, leaving);
        t.clock.advance(GRACE + DAY);
        expect(await runner.run('purge-deleted-accounts')).toMatchObject({ status: 'done' });
        expect(await waiting()).toBe(0);
      } finally {
        t.mail.rejectRecipients.delete(gone);
      }
    });
  });

  describe('organizations of a purged user', () => {
    let user: SignedUp;
    let earliestMember: SignedUp;
    let earlierAdmin: SignedUp;
    let laterAdmin: SignedUp;
    let firstMember: SignedUp;
    let secondMember: SignedUp;
    let withAdmins: string;
    let withMembers: string;
    let alone: string;
    let aloneDocument: string;

    beforeAll(async () => {
      freshHour();
      user = await signUpVerified(t, undefined, undefined, 'Otto Leaving');
      earliestMember = await signUpVerified(t);
      earlierAdmin = await signUpVerified(t);
      laterAdmin = await signUpVerified(t);
      firstMember = await signUpVerified(t);
      secondMember = await signUpVerified(t);
      const as = actingAs(t, user);
      const create = async (name: string) => (await as.post('/orgs', { name }).expect(201)).body.id as string;
      const add = async (orgId: string, member: SignedUp) => {
        t.clock.advance(1000);
        await addMember(t, orgId, user, member);
      };

      withAdmins = await create('With Admins');
      await add(withAdmins, earliestMember);
      await add(withAdmins, earlierAdmin);
      await add(withAdmins, laterAdmin);
      // Promoted in the other order: seniority is the membership's, not the promotion's.
      t.clock.advance(1000);
      await as.patch(`/orgs/${withAdmins}/members/${laterAdmin.id}`, { role: 'admin' }).expect(200);
      t.clock.advance(1000);
      await as.patch(`/orgs/${withAdmins}/members/${earlierAdmin.id}`, { role: 'admin' }).expect(200);

      withMembers = await create('With Members');
      await add(withMembers, firstMember);
      await add(withMembers, secondMember);

      alone = await create('Alone');
      aloneDocument = (await as.post(`/orgs/${alone}/documents`, { title: 'Mine', body: 'only mine' }).expect(201)).body
        .id;

      await scheduleDeletion(t, user);
      t.clock.advance(GRACE + DAY);
      expect(await runner.run('purge-deleted-accounts')).toMatchObject({ status: 'done' });
      expect(await count(t, 'users', 'id', user.id)).toBe(0);
    });

    const roles = async (orgId: string) =>
      Object.fromEntries(
        (await t.dataSource.query('SELECT user_id, role FROM org_members WHERE org_id = $1', [orgId])).map(
          (r: { user_id: string; role: string }) => [r.user_id, r.role],
        ),
      );

    it('passes the ownership to the longest-standing admin, with a mail and an audit row', async () => {
      expect(await roles(withAdmins)).toEqual({
        [earliestMember.id]: 'member',
        [earlierAdmin.id]: 'owner',
        [laterAdmin.id]: 'admin',
      });
      await t.mail.waitFor((m) => m.to === earlierAdmin.email && /owner/i.test(m.subject));
      const session = await logIn(t, earlierAdmin.email);
      expect((await t.http.get('/orgs').set(bearer(session.token)).expect(200)).body).toEqual([
        { id: withAdmins, name: 'With Admins', role: 'owner' },
      ]);
      const audit = await t.dataSource.query(
        `SELECT 1 FROM audit_log WHERE action = 'org.ownership_transferred' AND target = $1`,
        [`org:${withAdmins}`],
      );
      expect(audit).toHaveLength(1);
    });

    it('passes the ownership to the longest-standing member when there is no admin', async () => {
      expect(await roles(withMembers)).toEqual({ [firstMember.id]: 'owner', [secondMember.id]: 'member' });
      await t.mail.waitFor((m) => m.to === firstMember.email && /owner/i.test(m.subject));
      const audit = await t.dataSource.query(
        `SELECT 1 FROM audit_log WHERE action = 'org.ownership_transferred' AND target = $1`,
        [`org:${withMembers}`],
      );
      expect(audit).toHaveLength(1);
      await t.app.get(MailDelivery).deliverDue();
      for (const other of [earliestMember, laterAdmin, secondMember]) {
        expect(t.mail.messages.filter((m) => m.to === other.email && /owner/i.test(m.subject))).toEqual([]);
      }
    });

    it('deletes an organization the user was the only member of, with its documents', async () => {
      expect(await count(t, 'organizations', 'id', alone)).toBe(0);
      expect(await count(t, 'documents', 'id', aloneDocument)).toBe(0);
    });
  });

  describe('a cancel before the deadline', () => {
    beforeAll(() => freshHour());

    it('wins over the purge', async () => {
      const user = await signUpVerified(t);
      await t.http.delete('/me').set(bearer(user.token)).expect(202);
      await t.http.post('/me/deletion/cancel').set(bearer(user.token)).expect(200);
      t.clock.advance(GRACE + DAY);
      expect(await runner.run('purge-deleted-accounts')).toMatchObject({ status: 'done' });
      const [row] = await t.dataSource.query('SELECT deletion_scheduled_for FROM users WHERE id = $1', [user.id]);
      expect(row).toEqual({ deletion_scheduled_for: null });
      await logIn(t, user.email);
    });
  });

  describe('cleanup-orphaned-orgs', () => {
    beforeAll(() => freshHour());

    it('deletes an organization without members, with its documents, keeps the others, and counts', async () => {
      const owner = await signUpVerified(t);
      const other = await signUpVerified(t);
      const orphan = (await t.http.post('/orgs').set(bearer(owner.token)).send({ name: 'Orphan' }).expect(201)).body.id;
      await addMember(t, orphan, owner, other);
      const document = (
        await t.http.post(`/orgs/${orphan}/documents`).set(bearer(owner.token)).send({ title: 'Left', body: 'x' })
      ).body.id;
      const kept = (await t.http.post('/orgs').set(bearer(other.token)).send({ name: 'Kept' }).expect(201)).body.id;
      // Whatever earlier tests left is cleaned first, so the count below is this test's.
      await runner.run('cleanup-orphaned-orgs');
      await t.dataSource.query('DELETE FROM org_members WHERE org_id = $1', [orphan]);

      const outcome = await runner.run('cleanup-orphaned-orgs');
      expect(outcome).toMatchObject({ status: 'done' });
      expect(outcome.status === 'done' && Object.values(outcome.result)).toContain(1);
      expect(await count(t, 'organizations', 'id', orphan)).toBe(0);
      expect(await count(t, 'documents', 'id', document)).toBe(0);
      expect(await count(t, 'organizations', 'id', kept)).toBe(1);
      // The member of the deleted organization no longer sees it; the other one is untouched.
      expect((await t.http.get('/orgs').set(bearer(other.token)).expect(200)).body).toEqual([
        { id: kept, name: 'Kept', role: 'owner' },
      ]);
    });
  });

  describe('cleanup-unverified-accounts', () => {
    beforeAll(() => freshHour());

    it('erases a never-verified account like a deletion: no audit row keeps its address', async () => {
      const email = uniqueEmail('unverified');
      const user = await signUp(t, email);
      await t.http.patch('/me').set(bearer(user.token)).send({ name: 'Never Verified' }).expect(200);
      await t.http.post('/auth/login').send({ email, password: 'wrong password here' }).expect(401);
      const before = await t.dataSource.query(
        `SELECT 1 FROM audit_log WHERE concat_ws('|', actor_email, target, details::text) ILIKE $1`,
        [`%${email}%`],
      );
      expect(before.length).toBeGreaterThan(0);

      t.clock.advance(7 * DAY + MINUTE);
      expect(await runner.run('cleanup-unverified-accounts')).toMatchObject({ status: 'done' });
      expect(await count(t, 'users', 'id', user.id)).toBe(0);
      const traces = await t.dataSource.query(
        `SELECT id, action FROM audit_log
          WHERE concat_ws('|', actor_id::text, actor_email, ip, user_agent, target, details::text) ILIKE $1`,
        [`%${email}%`],
      );
      expect(traces).toEqual([]);
    });
  });
});

/** The probe's registration: a section of its own, no table, erased among the others. */
const CRASH_PROBE = { section: 'crashProbe', tables: [] as string[], order: 50 };

/** A module whose erasure fails once, as a crash in the middle of a purge would. */
@UserData(CRASH_PROBE)
@Injectable()
class CrashOnce implements UserDataHandler {
  calls = 0;

  /** Nothing to show (an empty part, whether the export merges parts or files them by section). */
  async export(): Promise<Record<string, unknown>> {
    return {};
  }

  async erase(_accounts: ErasedAccount[]): Promise<void> {
    this.calls++;
    if (this.calls === 1) throw new Error('crash probe: erasure interrupted');
  }
}

describe('a purge interrupted midway', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ providers: [CrashOnce] });
  });
  afterAll(() => t.close());

  it('leaves everything intact, and the next run purges completely', async () => {
    const user = await signUpVerified(t, undefined, undefined, 'Crash Test');
    const member = await signUpVerified(t);
    await createApiKey(t, user.token);
    const orgId = (await t.http.post('/orgs').set(bearer(user.token)).send({ name: 'Crash Org' }).expect(201)).body.id;
    await addMember(t, orgId, user, member);
    await scheduleDeletion(t, user);
    t.clock.advance(GRACE + DAY);

    const snapshot = async () => ({
      users: await count(t, 'users', 'id', user.id),
      sessions: await count(t, 'sessions', 'user_id', user.id),
      apiKeys: await count(t, 'api_keys', 'user_id', user.id),
      knownIps: await count(t, 'known_ips', 'user_id', user.id),
      memberships: await count(t, 'org_members', 'user_id', user.id),
      audit: await count(t, 'audit_log', 'actor_id', user.id),
      auditByEmail: await count(t, 'audit_log', 'actor_email', user.email),
      organizations: await count(t, 'organizations', 'id', orgId),
      members: (
        await t.dataSource.query('SELECT user_id, role FROM org_members WHERE org_id = $1 ORDER BY role', [orgId])
      )
        .map((r: { user_id: string; role: string }) => `${r.user_id}:${r.role}`)
        .join(','),
    });
    const before = await snapshot();
    expect(before).toMatchObject({ users: 1, apiKeys: 1, memberships: 1, organizations: 1 });
    expect(before.sessions).toBeGreaterThan(0);
    expect(before.audit).toBeGreaterThan(0);

    const runner = t.app.get(TaskRunner);
    expect(await runFails(runner, 'purge-deleted-accounts')).toBe(true);
    expect(t.app.get(CrashOnce).calls).toBe(1);
    expect(await snapshot()).toEqual(before);

    expect(await runner.run('purge-deleted-accounts')).toMatchObject({ status: 'done' });
    expect(t.app.get(CrashOnce).calls).toBe(2);
    expect(await snapshot()).toMatchObject({
      users: 0,
      sessions: 0,
      apiKeys: 0,
      knownIps: 0,
      memberships: 0,
      audit: 0,
      auditByEmail: 0,
      organizations: 1,
      members: `${member.id}:owner`,
    });
  });
});
