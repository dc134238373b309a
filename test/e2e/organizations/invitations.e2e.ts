import { Client } from 'pg';
import { TaskRunner } from '../../../src/tasks';
import { startTestApp, TestApp } from '../../support/test-app';
import { addMember, invitationToken, invite } from '../../support/orgs';
import {
  bearer,
  confirmPassword,
  logIn,
  SignedUp,
  signUp,
  signUpVerified,
  uniqueEmail,
  verificationToken,
} from '../../support/users';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('organization membership by invitation', () => {
  let t: TestApp;
  let owner: SignedUp;
  let orgId: string;

  const newOrg = async (by: SignedUp, name = 'Acme') =>
    (await t.http.post('/orgs').set(bearer(by.token)).send({ name }).expect(201)).body.id as string;
  const accept = (user: { token: string }, token: string) =>
    t.http.post('/invitations/accept').set(bearer(user.token)).send({ token });
  const memberRole = async (userId: string, org = orgId) =>
    (await t.dataSource.query('SELECT role FROM org_members WHERE org_id = $1 AND user_id = $2', [org, userId]))[0]
      ?.role as string | undefined;

  beforeAll(async () => {
    t = await startTestApp();
    owner = await signUpVerified(t, undefined, undefined, 'Olivia Owner');
    orgId = await newOrg(owner);
  });
  afterAll(() => t.close());

  it('the audit’s attack: an unverified holder of the address cannot take the invitation; its real owner can', async () => {
    const victim = `victim-${Date.now().toString(36)}@corp.example`;
    const attacker = await signUp(t, victim);
    await verificationToken(t, victim); // the link went to the victim's mailbox; the attacker never sees it

    const sent = await t.http
      .post(`/orgs/${orgId}/invitations`)
      .set(bearer(owner.token))
      .send({ email: victim, role: 'admin' })
      .expect(202);
    expect(sent.body).toEqual({ id: expect.any(String), email: victim, role: 'admin', expiresAt: expect.any(String) });
    expect(JSON.stringify(sent.body)).not.toContain(attacker.id);
    // Even holding the link, the unverified account cannot use it.
    const token = await invitationToken(t, victim);
    expect((await accept(attacker, token).expect(403)).body.error).toBe('email_not_verified');

    // Moving the account to an address the attacker controls, and verifying it, does not help.
    const mine = uniqueEmail('attacker');
    attacker.token = await confirmPassword(t, attacker.token);
    await t.http.post('/me/email').set(bearer(attacker.token)).send({ email: mine }).expect(200);
    await t.http
      .post('/auth/verify-email')
      .send({ token: await verificationToken(t, mine) })
      .expect(200);
    const mismatch = await accept(attacker, token).expect(403);
    expect(mismatch.body).toEqual({
      statusCode: 403,
      error: 'invitation_email_mismatch',
      message: expect.stringContaining('another address'),
    });
    expect(await memberRole(attacker.id)).toBeUndefined();
    await t.http.get(`/orgs/${orgId}/documents`).set(bearer(attacker.token)).expect(404);

    // The address's real owner signs up with it, verifies, and takes the invitation, once.
    const real = await signUpVerified(t, victim);
    expect((await accept(real, token).expect(200)).body).toEqual({ orgId, role: 'admin' });
    expect(await memberRole(real.id)).toBe('admin');
    expect((await accept(real, token).expect(400)).body.error).toBe('invalid_token');
  });

  it('answers the same whether or not the address has an account, and mails the link either way', async () => {
    const existing = await signUpVerified(t);
    const nobody = uniqueEmail('nobody');
    const keysOf = (body: object) => Object.keys(body).sort();
    const a = await t.http
      .post(`/orgs/${orgId}/invitations`)
      .set(bearer(owner.token))
      .send({ email: existing.email, role: 'member' })
      .expect(202);
    const b = await t.http
      .post(`/orgs/${orgId}/invitations`)
      .set(bearer(owner.token))
      .send({ email: nobody, role: 'member' })
      .expect(202);
    expect(keysOf(a.body)).toEqual(keysOf(b.body));
    expect(a.body).toMatchObject({ email: existing.email, role: 'member' });
    expect(b.body).toMatchObject({ email: nobody, role: 'member' });
    expect(new Date(b.body.expiresAt).getTime() - t.clock.now().getTime()).toBe(7 * DAY);
    for (const email of [existing.email, nobody]) {
      const [mail] = await t.mail.waitFor((m) => m.to === email && /invit/i.test(m.subject));
      expect(mail.text).toContain('Acme');
      expect(mail.text).toContain('Olivia Owner');
      expect(mail.text).toMatch(/http:\/\/localhost:3000\/accept-invitation\?token=[A-Za-z0-9_-]{43}/);
    }
    await invitationToken(t, existing.email);
    await invitationToken(t, nobody);
    // Only the token's hash is stored.
    const rows = await t.dataSource.query('SELECT token_hash FROM org_invitations WHERE email = $1', [nobody]);
    expect(rows).toHaveLength(1);
    expect(rows[0].token_hash).toHaveLength(32);
  });

  it('expires after 7 days; inviting again replaces the link and its expiry', async () => {
    const boss = await signUpVerified(t);
    const late = await signUpVerified(t);
    const org = await newOrg(boss, 'Patient');
    // Sessions time out while days pass: sign in again after each jump.
    const later = async (ms: number) => {
      t.clock.advance(ms);
      boss.token = (await logIn(t, boss.email)).token;
      late.token = (await logIn(t, late.email)).token;
    };
    const token = await invite(t, org, boss, late.email, 'member');
    await later(7 * DAY + MINUTE);
    expect((await accept(late, token).expect(400)).body.error).toBe('invalid_token');

    const first = await invite(t, org, boss, late.email, 'member');
    await later(6 * DAY);
    const second = await invite(t, org, boss, late.email, 'admin');
    expect((await accept(late, first).expect(400)).body.error).toBe('invalid_token');
    await later(2 * DAY);
    expect((await accept(late, second).expect(200)).body).toEqual({ orgId: org, role: 'admin' });
    const pending = await t.dataSource.query('SELECT count(*)::int AS n FROM org_invitations WHERE email = $1', [
      late.email,
    ]);
    expect(pending[0].n).toBe(0);
  });

  it('purges expired invitations (purge-expired-invitations), and only those', async () => {
    const boss = await signUpVerified(t);
    const org = await newOrg(boss, 'Purging');
    const stale = uniqueEmail('stale');
    await invite(t, org, boss, stale, 'member');
    t.clock.advance(6 * DAY);
    boss.token = (await logIn(t, boss.email)).token;
    const fresh = uniqueEmail('fresh');
    await invite(t, org, boss, fresh, 'member');
    t.clock.advance(DAY + MINUTE);
    const outcome = await t.app.get(TaskRunner).run('purge-expired-invitations');
    expect(outcome).toMatchObject({ status: 'done', result: { deleted: expect.any(Number) } });
    const left = await t.dataSource.query('SELECT email FROM org_invitations WHERE org_id = $1', [org]);
    expect(left).toEqual([{ email: fresh }]);
  });

  it('is taken once, even by two requests at the same time', async () => {
    owner.token = (await logIn(t, owner.email)).token;
    const racer = await signUpVerified(t);
    const token = await invite(t, orgId, owner, racer.email, 'member');
    const answers = await Promise.all([accept(racer, token), accept(racer, token), accept(racer, token)]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 400, 400].sort());
    expect(await memberRole(racer.id)).toBe('member');
  });

  it('limits invitations per address, per inviter and per organization (429 with Retry-After)', async () => {
    const boss = await signUpVerified(t);
    const helper = await signUpVerified(t);
    const org = await newOrg(boss, 'Limited');
    await addMember(t, org, boss, helper, 'admin');
    const send = (as: SignedUp, email: string) =>
      t.http.post(`/orgs/${org}/invitations`).set(bearer(as.token)).send({ email, role: 'member' });

    // Per address: 5 an hour.
    const target = uniqueEmail('target');
    for (let i = 0; i < 5; i += 1) await send(boss, target).expect(202);
    const refused = await send(boss, target).expect(429);
    expect(refused.body.error).toBe('too_many_requests');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);

    // Per inviter: 20 an hour (the addMember and the 6 above count).
    for (let i = 0; i < 13; i += 1) await send(boss, uniqueEmail('many')).expect(202);
    expect((await send(boss, uniqueEmail('many')).expect(429)).body.error).toBe('too_many_requests');

    // Per organization: 30 an hour, whoever sends them (19 so far: the inviter's refused attempts spend none).
    for (let i = 0; i < 11; i += 1) await send(helper, uniqueEmail('org')).expect(202);
    expect((await send(helper, uniqueEmail('org')).expect(429)).body.error).toBe('too_many_requests');

    // A new window, a new allowance.
    t.clock.advance(HOUR + MINUTE);
    helper.token = (await logIn(t, helper.email)).token;
    await send(helper, uniqueEmail('later')).expect(202);
  });

  it('limits the invitations one address receives from all organizations together', async () => {
    const boss = await signUpVerified(t);
    const target = uniqueEmail('popular');
    const send = (org: string) =>
      t.http.post(`/orgs/${org}/invitations`).set(bearer(boss.token)).send({ email: target, role: 'member' });
    // 5 an hour per organization and address, 10 an hour per address: a third organization gets no more.
    for (const name of ['First', 'Second']) {
      const org = await newOrg(boss, name);
      for (let i = 0; i < 5; i += 1) await send(org).expect(202);
    }
    const refused = await send(await newOrg(boss, 'Third')).expect(429);
    expect(refused.body.error).toBe('too_many_requests');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(await t.mail.waitFor((m) => m.to === target, 10)).toHaveLength(10);
  });

  it('lists pending invitations to owners and admins, and revokes them: the link dies', async () => {
    const boss = await signUpVerified(t);
    const admin = await signUpVerified(t);
    const member = await signUpVerified(t);
    const org = await newOrg(boss, 'Revocable');
    await addMember(t, org, boss, admin, 'admin');
    await addMember(t, org, boss, member, 'member');
    const pendingAddress = uniqueEmail('pending');
    const pendingToken = await invite(t, org, admin, pendingAddress, 'member');
    t.clock.advance(1000);
    const ownerAddress = uniqueEmail('would-be-owner');
    await invite(t, org, boss, ownerAddress, 'owner');
    const list = (as: SignedUp) => t.http.get(`/orgs/${org}/invitations`).set(bearer(as.token));
    const revoke = (as: SignedUp, id: string) => t.http.delete(`/orgs/${org}/invitations/${id}`).set(bearer(as.token));

    expect((await list(member).expect(403)).body.error).toBe('insufficient_role');
    const pending = (await list(admin).expect(200)).body;
    // Accepted invitations are gone; the two pending ones are listed, newest first.
    expect(pending).toEqual([
      {
        id: expect.any(String),
        email: ownerAddress,
        role: 'owner',
        invitedBy: boss.id,
        createdAt: expect.any(String),
        expiresAt: expect.any(String),
      },
      {
        id: expect.any(String),
        email: pendingAddress,
        role: 'member',
        invitedBy: admin.id,
        createdAt: expect.any(String),
        expiresAt: expect.any(String),
      },
    ]);
    const [ownerInvitation, memberInvitation] = pending.map((i: { id: string }) => i.id);

    expect((await revoke(member, memberInvitation).expect(403)).body.error).toBe('insufficient_role');
    expect((await revoke(admin, ownerInvitation).expect(403)).body.error).toBe('insufficient_role');
    await revoke(admin, memberInvitation).expect(204);
    expect((await revoke(admin, memberInvitation).expect(404)).body.error).toBe('not_found');
    await revoke(admin, '00000000-0000-4000-8000-000000000000').expect(404);
    await revoke(boss, ownerInvitation).expect(204);
    expect((await list(boss).expect(200)).body).toEqual([]);
    // Another organization's manager cannot see or touch them.
    await t.http.get(`/orgs/${orgId}/invitations`).set(bearer(boss.token)).expect(404);

    const invitee = await signUpVerified(t, pendingAddress);
    expect((await accept(invitee, pendingToken).expect(400)).body.error).toBe('invalid_token');
    const revoked = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM audit_log WHERE action = 'org.invitation_revoked' AND target = $1`,
      [`org:${org}`],
    );
    expect(revoked[0].n).toBe(2);
  });

  it('a revocation and an acceptance at once: exactly one wins, and a 204 revocation leaves nobody joined', async () => {
    // Thirteen signups from one address: a window of the per-IP signup limit of their own.
    await t.dataSource.query('DELETE FROM rate_limits');
    const boss = await signUpVerified(t);
    const org = await newOrg(boss, 'Contested');
    for (let trial = 0; trial < 12; trial++) {
      const invitee = await signUpVerified(t);
      const token = await invite(t, org, boss, invitee.email, 'member');
      const [{ id }] = await t.dataSource.query('SELECT id FROM org_invitations WHERE org_id = $1 AND email = $2', [
        org,
        invitee.email,
      ]);
      const [revoked, accepted] = await Promise.all([
        t.http.delete(`/orgs/${org}/invitations/${id}`).set(bearer(boss.token)),
        accept(invitee, token),
      ]);
      const joined = (await memberRole(invitee.id, org)) !== undefined;
      const outcome = `revoke ${revoked.status}, accept ${accepted.status}, joined ${joined}`;
      expect(['revoke 204, accept 400, joined false', 'revoke 404, accept 200, joined true']).toContain(outcome);
      const audited = await t.dataSource.query(
        `SELECT action FROM audit_log WHERE target = $1 AND details->>'invitationId' = $2
           AND action IN ('org.invitation_revoked', 'org.member_added')`,
        [`org:${org}`, id],
      );
      expect(audited).toHaveLength(1);
    }
    await t.dataSource.query('DELETE FROM rate_limits');
  });

  it('withdraws the pending invitations an inviter could no longer send once demoted or removed', async () => {
    const boss = await signUpVerified(t);
    const coOwner = await signUpVerified(t);
    const admin = await signUpVerified(t);
    const org = await newOrg(boss, 'Trust revoked');
    await addMember(t, org, boss, coOwner, 'owner');
    await addMember(t, org, boss, admin, 'admin');
    const sent = async (by: SignedUp, role: string) => {
      const email = uniqueEmail(`by-${role}`);
      return { email, role, token: await invite(t, org, by, email, role) };
    };
    const byCoOwner = [await sent(coOwner, 'owner'), await sent(coOwner, 'admin')];
    const byAdmin = [await sent(admin, 'admin'), await sent(admin, 'member')];
    const byBoss = await sent(boss, 'member');
    const pending = async () =>
      (
        (await t.http.get(`/orgs/${org}/invitations`).set(bearer(boss.token)).expect(200)).body as Array<{
          email: string;
        }>
      )
        .map((i) => i.email)
        .sort();

    // An owner made admin keeps what an admin may send; its invitation to become owner goes.
    await t.http
      .patch(`/orgs/${org}/members/${coOwner.id}`)
      .set(bearer(boss.token))
      .send({ role: 'admin' })
      .expect(200);
    // An admin removed loses every invitation it sent.
    await t.http.delete(`/orgs/${org}/members/${admin.id}`).set(bearer(boss.token)).expect(204);
    expect(await pending()).toEqual([byCoOwner[1].email, byBoss.email].sort());
    for (const gone of [byCoOwner[0], ...byAdmin]) {
      const invitee = await signUpVerified(t, gone.email);
      expect((await accept(invitee, gone.token).expect(400)).body.error).toBe('invalid_token');
    }
    // The admin made member: nothing of theirs is left.
    await t.http
      .patch(`/orgs/${org}/members/${coOwner.id}`)
      .set(bearer(boss.token))
      .send({ role: 'member' })
      .expect(200);
    expect(await pending()).toEqual([byBoss.email]);
    const withdrawn = await t.dataSource.query(
      `SELECT details->>'email' AS email FROM audit_log
        WHERE action = 'org.invitation_revoked' AND target = $1 AND details->>'reason' = 'inviter_lost_role'`,
      [`org:${org}`],
    );
    expect(withdrawn.map((r: { email: string }) => r.email).sort()).toEqual(
      [...byCoOwner, ...byAdmin].map((i) => i.email).sort(),
    );
    const invitee = await signUpVerified(t, byBoss.email);
    await accept(invitee, byBoss.token).expect(200);
  });

  it('checks the inviter again under the organization lock: one demoted meanwhile adds nothing', async () => {
    const boss = await signUpVerified(t);
    const admin = await signUpVerified(t);
    const org = await newOrg(boss, 'Mid-air demotion');
    await addMember(t, org, boss, admin, 'admin');
    // A demotion in progress, as changeRole makes it: the organization locked, then the role changed.
    const demotion = new Client({ connectionString: t.database.url });
    await demotion.connect();
    try {
      await demotion.query('BEGIN');
      await demotion.query('SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE', [org]);
      let settled = false;
      const sending = t.http
        .post(`/orgs/${org}/invitations`)
        .set(bearer(admin.token))
        .send({ email: uniqueEmail('late'), role: 'member' })
        .then((res) => ((settled = true), res));
      // The invitation passed its first check and waits on the lock (or, unlocked, is already sent).
      for (;;) {
        const [{ waiting }] = (
          await demotion.query(
            `SELECT count(*)::int AS waiting FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock'`,
          )
        ).rows;
        if (waiting > 0 || settled) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await demotion.query(`UPDATE org_members SET role = 'member' WHERE org_id = $1 AND user_id = $2`, [
        org,
        admin.id,
      ]);
      await demotion.query('COMMIT');
      expect((await sending).body).toMatchObject({ statusCode: 403, error: 'insufficient_role' });
    } finally {
      await demotion.end();
    }
    expect((await t.http.get(`/orgs/${org}/invitations`).set(bearer(boss.token)).expect(200)).body).toEqual([]);
  });
});
