import { startTestApp, TestApp } from '../../support/test-app';
import { addMember, invite } from '../../support/orgs';
import { selfSigned } from '../../support/x509';
import { bearer, confirmPassword, signUp, SignedUp, signUpVerified } from '../../support/users';

describe('organizations, members and documents', () => {
  let t: TestApp;
  let owner: SignedUp;
  let admin: SignedUp;
  let member: SignedUp;
  let outsider: SignedUp;
  let orgId: string;

  /** Requests as `user`, following the token rotation a role change causes. */
  const as = (user: SignedUp) => {
    const follow = (res: { headers: Record<string, string> }) => {
      if (res.headers['x-session-token']) user.token = res.headers['x-session-token'];
    };
    return {
      get: (path: string) => t.http.get(path).set(bearer(user.token)).on('response', follow),
      post: (path: string, body: object) => t.http.post(path).set(bearer(user.token)).send(body).on('response', follow),
      patch: (path: string, body: object) =>
        t.http.patch(path).set(bearer(user.token)).send(body).on('response', follow),
      put: (path: string, body: object) => t.http.put(path).set(bearer(user.token)).send(body).on('response', follow),
      delete: (path: string) => t.http.delete(path).set(bearer(user.token)).on('response', follow),
    };
  };

  beforeAll(async () => {
    t = await startTestApp();
    owner = await signUpVerified(t, undefined, undefined, 'Olivia Owner');
    admin = await signUpVerified(t, undefined, undefined, 'Adam Admin');
    member = await signUpVerified(t, undefined, undefined, 'Mia Member');
    outsider = await signUpVerified(t);
    const created = await as(owner).post('/orgs', { name: 'Acme' }).expect(201);
    expect(created.body).toEqual({ id: expect.any(String), name: 'Acme', role: 'owner' });
    orgId = created.body.id;
    t.clock.advance(1000);
    await addMember(t, orgId, owner, admin, 'admin');
    t.clock.advance(1000);
    await addMember(t, orgId, admin, member, 'member');
  });
  afterAll(() => t.close());

  it('lists the caller’s organizations with their role', async () => {
    expect((await as(member).get('/orgs').expect(200)).body).toEqual([{ id: orgId, name: 'Acme', role: 'member' }]);
    expect((await as(outsider).get('/orgs').expect(200)).body).toEqual([]);
  });

  it('shows the organization and its members to members only', async () => {
    const org = await as(member).get(`/orgs/${orgId}`).expect(200);
    expect(org.body).toEqual({ id: orgId, name: 'Acme', role: 'member', createdAt: expect.any(String) });
    expect((await as(owner).get(`/orgs/${orgId}`).expect(200)).body.role).toBe('owner');
    const members = await as(member).get(`/orgs/${orgId}/members`).expect(200);
    expect(members.body).toEqual([
      {
        userId: owner.id,
        name: 'Olivia Owner',
        email: owner.email,
        role: 'owner',
        joinedAt: expect.any(String),
        mfaEnabled: false,
      },
      {
        userId: admin.id,
        name: 'Adam Admin',
        email: admin.email,
        role: 'admin',
        joinedAt: expect.any(String),
        mfaEnabled: false,
      },
      {
        userId: member.id,
        name: 'Mia Member',
        email: member.email,
        role: 'member',
        joinedAt: expect.any(String),
        mfaEnabled: false,
      },
    ]);
    for (const path of [`/orgs/${orgId}`, `/orgs/${orgId}/members`, '/orgs/00000000-0000-4000-8000-000000000000']) {
      expect((await as(outsider).get(path).expect(404)).body.error).toBe('not_found');
    }
  });

  it('answers 404 to non-members, and for unknown or malformed ids', async () => {
    for (const path of [
      `/orgs/${orgId}/documents`,
      `/orgs/00000000-0000-4000-8000-000000000000/documents`,
      '/orgs/not-a-uuid/documents',
    ]) {
      expect((await as(outsider).get(path).expect(404)).body.error).toBe('not_found');
    }
    await as(outsider).post(`/orgs/${orgId}/invitations`, { email: outsider.email, role: 'owner' }).expect(404);
  });

  it('lets owners and admins invite; only owners invite owners; the route that added members is gone', async () => {
    const newcomer = await signUp(t);
    expect(
      (await as(member).post(`/orgs/${orgId}/invitations`, { email: newcomer.email, role: 'member' }).expect(403)).body
        .error,
    ).toBe('insufficient_role');
    expect(
      (await as(admin).post(`/orgs/${orgId}/invitations`, { email: newcomer.email, role: 'owner' }).expect(403)).body
        .error,
    ).toBe('insufficient_role');
    expect(
      (await as(admin).post(`/orgs/${orgId}/invitations`, { email: newcomer.email, role: 'king' }).expect(400)).body
        .error,
    ).toBe('validation_failed');
    expect(
      (
        await as(admin)
          .post(`/orgs/${orgId}/invitations`, { email: member.email.toUpperCase(), role: 'member' })
          .expect(409)
      ).body.error,
    ).toBe('already_member');
    // Adding by address, without the addressee's consent, is no longer possible.
    await as(owner).post(`/orgs/${orgId}/members`, { email: newcomer.email, role: 'member' }).expect(404);
    // Every /orgs/:id route needs a verified email.
    const unverified = await as(newcomer).get(`/orgs/${orgId}/documents`).expect(403);
    expect(unverified.body).toMatchObject({ error: 'email_not_verified', resendUrl: '/auth/resend-verification' });
  });

  it('changes roles: admins manage non-owners, only an owner grants or takes owner', async () => {
    expect(
      (await as(admin).patch(`/orgs/${orgId}/members/${member.id}`, { role: 'owner' }).expect(403)).body.error,
    ).toBe('insufficient_role');
    expect(
      (await as(admin).patch(`/orgs/${orgId}/members/${owner.id}`, { role: 'member' }).expect(403)).body.error,
    ).toBe('insufficient_role');
    expect(
      (await as(member).patch(`/orgs/${orgId}/members/${member.id}`, { role: 'admin' }).expect(403)).body.error,
    ).toBe('insufficient_role');
    const res = await as(admin).patch(`/orgs/${orgId}/members/${member.id}`, { role: 'admin' }).expect(200);
    expect(res.body).toEqual({ userId: member.id, role: 'admin' });
    await as(owner).patch(`/orgs/${orgId}/members/${member.id}`, { role: 'member' }).expect(200);
    await as(owner).patch(`/orgs/${orgId}/members/${outsider.id}`, { role: 'member' }).expect(404);
  });

  it('keeps at least one owner', async () => {
    expect(
      (await as(owner).patch(`/orgs/${orgId}/members/${owner.id}`, { role: 'admin' }).expect(409)).body.error,
    ).toBe('last_owner');
    expect((await as(owner).delete(`/orgs/${orgId}/members/${owner.id}`).expect(409)).body.error).toBe('last_owner');

    // With a second owner, either can step down; two at once cannot leave none.
    await as(owner).patch(`/orgs/${orgId}/members/${admin.id}`, { role: 'owner' }).expect(200);
    const [a, b] = await Promise.all([
      as(owner).patch(`/orgs/${orgId}/members/${owner.id}`, { role: 'admin' }),
      as(admin).patch(`/orgs/${orgId}/members/${admin.id}`, { role: 'admin' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    const owners = await t.dataSource.query(
      `SELECT count(*)::int AS n FROM org_members WHERE org_id = $1 AND role = 'owner'`,
      [orgId],
    );
    expect(owners[0].n).toBe(1);
    // Restore: Olivia owner, Adam admin.
    const stillOwner = a.status === 200 ? admin : owner;
    await as(stillOwner).patch(`/orgs/${orgId}/members/${owner.id}`, { role: 'owner' }).expect(200);
    await as(owner).patch(`/orgs/${orgId}/members/${admin.id}`, { role: 'admin' }).expect(200);
  });

  it('removes members: managers remove others, admins never an owner, anyone may leave', async () => {
    const leaver = await signUpVerified(t);
    await addMember(t, orgId, owner, leaver);
    await as(member).delete(`/orgs/${orgId}/members/${leaver.id}`).expect(403);
    await as(admin).delete(`/orgs/${orgId}/members/${owner.id}`).expect(403);
    await as(leaver).delete(`/orgs/${orgId}/members/${leaver.id}`).expect(204);
    await as(leaver).get(`/orgs/${orgId}/documents`).expect(404);
    await addMember(t, orgId, owner, leaver);
    await as(admin).delete(`/orgs/${orgId}/members/${leaver.id}`).expect(204);
  });

  it('shares documents among members, and shows a deleted author as "Deleted user"', async () => {
    const doc = await as(member).post(`/orgs/${orgId}/documents`, { title: 'Plan', body: 'Ship it.' }).expect(201);
    expect(doc.body).toEqual({
      id: expect.any(String),
      title: 'Plan',
      body: 'Ship it.',
      authorId: member.id,
      authorName: 'Mia Member',
      createdAt: expect.any(String),
    });
    await as(outsider).post(`/orgs/${orgId}/documents`, { title: 'x', body: 'y' }).expect(404);
    await as(owner).post(`/orgs/${orgId}/documents`, { title: '', body: 'y' }).expect(400);

    const ghost = await signUpVerified(t, undefined, undefined, 'Gone Soon');
    await addMember(t, orgId, owner, ghost);
    const ghostDoc = await as(ghost).post(`/orgs/${orgId}/documents`, { title: 'Notes', body: 'by ghost' }).expect(201);
    await t.dataSource.query('DELETE FROM users WHERE id = $1', [ghost.id]);

    const list = await as(admin).get(`/orgs/${orgId}/documents`).expect(200);
    const byId = new Map(list.body.map((d: { id: string }) => [d.id, d]));
    expect(byId.get(doc.body.id)).toMatchObject({ authorId: member.id, authorName: 'Mia Member' });
    expect(byId.get(ghostDoc.body.id)).toMatchObject({ authorId: null, authorName: 'Deleted user', body: 'by ghost' });
  });

  it('audits membership changes', async () => {
    const actions = await t.dataSource.query(`SELECT DISTINCT action FROM audit_log WHERE target = $1`, [
      `org:${orgId}`,
    ]);
    expect(actions.map((a: { action: string }) => a.action).sort()).toEqual([
      'org.created',
      'org.invitation_sent',
      'org.member_added',
      'org.member_removed',
      'org.role_changed',
    ]);
  });

  it('refuses organization names with a web address, a domain, a line break or over 100 characters', async () => {
    for (const name of [
      'Acme http://evil.example',
      'acme-support.com',
      'Acme\nPlease sign in again',
      'A'.repeat(101),
    ]) {
      const res = await as(owner).post('/orgs', { name });
      expect([name, res.status, res.body.error, res.body.details?.map((d: { field: string }) => d.field)]).toEqual([
        name,
        400,
        'validation_failed',
        ['name'],
      ]);
    }
    const token = await confirmPassword(t, owner.token);
    owner.token = token;
    const rename = await as(owner).patch(`/orgs/${orgId}`, { name: 'www.acme.example' });
    expect([rename.status, rename.body.error]).toEqual([400, 'validation_failed']);
  });

  it('lets only an owner rename, after a step-up', async () => {
    const org = (await as(owner).post('/orgs', { name: 'Old Name' }).expect(201)).body.id;
    await addMember(t, org, owner, admin, 'admin');
    t.clock.advance(6 * 60_000); // past STEP_UP_WINDOW
    expect((await as(owner).patch(`/orgs/${org}`, { name: 'New Name' }).expect(403)).body.error).toBe(
      'step_up_required',
    );
    for (const user of [owner, admin, outsider]) user.token = await confirmPassword(t, user.token);
    expect((await as(admin).patch(`/orgs/${org}`, { name: 'Mine' }).expect(403)).body.error).toBe('insufficient_role');
    expect((await as(outsider).patch(`/orgs/${org}`, { name: 'Mine' }).expect(404)).body.error).toBe('not_found');
    expect((await as(owner).patch(`/orgs/${org}`, { name: '' }).expect(400)).body.error).toBe('validation_failed');
    const renamed = await as(owner).patch(`/orgs/${org}`, { name: 'New Name' }).expect(200);
    expect(renamed.body).toEqual({ id: org, name: 'New Name', role: 'owner', createdAt: expect.any(String) });
    expect((await as(admin).get(`/orgs/${org}`).expect(200)).body.name).toBe('New Name');
  });

  it('lets only an owner delete, after a step-up, with everything the organization holds', async () => {
    const org = (await as(owner).post('/orgs', { name: 'Doomed' }).expect(201)).body.id;
    await addMember(t, org, owner, admin, 'admin');
    await addMember(t, org, owner, member, 'member');
    await as(member).post(`/orgs/${org}/documents`, { title: 'Doc', body: 'x' }).expect(201);
    const pendingAddress = `pending-${Date.now().toString(36)}@example.com`;
    const pendingToken = await invite(t, org, owner, pendingAddress, 'member');
    await as(owner)
      .put(`/orgs/${org}/sso/saml`, {
        domain: `doomed-${Date.now().toString(36)}.test`,
        idpEntityId: 'https://idp.doomed.test',
        idpSsoUrl: 'https://idp.doomed.test/sso',
        idpCert: selfSigned({ commonName: 'doomed-idp' }).cert,
      })
      .expect(200);

    t.clock.advance(6 * 60_000);
    expect((await as(owner).delete(`/orgs/${org}`).expect(403)).body.error).toBe('step_up_required');
    for (const user of [owner, admin, outsider]) user.token = await confirmPassword(t, user.token);
    expect((await as(admin).delete(`/orgs/${org}`).expect(403)).body.error).toBe('insufficient_role');
    expect((await as(outsider).delete(`/orgs/${org}`).expect(404)).body.error).toBe('not_found');
    await as(owner).delete(`/orgs/${org}`).expect(204);

    for (const table of ['organizations', 'org_members', 'org_invitations', 'documents', 'saml_providers']) {
      const column = table === 'organizations' ? 'id' : 'org_id';
      const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${column} = $1`, [org]);
      expect({ table, n }).toEqual({ table, n: 0 });
    }
    await as(member).get(`/orgs/${org}`).expect(404);
    expect((await as(member).get('/orgs').expect(200)).body.map((o: { id: string }) => o.id)).not.toContain(org);
    const invitee = await signUpVerified(t, pendingAddress);
    await t.http.post('/invitations/accept').set(bearer(invitee.token)).send({ token: pendingToken }).expect(400);
    const audit = await t.dataSource.query(
      `SELECT actor_id FROM audit_log WHERE action = 'org.deleted' AND target = $1`,
      [`org:${org}`],
    );
    expect(audit).toEqual([{ actor_id: owner.id }]);
    // The other organization is untouched.
    await as(member).get(`/orgs/${orgId}`).expect(200);
  });
});
