import { UsersService } from '../../../src/users/users.service';
import { startTestApp, TestApp } from '../../support/test-app';
import { WebhookReceiver } from '../../support/webhook-receiver';
import { subscribeToEveryEvent } from '../../support/webhook-sink';
import { startTxtDnsServer, TxtDnsServer } from '../../support/txt-dns-server';
import { addMember } from '../../support/orgs';
import {
  ERROR_SCHEMA,
  GROUP_SCHEMA,
  LIST_SCHEMA,
  orgWithVerifiedDomain,
  patchOp,
  SCIM_JSON,
  scimClient,
  scimToken,
  USER_SCHEMA,
} from '../../support/scim';
import {
  bearer,
  confirmPassword,
  createApiKey,
  logIn,
  PASSWORD,
  SignedUp,
  signUp,
  signUpVerified,
  verificationToken,
} from '../../support/users';

const DOMAIN = 'acme-scim.test';
const OTHER_DOMAIN = 'globex-scim.test';
const MINUTE = 60_000;

describe('SCIM 2.0 provisioning', () => {
  let t: TestApp;
  let dns: TxtDnsServer;
  let orgId: string;
  let owner: SignedUp;
  let connectionId: string;
  let token: string;
  let scim: ReturnType<typeof scimClient>;
  let other: { orgId: string; owner: SignedUp; token: string };

  const members = async () =>
    (await t.http.get(`/orgs/${orgId}/members`).set(bearer(owner.token)).expect(200)).body as Array<{
      userId: string;
      email: string;
      role: string;
    }>;
  const roleOf = async (userId: string) => (await members()).find((m) => m.userId === userId)?.role;
  const audit = (action: string) =>
    t.dataSource.query('SELECT actor_id, target, details FROM audit_log WHERE action = $1 ORDER BY id', [action]);
  const events = (type: string) =>
    t.dataSource.query('SELECT data FROM webhook_events WHERE type = $1 ORDER BY created_at', [type]);
  const newUser = (userName: string, extra: Record<string, unknown> = {}) => ({
    schemas: [USER_SCHEMA],
    userName,
    name: { givenName: 'Grace', familyName: 'Hopper' },
    emails: [{ primary: true, value: userName, type: 'work' }],
    displayName: 'Grace Hopper',
    active: true,
    ...extra,
  });
  let counter = 0;
  const address = (prefix: string, domain = DOMAIN) => `${prefix}.${++counter}.${Date.now().toString(36)}@${domain}`;

  let sink: WebhookReceiver;

  beforeAll(async () => {
    dns = await startTxtDnsServer();
    t = await startTestApp({
      env: {
        DNS_SERVERS: `127.0.0.1:${dns.port}`,
        SESSION_IDLE_TIMEOUT: '30d',
        SESSION_ABSOLUTE_TIMEOUT: '365d',
        WEBHOOK_ALLOW_PRIVATE: 'true',
      },
    });
    sink = await subscribeToEveryEvent(t);
    ({ orgId, owner, connectionId } = await orgWithVerifiedDomain(t, dns, DOMAIN, {
      groupRoleMap: { 'Acme Admins': 'admin', 'Acme Owners': 'owner' },
      defaultRole: 'member',
    }));
    token = await scimToken(t, orgId, owner, 'Okta');
    scim = scimClient(t, token);
    const globex = await orgWithVerifiedDomain(t, dns, OTHER_DOMAIN);
    other = { ...globex, token: await scimToken(t, globex.orgId, globex.owner, 'Entra') };
  });
  afterAll(async () => {
    await t.close();
    await dns.close();
    await sink.close();
  });

  describe('tokens', () => {
    it('are made by owners with a fresh step-up, for an organization with a verified SSO domain', async () => {
      const admin = await signUpVerified(t);
      await addMember(t, orgId, owner, admin, 'admin');
      const refused = await t.http
        .post(`/orgs/${orgId}/scim/tokens`)
        .set(bearer(admin.token))
        .send({ name: 'x' })
        .expect(403);
      expect(refused.body.error).toBe('insufficient_role');
      await t.http.get(`/orgs/${orgId}/scim/tokens`).set(bearer(admin.token)).expect(403);

      const lone = await signUpVerified(t);
      const bare = (await t.http.post('/orgs').set(bearer(lone.token)).send({ name: 'No SSO' }).expect(201)).body.id;
      const noDomain = await t.http.post(`/orgs/${bare}/scim/tokens`).set(bearer(lone.token)).send({ name: 'x' });
      expect(noDomain.status).toBe(400);
      expect(noDomain.body).toMatchObject({ error: 'domain_not_verified', message: expect.stringContaining('SCIM') });

      t.clock.advance(10 * MINUTE);
      const stale = await t.http.post(`/orgs/${orgId}/scim/tokens`).set(bearer(owner.token)).send({ name: 'x' });
      expect(stale.body.error).toBe('step_up_required');
      owner.token = await confirmPassword(t, owner.token);
    });

    it('are shown once, listed by name with their last use, and revocable (401 at once)', async () => {
      const created = await t.http
        .post(`/orgs/${orgId}/scim/tokens`)
        .set(bearer(owner.token))
        .send({ name: 'Entra ID' })
        .expect(201);
      expect(created.body).toEqual({
        id: expect.any(String),
        name: 'Entra ID',
        token: expect.stringMatching(/^scim_[A-Za-z0-9_-]{43}$/),
        createdAt: expect.any(String),
      });
      await scimClient(t, created.body.token).get('/Users').expect(200);
      const listed = await t.http.get(`/orgs/${orgId}/scim/tokens`).set(bearer(owner.token)).expect(200);
      const entry = listed.body.find((row: { id: string }) => row.id === created.body.id);
      expect(entry).toEqual({
        id: created.body.id,
        name: 'Entra ID',
        createdAt: expect.any(String),
        lastUsedAt: expect.any(String),
      });
      expect(JSON.stringify(listed.body)).not.toContain(created.body.token);
      const [row] = await t.dataSource.query('SELECT token_hash FROM scim_tokens WHERE id = $1', [created.body.id]);
      expect(row.token_hash.toString('hex')).not.toContain(Buffer.from(created.body.token).toString('hex'));

      await t.http.delete(`/orgs/${orgId}/scim/tokens/${created.body.id}`).set(bearer(owner.token)).expect(204);
      const revoked = await scimClient(t, created.body.token).get('/Users').expect(401);
      expect(revoked.headers['content-type']).toContain(SCIM_JSON);
      expect(revoked.body).toEqual({ schemas: [ERROR_SCHEMA], status: '401', detail: expect.any(String) });
      await t.http.delete(`/orgs/${orgId}/scim/tokens/${created.body.id}`).set(bearer(owner.token)).expect(404);
      expect(await audit('scim.token_revoked')).toEqual([
        { actor_id: owner.id, target: `org:${orgId}`, details: { scimTokenId: created.body.id } },
      ]);
    });

    it('open /scim/v2 only, and /scim/v2 takes nothing else', async () => {
      const me = await t.http.get('/me').set(bearer(token)).expect(401);
      expect(me.body.error).toBe('unauthenticated');
      await t.http.get(`/orgs/${orgId}`).set(bearer(token)).expect(401);
      for (const credential of [owner.token, (await createApiKey(t, owner.token)).key, 'scim_unknown']) {
        const res = await t.http.get('/scim/v2/Users').set(bearer(credential)).expect(401);
        expect(res.body.schemas).toEqual([ERROR_SCHEMA]);
      }
      const none = await t.http.get('/scim/v2/ServiceProviderConfig').expect(401);
      expect(none.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: '401' });
    });
  });

  describe('discovery', () => {
    it('describes what is supported, as application/scim+json', async () => {
      const config = await scim.get('/ServiceProviderConfig').expect(200);
      expect(config.headers['content-type']).toContain(SCIM_JSON);
      expect(config.body).toMatchObject({
        patch: { supported: true },
        filter: { supported: true, maxResults: 200 },
        bulk: { supported: false },
        sort: { supported: false },
        etag: { supported: false },
        changePassword: { supported: false },
      });
      const types = await scim.get('/ResourceTypes').expect(200);
      expect(types.body.Resources.map((r: { endpoint: string }) => r.endpoint)).toEqual(['/Users', '/Groups']);
      const schemas = await scim.get('/Schemas').expect(200);
      expect(schemas.body.Resources.map((r: { id: string }) => r.id)).toEqual([USER_SCHEMA, GROUP_SCHEMA]);
    });
  });

  describe("Okta's SCIM 2.0 spec test sequence", () => {
    it('filters before creating, creates, reads, finds, replaces, deactivates, reactivates, and 404s an unknown id', async () => {
      const userName = address('okta');
      const filter = `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}&startIndex=1&count=100`;
      const none = await scim.get(filter).expect(200);
      expect(none.body).toEqual({
        schemas: [LIST_SCHEMA],
        totalResults: 0,
        startIndex: 1,
        itemsPerPage: 0,
        Resources: [],
      });

      const created = await scim.post('/Users', newUser(userName, { externalId: '00u1okta' })).expect(201);
      expect(created.headers['content-type']).toContain(SCIM_JSON);
      const id = created.body.id;
      expect(created.headers.location).toBe(`http://localhost:3000/scim/v2/Users/${id}`);
      expect(created.body).toMatchObject({
        schemas: [USER_SCHEMA],
        id: expect.any(String),
        externalId: '00u1okta',
        userName,
        name: { givenName: 'Grace', familyName: 'Hopper' },
        displayName: 'Grace Hopper',
        emails: [{ value: userName, type: 'work', primary: true }],
        active: true,
        meta: { resourceType: 'User', location: `http://localhost:3000/scim/v2/Users/${id}` },
      });
      const [account] = await t.dataSource.query(
        'SELECT id, email_verified_at, password_hash, sso_provider_id FROM users WHERE email = $1',
        [userName],
      );
      expect(account).toMatchObject({
        email_verified_at: expect.any(Date),
        password_hash: null,
        sso_provider_id: connectionId,
      });
      expect(await roleOf(account.id)).toBe('member');

      expect((await scim.get(`/Users/${id}`).expect(200)).body).toEqual(created.body);
      const found = await scim.get(filter).expect(200);
      expect(found.body).toMatchObject({ totalResults: 1, itemsPerPage: 1, Resources: [{ id, userName }] });

      const replaced = await scim
        .put(
          `/Users/${id}`,
          newUser(userName, {
            externalId: '00u1okta',
            name: { givenName: 'Grace', familyName: 'Brewster' },
            displayName: 'Grace Brewster',
          }),
        )
        .expect(200);
      expect(replaced.body).toMatchObject({ name: { familyName: 'Brewster' }, displayName: 'Grace Brewster' });

      const off = await scim.patch(`/Users/${id}`, patchOp({ op: 'replace', value: { active: false } })).expect(200);
      expect(off.body.active).toBe(false);
      const [suspended] = await t.dataSource.query(
        'SELECT suspended_at, suspended_by_org_id FROM users WHERE id = $1',
        [account.id],
      );
      expect(suspended).toEqual({ suspended_at: expect.any(Date), suspended_by_org_id: orgId });
      const on = await scim.patch(`/Users/${id}`, patchOp({ op: 'replace', value: { active: true } })).expect(200);
      expect(on.body.active).toBe(true);
      const [restored] = await t.dataSource.query('SELECT suspended_at FROM users WHERE id = $1', [account.id]);
      expect(restored.suspended_at).toBeNull();

      const unknown = await scim.get('/Users/010f8a8c-8f2b-4c1e-9b4f-6a1c7b2a9e55').expect(404);
      expect(unknown.body).toEqual({ schemas: [ERROR_SCHEMA], status: '404', detail: expect.any(String) });
      await scim.get('/Users/not-a-uuid').expect(404);

      const dup = await scim.post('/Users', newUser(userName)).expect(409);
      expect(dup.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: '409', scimType: 'uniqueness' });

      expect((await events('user.created')).map((e: { data: { email: string } }) => e.data.email)).toContain(userName);
      const provisioned = await audit('scim.user_provisioned');
      expect(provisioned[provisioned.length - 1]).toMatchObject({
        actor_id: null,
        target: `org:${orgId}`,
        details: { userId: account.id, scimUserId: id, linked: false, scimTokenId: expect.any(String) },
      });
      expect((await events('user.suspended')).map((e: { data: object }) => e.data)).toContainEqual({
        userId: account.id,
        orgId,
      });
      expect((await events('user.reactivated')).map((e: { data: object }) => e.data)).toContainEqual({
        userId: account.id,
        orgId,
      });
      expect((await events('user.updated')).map((e: { data: { userId: string } }) => e.data.userId)).toContain(
        account.id,
      );
      expect((await events('org.member_added')).map((e: { data: object }) => e.data)).toContainEqual({
        orgId,
        userId: account.id,
        role: 'member',
      });
    });
  });

  describe("Microsoft Entra ID's provisioning sequence", () => {
    it('provisions and updates users with capitalised ops, string booleans and value-filtered paths', async () => {
      const userName = address('entra');
      const filter = `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`;
      expect((await scim.get(filter).expect(200)).body.totalResults).toBe(0);
      const created = await scim
        .post('/Users', {
          schemas: [USER_SCHEMA, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
          externalId: 'entra-object-1',
          userName,
          active: true,
          emails: [{ primary: true, type: 'work', value: userName }],
          name: { formatted: 'Alan Turing', familyName: 'Turing', givenName: 'Alan' },
          'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Research' },
          roles: [],
        })
        .expect(201);
      const id = created.body.id;
      expect(created.body.displayName).toBe('Alan Turing');

      const patched = await scim
        .patch(
          `/Users/${id}`,
          patchOp(
            { op: 'Replace', path: 'name.givenName', value: 'Alan M.' },
            { op: 'Replace', path: 'emails[type eq "work"].value', value: userName.toUpperCase() },
            { op: 'Add', path: 'displayName', value: 'Alan M. Turing' },
            {
              op: 'Replace',
              path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department',
              value: 'Maths',
            },
            { op: 'Add', value: { 'name.familyName': 'Turing', externalId: 'entra-object-1' } },
          ),
        )
        .expect(200);
      expect(patched.body).toMatchObject({
        name: { givenName: 'Alan M.', familyName: 'Turing' },
        displayName: 'Alan M. Turing',
        emails: [{ value: userName, type: 'work' }],
      });
      const byEmail = await scim
        .get(`/Users?filter=${encodeURIComponent(`emails[type eq "work"].value eq "${userName}" and active eq true`)}`)
        .expect(200);
      expect(byEmail.body.Resources.map((r: { id: string }) => r.id)).toEqual([id]);
      const byExternal = await scim
        .get(`/Users?filter=${encodeURIComponent('externalId eq "entra-object-1"')}`)
        .expect(200);
      expect(byExternal.body.totalResults).toBe(1);

      const disabled = await scim
        .patch(`/Users/${id}`, patchOp({ op: 'Replace', path: 'active', value: 'False' }))
        .expect(200);
      expect(disabled.body.active).toBe(false);
      expect(
        (await scim.get(`/Users?filter=${encodeURIComponent('active eq false')}`).expect(200)).body.Resources,
      ).toContainEqual(expect.objectContaining({ id }));
      const enabled = await scim
        .patch(`/Users/${id}`, patchOp({ op: 'Replace', path: 'active', value: 'True' }))
        .expect(200);
      expect(enabled.body.active).toBe(true);

      // The account's address is its userName: another address is refused, not half-applied.
      const moved = await scim
        .patch(
          `/Users/${id}`,
          patchOp({ op: 'Replace', path: 'emails[type eq "work"].value', value: address('elsewhere') }),
        )
        .expect(400);
      expect(moved.body).toMatchObject({ status: '400', scimType: 'mutability' });
      const renamed = await scim
        .patch(`/Users/${id}`, patchOp({ op: 'replace', path: 'userName', value: address('x') }))
        .expect(400);
      expect(renamed.body.scimType).toBe('mutability');
      expect((await scim.get(`/Users/${id}`).expect(200)).body.userName).toBe(userName);
    });

    it('manages groups: filter with excludedAttributes, create, add and remove members, delete; roles follow', async () => {
      const alice = (await scim.post('/Users', newUser(address('alice'))).expect(201)).body;
      const bob = (await scim.post('/Users', newUser(address('bob'))).expect(201)).body;
      const accountOf = async (scimUser: { userName: string }) =>
        (await t.dataSource.query('SELECT id FROM users WHERE email = $1', [scimUser.userName]))[0].id as string;
      const aliceId = await accountOf(alice);
      const bobId = await accountOf(bob);

      const lookup = `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "Acme Admins"')}`;
      expect((await scim.get(lookup).expect(200)).body.totalResults).toBe(0);
      const group = await scim
        .post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Acme Admins', externalId: 'grp-1', members: [] })
        .expect(201);
      const groupId = group.body.id;
      expect(group.headers.location).toBe(`http://localhost:3000/scim/v2/Groups/${groupId}`);
      expect(group.body).toMatchObject({ displayName: 'Acme Admins', members: [] });
      const listed = await scim.get(lookup).expect(200);
      expect(listed.body.Resources).toEqual([expect.not.objectContaining({ members: expect.anything() })]);
      expect(listed.body.Resources[0].id).toBe(groupId);

      // The member's session, to see the role change rotate it.
      await scim.patch(`/Users/${alice.id}`, patchOp({ op: 'replace', path: 'active', value: true })).expect(200);
      await scim
        .patch(
          `/Groups/${groupId}`,
          patchOp({ op: 'Add', path: 'members', value: [{ value: alice.id }, { value: bob.id }] }),
        )
        .expect(200);
      expect(await roleOf(aliceId)).toBe('admin');
      expect(await roleOf(bobId)).toBe('admin');
      expect((await events('org.member_role_changed')).map((e: { data: object }) => e.data)).toContainEqual({
        orgId,
        userId: aliceId,
        role: 'admin',
      });

      await scim
        .patch(`/Groups/${groupId}`, patchOp({ op: 'Remove', path: `members[value eq "${alice.id}"]` }))
        .expect(200);
      expect(await roleOf(aliceId)).toBe('member');
      const afterRemove = await scim.get(`/Groups/${groupId}`).expect(200);
      expect(afterRemove.body.members.map((m: { value: string }) => m.value)).toEqual([bob.id]);
      // Entra's other form: remove with a value list.
      await scim
        .patch(`/Groups/${groupId}`, patchOp({ op: 'Remove', path: 'members', value: [{ value: bob.id }] }))
        .expect(200);
      expect(await roleOf(bobId)).toBe('member');

      await scim
        .patch(`/Groups/${groupId}`, patchOp({ op: 'Replace', path: 'displayName', value: 'Acme Owners' }))
        .expect(200);
      await scim
        .patch(`/Groups/${groupId}`, patchOp({ op: 'add', path: 'members', value: [{ value: bob.id }] }))
        .expect(200);
      expect(await roleOf(bobId)).toBe('owner');
      expect((await scim.get(`/Users/${bob.id}`).expect(200)).body.groups).toEqual([
        expect.objectContaining({ value: groupId, display: 'Acme Owners' }),
      ]);

      await scim.delete(`/Groups/${groupId}`).expect(204);
      expect(await roleOf(bobId)).toBe('member');
      await scim.get(`/Groups/${groupId}`).expect(404);
      expect((await audit('scim.group_deleted')).length).toBe(1);
    });
  });

  describe('errors', () => {
    it('answer the SCIM error body with their scimType', async () => {
      const cases: Array<[Promise<{ status: number; body: Record<string, unknown> }>, number, string | undefined]> = [
        [scim.get(`/Users?filter=${encodeURIComponent('userName co "x"')}`), 400, 'invalidFilter'],
        [scim.get(`/Users?filter=${encodeURIComponent('userName eq "a" or userName eq "b"')}`), 400, 'invalidFilter'],
        [scim.get(`/Users?filter=${encodeURIComponent('userName eq')}`), 400, 'invalidFilter'],
        [scim.get(`/Groups?filter=${encodeURIComponent('members.value eq "x"')}`), 400, 'invalidFilter'],
        [scim.get(`/Users?filter=${encodeURIComponent('userName eq "a"')}&filter=x`), 400, 'invalidFilter'],
        [scim.get('/Users?count=many'), 400, 'invalidValue'],
        [scim.post('/Users', newUser(address('outside', 'example.com'))), 400, 'invalidValue'],
        [scim.post('/Users', { schemas: [USER_SCHEMA] }), 400, 'invalidValue'],
        [scim.patch('/Users/010f8a8c-8f2b-4c1e-9b4f-6a1c7b2a9e55', { Operations: [] }), 400, 'invalidSyntax'],
        [
          scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'G', members: [{ value: 'nobody' }] }),
          400,
          'invalidValue',
        ],
      ];
      for (const [request, status, scimType] of cases) {
        const res = await request;
        expect({ status: res.status, body: res.body }).toEqual({
          status,
          body: { schemas: [ERROR_SCHEMA], status: String(status), scimType, detail: expect.any(String) },
        });
      }
      const badJson = await t.http
        .post('/scim/v2/Users')
        .set(bearer(token))
        .set('Content-Type', SCIM_JSON)
        .send('{"userName": ');
      expect(badJson.status).toBe(400);
      expect(badJson.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: '400', scimType: 'invalidSyntax' });
      const notJson = await t.http
        .post('/scim/v2/Users')
        .set(bearer(token))
        .set('Content-Type', 'text/plain')
        .send('userName=x');
      expect(notJson.status).toBe(415);
      expect(notJson.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: '415' });
      expect(notJson.headers['content-type']).toContain(SCIM_JSON);
      const huge = await t.http
        .post('/scim/v2/Users')
        .set(bearer(token))
        .set('Content-Type', SCIM_JSON)
        .send(JSON.stringify({ userName: 'x'.repeat(70_000) }));
      expect(huge.status).toBe(413);
      expect(huge.body).toMatchObject({ schemas: [ERROR_SCHEMA], status: '413' });
      // SCIM's media type is for SCIM routes only.
      await t.http
        .post('/orgs')
        .set(bearer(owner.token))
        .set('Content-Type', SCIM_JSON)
        .send('{"name":"x"}')
        .expect(415);
      const plainJson = await t.http
        .post('/scim/v2/Users')
        .set(bearer(token))
        .send(newUser(address('plain')))
        .expect(201);
      expect(plainJson.body.userName).toContain('plain');

      const user = (await scim.post('/Users', newUser(address('errors'))).expect(201)).body;
      const noTarget = await scim.patch(`/Users/${user.id}`, patchOp({ op: 'remove' })).expect(400);
      expect(noTarget.body.scimType).toBe('noTarget');
      const readOnly = await scim
        .patch(`/Users/${user.id}`, patchOp({ op: 'replace', path: 'id', value: 'x' }))
        .expect(400);
      expect(readOnly.body.scimType).toBe('mutability');
      const badBoolean = await scim
        .patch(`/Users/${user.id}`, patchOp({ op: 'replace', path: 'active', value: 'maybe' }))
        .expect(400);
      expect(badBoolean.body.scimType).toBe('invalidValue');
      const badPath = await scim
        .patch(`/Users/${user.id}`, patchOp({ op: 'replace', path: 'emails[type eq', value: 'x' }))
        .expect(400);
      expect(badPath.body.scimType).toBe('invalidPath');
    });

    it('answers concurrent creations of one user or group once with 201, the others 409 uniqueness', async () => {
      const userName = address('race');
      const users = await Promise.all(Array.from({ length: 5 }, () => scim.post('/Users', newUser(userName))));
      expect(users.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
      for (const res of users.filter((r) => r.status === 409)) expect(res.body.scimType).toBe('uniqueness');
      const groups = await Promise.all(
        Array.from({ length: 5 }, () => scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Race' })),
      );
      expect(groups.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409]);
      expect(await t.dataSource.query('SELECT count(*)::int AS n FROM users WHERE email = $1', [userName])).toEqual([
        { n: 1 },
      ]);
    });

    it('creates different users at once: each 201, none deadlocked into a 500', async () => {
      const names = Array.from({ length: 6 }, (_, i) => address(`burst${i}`));
      const created = await Promise.all(names.map((userName) => scim.post('/Users', newUser(userName))));
      expect(created.map((r) => r.status)).toEqual(names.map(() => 201));
      // Each told to the product once: the account made, the membership added.
      const [{ id }] = await t.dataSource.query('SELECT id FROM users WHERE email = $1', [names[0]]);
      const told = await t.dataSource.query('SELECT type, data FROM webhook_events WHERE user_id = $1 ORDER BY type', [
        id,
      ]);
      expect(told).toEqual([
        { type: 'org.member_added', data: { orgId, userId: id, role: 'member' } },
        { type: 'user.created', data: { userId: id, email: names[0], method: 'scim' } },
      ]);
    });

    it('pages with startIndex and count', async () => {
      for (let i = 0; i < 3; i++) await scim.post('/Users', newUser(address('page'))).expect(201);
      const all = (await scim.get('/Users?count=200').expect(200)).body;
      const page = (await scim.get('/Users?startIndex=2&count=2').expect(200)).body;
      expect(page).toMatchObject({ totalResults: all.totalResults, startIndex: 2, itemsPerPage: 2 });
      expect(page.Resources.map((r: { id: string }) => r.id)).toEqual(
        all.Resources.slice(1, 3).map((r: { id: string }) => r.id),
      );
      expect((await scim.get('/Users?count=0').expect(200)).body).toMatchObject({
        totalResults: all.totalResults,
        Resources: [],
      });
      // Past any page there is: an empty one, never a database error.
      for (const type of ['Users', 'Groups']) {
        const far = await scim.get(`/${type}?startIndex=99999999999999999999&count=2`).expect(200);
        expect(far.body).toMatchObject({ totalResults: expect.any(Number), itemsPerPage: 0, Resources: [] });
      }
    });
  });

  describe('with the account’s other changes', () => {
    it('links an existing account (it keeps its password); active:false ends its sessions and keys and every sign-in; true restores it', async () => {
      const email = address('existing');
      const person = await signUpVerified(t, email);
      const key = await createApiKey(t, person.token);
      const created = await scim.post('/Users', newUser(email)).expect(201);
      expect(await audit('scim.user_provisioned')).toContainEqual(
        expect.objectContaining({ details: expect.objectContaining({ userId: person.id, linked: true }) }),
      );
      await t.http.get('/me').set(bearer(person.token)).expect(200);
      const session = await logIn(t, email);

      await scim
        .patch(`/Users/${created.body.id}`, patchOp({ op: 'Replace', path: 'active', value: 'False' }))
        .expect(200);
      await t.http.get('/me').set(bearer(person.token)).expect(401);
      await t.http.get('/me').set(bearer(session.token)).expect(401);
      await t.http.get('/me').set(bearer(key.key)).expect(401);
      const login = await t.http.post('/auth/login').send({ email, password: PASSWORD }).expect(403);
      expect(login.body.error).toBe('account_suspended');
      await t.http.post('/auth/email/start').send({ email }).expect(202);
      const mails = await t.mail.waitFor((m) => m.to === email && m.subject.includes('Sign in'));
      const code = /\b(\d{6})\b/.exec(mails[mails.length - 1].text)![1];
      const byCode = await t.http.post('/auth/email/verify').send({ email, code }).expect(403);
      expect(byCode.body.error).toBe('account_suspended');

      await scim.patch(`/Users/${created.body.id}`, patchOp({ op: 'replace', value: { active: true } })).expect(200);
      await logIn(t, email);
    });

    it('with a lock, a password reset and a scheduled deletion of the same account', async () => {
      const email = address('combo');
      const person = await signUpVerified(t, email);
      const created = await scim.post('/Users', newUser(email)).expect(201);
      const users = t.app.get(UsersService);

      // An operator's lock and the directory's suspension are two things: neither lifts the other.
      await users.setLock(person.id, { reason: 'investigation' });
      await scim
        .patch(`/Users/${created.body.id}`, patchOp({ op: 'Replace', path: 'active', value: 'True' }))
        .expect(200);
      expect((await t.http.post('/auth/login').send({ email, password: PASSWORD }).expect(403)).body.error).toBe(
        'account_locked',
      );
      await scim
        .patch(`/Users/${created.body.id}`, patchOp({ op: 'Replace', path: 'active', value: 'False' }))
        .expect(200);
      await users.setLock(person.id, null);
      expect((await t.http.post('/auth/login').send({ email, password: PASSWORD }).expect(403)).body.error).toBe(
        'account_suspended',
      );
      await scim
        .patch(`/Users/${created.body.id}`, patchOp({ op: 'Replace', path: 'active', value: 'True' }))
        .expect(200);

      // A password reset keeps the account provisioned, and its new password signs in.
      await t.http.post('/auth/password/forgot').send({ email }).expect(202);
      const [mail] = await t.mail.waitFor((m) => m.to === email && m.subject.includes('Reset'));
      const token = /reset-password\?token=([A-Za-z0-9_-]+)/.exec(mail.text)![1];
      const fresh = 'Another-Long-Passphrase-77';
      await t.http.post('/auth/password/reset').send({ token, newPassword: fresh }).expect(200);
      const signedIn = await logIn(t, email, { password: fresh });
      expect((await scim.get(`/Users/${created.body.id}`).expect(200)).body).toMatchObject({
        active: true,
        userName: email,
      });

      // A deletion the user scheduled: deprovisioning erases the account at once, grace or not.
      const stepped = await confirmPassword(t, signedIn.token, fresh);
      await t.http.delete('/me').set(bearer(stepped)).expect(202);
      await scim.delete(`/Users/${created.body.id}`).expect(204);
      expect(await t.dataSource.query('SELECT id FROM users WHERE id = $1', [person.id])).toEqual([]);
    });

    it('keeps governing a linked account that moved its address out of the domain, and deprovisioning it only ends the membership', async () => {
      const person = await signUpVerified(t, address('mover'));
      const created = await scim.post('/Users', newUser(person.email)).expect(201);
      const stepped = await confirmPassword(t, person.token);
      const elsewhere = `mover.${Date.now().toString(36)}@example.com`;
      await t.http.post('/me/email').set(bearer(stepped)).send({ email: elsewhere }).expect(200);
      await t.http
        .post('/auth/verify-email')
        .send({ token: await verificationToken(t, elsewhere) })
        .expect(200);

      await scim
        .patch(`/Users/${created.body.id}`, patchOp({ op: 'Replace', path: 'active', value: 'False' }))
        .expect(200);
      const refused = await t.http.post('/auth/login').send({ email: elsewhere, password: PASSWORD }).expect(403);
      expect(refused.body.error).toBe('account_suspended');

      await scim.delete(`/Users/${created.body.id}`).expect(204);
      expect(await t.dataSource.query('SELECT email FROM users WHERE id = $1', [person.id])).toEqual([
        { email: elsewhere },
      ]);
      expect(await t.dataSource.query('SELECT 1 FROM org_members WHERE user_id = $1', [person.id])).toEqual([]);
      await logIn(t, elsewhere);
    });

    it('deprovisioning erases an account of the domain held by no other organization, and only removes the membership otherwise', async () => {
      const onlyHere = (await scim.post('/Users', newUser(address('leaver'))).expect(201)).body;
      const [account] = await t.dataSource.query('SELECT id FROM users WHERE email = $1', [onlyHere.userName]);
      await scim.delete(`/Users/${onlyHere.id}`).expect(204);
      expect(await t.dataSource.query('SELECT id FROM users WHERE id = $1', [account.id])).toEqual([]);
      await scim.get(`/Users/${onlyHere.id}`).expect(404);
      // Its webhook events went with the erasure; the audit row stays, naming a pseudonym.
      const [deprovisioned] = (await audit('scim.user_deprovisioned')).slice(-1);
      expect(deprovisioned.details).toMatchObject({ scimUserId: onlyHere.id, erased: true });
      expect(deprovisioned.details.userId).not.toBe(account.id);

      const email = address('elsewhere');
      const person = await signUpVerified(t, email);
      const otherOrg = (await t.http.post('/orgs').set(bearer(person.token)).send({ name: 'Side project' }).expect(201))
        .body.id;
      const linked = (await scim.post('/Users', newUser(email)).expect(201)).body;
      await scim.patch(`/Users/${linked.id}`, patchOp({ op: 'replace', path: 'active', value: false })).expect(200);
      await scim.delete(`/Users/${linked.id}`).expect(204);
      expect(await roleOf(person.id)).toBeUndefined();
      expect((await events('org.member_removed')).map((e: { data: object }) => e.data)).toContainEqual({
        orgId,
        userId: person.id,
      });
      // This directory no longer governs the account: its suspension is lifted.
      const session = await logIn(t, email);
      const orgs = await t.http.get('/orgs').set(bearer(session.token)).expect(200);
      expect(orgs.body.map((o: { id: string }) => o.id)).toEqual([otherOrg]);
    });

    it('never removes or demotes the last owner', async () => {
      const ownerScim = (await scim.post('/Users', newUser(owner.email)).expect(201)).body;
      expect(await roleOf(owner.id)).toBe('owner');
      const refused = await scim.delete(`/Users/${ownerScim.id}`).expect(409);
      expect(refused.body).toMatchObject({
        schemas: [ERROR_SCHEMA],
        status: '409',
        detail: expect.stringContaining('owner'),
      });
      const group = (
        await scim
          .post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Acme Owners', members: [{ value: ownerScim.id }] })
          .expect(201)
      ).body;
      const demote = await scim
        .patch(`/Groups/${group.id}`, patchOp({ op: 'remove', path: `members[value eq "${ownerScim.id}"]` }))
        .expect(409);
      expect(demote.body.detail).toContain('owner');
      expect(await roleOf(owner.id)).toBe('owner');
    });

    it('changes a role through the organizations module: the member’s session rotates on its next request', async () => {
      const email = address('rotated');
      const person = await signUpVerified(t, email);
      const linked = (await scim.post('/Users', newUser(email)).expect(201)).body;
      const group = (
        await scim
          .post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Acme Admins', members: [{ value: linked.id }] })
          .expect(201)
      ).body;
      expect(await roleOf(person.id)).toBe('admin');
      const next = await t.http.get('/me').set(bearer(person.token)).expect(200);
      expect(next.headers['x-session-token']).toEqual(expect.any(String));
      expect(next.headers['x-session-token']).not.toBe(person.token);
      await scim.delete(`/Groups/${group.id}`).expect(204);
      expect(await roleOf(person.id)).toBe('member');
    });

    it('claims an account that never proved its address: whoever made it loses its sessions, not only its password', async () => {
      // Someone registers the employee's address before the directory provisions it, and keeps the session.
      const email = address('preclaimed');
      const squatter = await signUp(t, email);
      await t.http.get('/me').set(bearer(squatter.token)).expect(200);
      await scim.post('/Users', newUser(email)).expect(201);
      expect(await roleOf(squatter.id)).toBe('member');
      // The account is the directory's now (verified, a member): the squatter's session must not be.
      await t.http.get('/me').set(bearer(squatter.token)).expect(401);
      await t.http.get(`/orgs/${orgId}`).set(bearer(squatter.token)).expect(401);
      expect((await t.http.post('/auth/login').send({ email, password: PASSWORD })).status).toBe(401);
      expect(await audit('user.unverified_account_claimed')).toContainEqual(
        expect.objectContaining({ target: `org:${orgId}`, details: expect.objectContaining({ userId: squatter.id }) }),
      );
    });

    it("keeps an account suspended while another organization's directory still has it inactive", async () => {
      // Provisioned by this directory, the person moves to the other organization's domain, whose directory provisions them too.
      const email = address('twice');
      const person = await signUpVerified(t, email);
      const here = (await scim.post('/Users', newUser(email)).expect(201)).body;
      person.token = await confirmPassword(t, person.token);
      const moved = address('twice', OTHER_DOMAIN);
      await t.http.post('/me/email').set(bearer(person.token)).send({ email: moved }).expect(200);
      await t.http
        .post('/auth/verify-email')
        .send({ token: await verificationToken(t, moved) })
        .expect(200);
      const theirs = scimClient(t, other.token);
      const there = (await theirs.post('/Users', newUser(moved)).expect(201)).body;
      const deactivate = patchOp({ op: 'replace', path: 'active', value: false });
      const reactivate = patchOp({ op: 'replace', path: 'active', value: true });
      // Both directories deactivate them; the first to reactivate does not undo the other's.
      await scim.patch(`/Users/${here.id}`, deactivate).expect(200);
      await theirs.patch(`/Users/${there.id}`, deactivate).expect(200);
      await scim.patch(`/Users/${here.id}`, reactivate).expect(200);
      const login = await t.http.post('/auth/login').send({ email: moved, password: PASSWORD }).expect(403);
      expect(login.body.error).toBe('account_suspended');
      await theirs.patch(`/Users/${there.id}`, reactivate).expect(200);
      await logIn(t, moved);
      // Likewise when a directory that deactivated them deprovisions them.
      await theirs.patch(`/Users/${there.id}`, deactivate).expect(200);
      await scim.patch(`/Users/${here.id}`, deactivate).expect(200);
      await theirs.delete(`/Users/${there.id}`).expect(204);
      expect((await t.http.post('/auth/login').send({ email: moved, password: PASSWORD }).expect(403)).body.error).toBe(
        'account_suspended',
      );
      await scim.patch(`/Users/${here.id}`, reactivate).expect(200);
      await logIn(t, moved);
    });

    it('tells webhooks of a membership and of a role change once each', async () => {
      const linked = (await scim.post('/Users', newUser(address('once'))).expect(201)).body;
      const [account] = await t.dataSource.query('SELECT id FROM users WHERE email = $1', [linked.userName]);
      const of = async (type: string) =>
        (await events(type)).filter((e: { data: { userId: string } }) => e.data.userId === account.id);
      expect(await of('org.member_added')).toHaveLength(1);
      const group = (await scim.get(`/Groups?filter=${encodeURIComponent('displayName eq "Acme Admins"')}`).expect(200))
        .body.Resources[0] as { id: string } | undefined;
      const admins =
        group ?? (await scim.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Acme Admins' }).expect(201)).body;
      await scim
        .patch(`/Groups/${admins.id}`, patchOp({ op: 'add', path: 'members', value: [{ value: linked.id }] }))
        .expect(200);
      expect(await of('org.member_role_changed')).toHaveLength(1);
    });

    it('lifts the suspensions of an organization that is deleted: no one is left to lift them', async () => {
      const gone = await orgWithVerifiedDomain(t, dns, 'hooli-scim.test');
      const directory = scimClient(t, await scimToken(t, gone.orgId, gone.owner));
      const email = address('stranded', 'hooli-scim.test');
      const person = await signUpVerified(t, email);
      const linked = (await directory.post('/Users', newUser(email)).expect(201)).body;
      await directory
        .patch(`/Users/${linked.id}`, patchOp({ op: 'replace', path: 'active', value: false }))
        .expect(200);
      expect((await t.http.post('/auth/login').send({ email, password: PASSWORD }).expect(403)).body.error).toBe(
        'account_suspended',
      );
      gone.owner.token = await confirmPassword(t, gone.owner.token);
      await t.http.delete(`/orgs/${gone.orgId}`).set(bearer(gone.owner.token)).expect(204);
      await logIn(t, email);
      expect((await events('user.reactivated')).map((e: { data: object }) => e.data)).toContainEqual({
        userId: person.id,
        orgId: gone.orgId,
      });

      // Unless another organization's directory has the account inactive too: that one holds it then.
      const second = await orgWithVerifiedDomain(t, dns, 'pied-scim.test');
      const secondDirectory = scimClient(t, await scimToken(t, second.orgId, second.owner));
      const twice = address('held', 'pied-scim.test');
      const held = await signUpVerified(t, twice);
      const first = (await secondDirectory.post('/Users', newUser(twice)).expect(201)).body;
      held.token = await confirmPassword(t, held.token);
      const moved = address('held', DOMAIN);
      await t.http.post('/me/email').set(bearer(held.token)).send({ email: moved }).expect(200);
      await t.http
        .post('/auth/verify-email')
        .send({ token: await verificationToken(t, moved) })
        .expect(200);
      const here = (await scim.post('/Users', newUser(moved)).expect(201)).body;
      const deactivate = patchOp({ op: 'replace', path: 'active', value: false });
      await secondDirectory.patch(`/Users/${first.id}`, deactivate).expect(200);
      await scim.patch(`/Users/${here.id}`, deactivate).expect(200);
      second.owner.token = await confirmPassword(t, second.owner.token);
      await t.http.delete(`/orgs/${second.orgId}`).set(bearer(second.owner.token)).expect(204);
      const refused = await t.http.post('/auth/login').send({ email: moved, password: PASSWORD }).expect(403);
      expect(refused.body.error).toBe('account_suspended');
      await scim.patch(`/Users/${here.id}`, patchOp({ op: 'replace', path: 'active', value: true })).expect(200);
      await logIn(t, moved);
    });

    it('answers 403 on Users and Groups once the organization’s SSO connection is gone', async () => {
      const lone = await orgWithVerifiedDomain(t, dns, 'initech-scim.test');
      const directory = scimClient(t, await scimToken(t, lone.orgId, lone.owner));
      await directory.get('/Users').expect(200);
      await t.http.delete(`/orgs/${lone.orgId}/sso/saml`).set(bearer(lone.owner.token)).expect(204);
      const refused = await directory.get('/Users').expect(403);
      expect(refused.body).toEqual({
        schemas: [ERROR_SCHEMA],
        status: '403',
        detail: expect.stringContaining('verified domain'),
      });
      await directory.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'G' }).expect(403);
      await directory.get('/ServiceProviderConfig').expect(200);
    });

    it("keeps each organization's directory to itself: another organization's ids answer 404", async () => {
      const mine = (await scim.post('/Users', newUser(address('mine'))).expect(201)).body;
      const theirs = scimClient(t, other.token);
      await theirs.get(`/Users/${mine.id}`).expect(404);
      await theirs.patch(`/Users/${mine.id}`, patchOp({ op: 'replace', path: 'active', value: false })).expect(404);
      await theirs.delete(`/Users/${mine.id}`).expect(404);
      const list = await theirs
        .get(`/Users?filter=${encodeURIComponent(`userName eq "${mine.userName}"`)}`)
        .expect(200);
      expect(list.body.totalResults).toBe(0);
      // Nor may it provision an address of this organization's domain.
      const outside = await theirs.post('/Users', newUser(address('intruder'))).expect(400);
      expect(outside.body.scimType).toBe('invalidValue');
    });
  });
});
