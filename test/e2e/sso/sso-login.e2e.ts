import { SsoIdentitiesOfVerifiedDomains1796900000000 } from '../../../migrations/1796900000000-SsoIdentitiesOfVerifiedDomains';
import { createHash, randomBytes } from 'node:crypto';
import type { ClientInfo } from '../../../src/common/client-info';
import type { SessionAuth } from '../../../src/http';
import { SessionsService } from '../../../src/sessions/sessions.service';
import { SAML_CLOCK_SKEW_MS, SamlRejection } from '../../../src/sso/saml';
import { SamlStrategy } from '../../../src/sso/saml.strategy';
import type { StartLoginOptions } from '../../../src/sso/sso-login.service';
import { TaskRunner } from '../../../src/tasks';
import { UsersService } from '../../../src/users/users.service';
import { NAMEID_FORMAT, readAuthnRequest, TestIdp, type ResponseOptions } from '../../support/saml-idp';
import { samlDriver } from '../../support/saml-strategy';
import { startTestApp, TestApp } from '../../support/test-app';
import { startTxtDnsServer, TxtDnsServer } from '../../support/txt-dns-server';
import { selfSigned } from '../../support/x509';
import {
  actingAs,
  bearer,
  confirmPassword,
  PASSWORD,
  signUp,
  SignedUp,
  signUpVerified,
  expectReplacedToken,
  enableTotp,
  uniqueEmail,
  verificationToken,
} from '../../support/users';

/*
 * The SAML sign-in through passport-saml's strategy, without HTTP (saml.e2e.ts drives the routes):
 * a login starts with the strategy's redirect, the test IdP answers the AuthnRequest it carries with
 * a really signed Response, and the strategy takes that Response as the ACS does. node-saml checks times against
 * the wall clock, so responses use real times; the app's clock starts at real now and moves little.
 */

const MINUTE = 60_000;
const CLIENT: ClientInfo = { ip: '203.0.113.7', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' };
const GROUPS = { staff: 'member', leads: 'admin', founders: 'owner' };

interface Provider {
  id: string;
  orgId: string;
  domain: string;
  idp: TestIdp;
  acsUrl: string;
  spEntityId: string;
  /** Who set it up: an owner, the only one its login starts for until the domain is verified. */
  ownerId: string;
}

describe('SAML sign-in (SamlStrategy and SsoLoginService)', () => {
  let t: TestApp;
  let dns: TxtDnsServer;
  let login: ReturnType<typeof samlDriver>;
  /** acme.test: verified domain, groups mapped to roles. */
  let acme: Provider;
  /** beta.test: domain never verified. */
  let beta: Provider;
  let boss: SignedUp;
  let betaBoss: SignedUp;

  const bindingToken = () => randomBytes(32).toString('base64url');

  /** A login redirect, and the AuthnRequest its redirect carries. */
  const begin = async (provider: Provider, options: Partial<StartLoginOptions> = {}) => {
    const token = options.bindingToken ?? bindingToken();
    const { redirectUrl } = await login.start(provider.id, {
      signedInUserId: provider.ownerId,
      ...options,
      bindingToken: token,
    });
    return { redirectUrl, request: readAuthnRequest(redirectUrl), bindingToken: token };
  };
  const respond = (provider: Provider, inResponseTo: string | null, options: Partial<ResponseOptions> = {}) =>
    provider.idp.buildResponse({ acsUrl: provider.acsUrl, spEntityId: provider.spEntityId, inResponseTo, ...options });
  const person = (local: string, domain: string, extra: Record<string, string | string[]> = {}) => ({
    nameId: `${local}-${randomBytes(4).toString('hex')}`,
    nameIdFormat: NAMEID_FORMAT.persistent,
    attributes: { email: `${local}@${domain}`, ...extra },
  });
  /** A whole sign-in: start, the IdP's answer, the ACS. */
  const signIn = async (
    provider: Provider,
    response: Partial<ResponseOptions>,
    start: Partial<StartLoginOptions> = {},
  ) => {
    const { request, bindingToken: token } = await begin(provider, start);
    return login.complete(provider.id, respond(provider, request.id, response).base64, token, CLIENT);
  };
  /** A whole sign-in that may answer a dry run. */
  const signInOutcome = async (provider: Provider, response: Partial<ResponseOptions>) => {
    const { request, bindingToken: token } = await begin(provider);
    return login.outcome(provider.id, respond(provider, request.id, response).base64, token, CLIENT);
  };
  const rejected = async (promise: Promise<unknown>, reason: RegExp) => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SamlRejection);
    expect((error as SamlRejection).reason).toMatch(reason);
  };
  const me = async (token: string) => (await t.http.get('/me').set(bearer(token)).expect(200)).body;
  const roleIn = async (orgId: string, userId: string) =>
    (await t.dataSource.query('SELECT role FROM org_members WHERE org_id = $1 AND user_id = $2', [orgId, userId]))[0]
      ?.role;
  const audit = (action: string, userId: string) =>
    t.dataSource.query(
      `SELECT actor_id, target, details FROM audit_log WHERE action = $1 AND details->>'userId' = $2 ORDER BY id`,
      [action, userId],
    );
  const sessionAuth = async (token: string): Promise<SessionAuth> => ({
    kind: 'session',
    ...(await t.app.get(SessionsService).authenticate(token)),
  });

  /** Creates an organization with a provider through the real routes; verifies its domain when asked. */
  const configure = async (owner: SignedUp, domain: string, verify: boolean): Promise<Provider> => {
    const idp = new TestIdp(`https://idp.${domain}/metadata`, `https://idp.${domain}/sso`);
    const orgId = (await t.http.post('/orgs').set(bearer(owner.token)).send({ name: 'Tenant' }).expect(201)).body.id;
    owner.token = await confirmPassword(t, owner.token);
    const saved = await t.http
      .put(`/orgs/${orgId}/sso/saml`)
      .set(bearer(owner.token))
      .send({
        domain,
        idpMetadataXml: idp.metadataXml(),
        groupsAttribute: 'groups',
        groupRoleMap: GROUPS,
        defaultRole: 'member',
      })
      .expect(200);
    if (verify) {
      const record = saved.body.domainVerificationRecord;
      dns.records.set(record.name, [record.value]);
      await t.http.post(`/orgs/${orgId}/sso/saml/verify-domain`).set(bearer(owner.token)).expect(200);
    }
    return {
      id: saved.body.id,
      orgId,
      domain,
      idp,
      acsUrl: saved.body.acsUrl,
      spEntityId: saved.body.spEntityId,
      ownerId: owner.id,
    };
  };

  beforeAll(async () => {
    dns = await startTxtDnsServer();
    const sp = selfSigned({ commonName: 'authd-sp' });
    t = await startTestApp({
      env: {
        DNS_SERVERS: `127.0.0.1:${dns.port}`,
        SAML_SP_PRIVATE_KEY: sp.key,
        SAML_SP_CERT: sp.cert,
        // Short, so that making a step-up stale moves the app's clock little away from node-saml's.
        STEP_UP_WINDOW: '1m',
      },
    });
    login = samlDriver(t.app.get(SamlStrategy));
    boss = await signUpVerified(t, undefined, undefined, 'Acme Boss');
    betaBoss = await signUpVerified(t, undefined, undefined, 'Beta Boss');
    acme = await configure(boss, 'acme.test', true);
    beta = await configure(betaBoss, 'beta.test', false);
  });
  afterAll(async () => {
    await t.close();
    await dns.close();
  });

  describe('login redirect', () => {
    it('redirects to the IdP with a signed AuthnRequest for our ACS, and stores its id with the binding hash', async () => {
      const { redirectUrl, request, bindingToken: token } = await begin(acme, { returnTo: '/welcome' });
      expect(redirectUrl.startsWith('https://idp.acme.test/sso/redirect?')).toBe(true);
      expect(request).toMatchObject({
        issuer: acme.spEntityId,
        acsUrl: acme.acsUrl,
        forceAuthn: false,
        relayState: null,
        sigAlg: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      });
      expect(request.signature).toEqual(expect.any(String));
      const rows = await t.dataSource.query(
        `SELECT binding_hash, return_to, force_authn, step_up_session_id, created_at, expires_at
           FROM saml_requests WHERE provider_id = $1 AND request_id = $2`,
        [acme.id, request.id],
      );
      expect(rows).toEqual([
        {
          binding_hash: createHash('sha256').update(token).digest(),
          return_to: '/welcome',
          force_authn: false,
          step_up_session_id: null,
          created_at: expect.any(Date),
          expires_at: new Date(t.clock.now().getTime() + 10 * MINUTE),
        },
      ]);
    });

    it('keeps returnTo only when it is a path on our origin', async () => {
      const stored = async (returnTo: string) => {
        const { request } = await begin(acme, { returnTo });
        const [row] = await t.dataSource.query(
          'SELECT return_to FROM saml_requests WHERE provider_id = $1 AND request_id = $2',
          [acme.id, request.id],
        );
        return row.return_to;
      };
      expect(await stored('/orgs/1/docs?tab=recent#top')).toBe('/orgs/1/docs?tab=recent#top');
      for (const bad of ['//evil.test/x', 'https://evil.test/', 'javascript:alert(1)', '/\\evil.test', '/a\nb', 'x']) {
        expect({ bad, stored: await stored(bad) }).toEqual({ bad, stored: null });
      }
      expect(await stored('/' + 'a'.repeat(2048))).toBeNull();
    });

    it('answers not_found for an unknown provider', async () => {
      for (const id of ['00000000-0000-4000-8000-000000000000', 'not-an-id']) {
        await expect(login.start(id, { bindingToken: bindingToken() })).rejects.toMatchObject({
          code: 'not_found',
        });
      }
    });
  });

  describe('first sign-in', () => {
    it('provisions an account: no password, address verified, name and role from the assertion', async () => {
      const alice = person('alice', 'acme.test', { displayName: 'Alice Liddell', groups: ['staff', 'leads'] });
      const { session, returnTo } = await signIn(acme, alice, { returnTo: '/welcome' });
      expect(returnTo).toBe('/welcome');
      expect(session).toEqual({
        id: expect.any(String),
        token: expect.any(String),
        expiresAt: expect.any(Date),
        idleExpiresAt: expect.any(Date),
      });
      const user = await me(session.token);
      expect(user).toMatchObject({
        email: 'alice@acme.test',
        name: 'Alice Liddell',
        emailVerified: true,
        hasPassword: false,
        ssoProviderId: acme.id,
      });
      expect(await roleIn(acme.orgId, user.id)).toBe('admin');
      const sessions = await t.http.get('/me/sessions').set(bearer(session.token)).expect(200);
      expect(sessions.body).toEqual([expect.objectContaining({ id: session.id, authMethod: 'saml', current: true })]);
      expect(await audit('sso.user_provisioned', user.id)).toEqual([
        { actor_id: user.id, target: `user:${user.id}`, details: { userId: user.id, providerId: acme.id } },
      ]);
      expect(await audit('sso.login', user.id)).toEqual([
        {
          actor_id: user.id,
          target: `session:${session.id}`,
          details: { userId: user.id, providerId: acme.id, provisioned: true },
        },
      ]);
      expect(
        await t.dataSource.query('SELECT name_id FROM sso_identities WHERE provider_id = $1 AND user_id = $2', [
          acme.id,
          user.id,
        ]),
      ).toEqual([{ name_id: alice.nameId }]);
    });

    it('names the account from givenName and surname, and gives the default role without groups', async () => {
      const { session } = await signIn(acme, person('gwen', 'acme.test', { givenName: 'Gwen', sn: 'Stacy' }));
      const user = await me(session.token);
      expect(user.name).toBe('Gwen Stacy');
      expect(await roleIn(acme.orgId, user.id)).toBe('member');
    });

    it('answers a dry run on a domain not yet verified: what it asserted and the role, and creates nothing', async () => {
      const bob = person('bob', 'beta.test', { groups: ['founders'] });
      const { request, bindingToken: token } = await begin(beta);
      const response = respond(beta, request.id, bob);
      const outcome = await login.outcome(beta.id, response.base64, token, CLIENT);
      expect(outcome).toEqual({
        dryRun: {
          providerId: beta.id,
          nameId: bob.nameId,
          nameIdFormat: NAMEID_FORMAT.persistent,
          email: 'bob@beta.test',
          emailInDomain: true,
          groups: ['founders'],
          role: 'owner',
        },
      });
      expect(await t.dataSource.query("SELECT 1 FROM users WHERE email = 'bob@beta.test'")).toEqual([]);
      expect(await t.dataSource.query('SELECT 1 FROM sso_identities WHERE provider_id = $1', [beta.id])).toEqual([]);
      // The request and the assertion are spent all the same.
      await rejected(login.outcome(beta.id, response.base64, token, CLIENT), /no request in flight/);
      expect(
        await t.dataSource.query('SELECT 1 FROM saml_assertions WHERE provider_id = $1 AND assertion_id = $2', [
          beta.id,
          response.assertionId,
        ]),
      ).toEqual([{ '?column?': 1 }]);
      // An address outside the domain is shown as such.
      const stranger = await signInOutcome(beta, person('eve', 'other.test'));
      expect(stranger).toEqual({ dryRun: expect.objectContaining({ email: 'eve@other.test', emailInDomain: false }) });
    });

    it('links an existing account with the address when the domain is verified', async () => {
      const carol = await signUpVerified(t, 'carol@acme.test', PASSWORD, 'Carol');
      const assertion = person('carol', 'acme.test', { displayName: 'Someone Else' });
      const { session } = await signIn(acme, assertion);
      const user = await me(session.token);
      expect(user).toMatchObject({ id: carol.id, name: 'Carol', hasPassword: true, ssoProviderId: acme.id });
      expect(await roleIn(acme.orgId, carol.id)).toBe('member');
      expect(await audit('sso.user_provisioned', carol.id)).toEqual([]);
      expect(await audit('sso.login', carol.id)).toEqual([
        expect.objectContaining({ details: { userId: carol.id, providerId: acme.id, provisioned: false } }),
      ]);
      // The next sign-in finds the identity.
      const again = await signIn(acme, assertion);
      expect((await me(again.session.token)).id).toBe(carol.id);
    });

    it('signs in no account an operator locked or a directory suspended, and the same again once lifted', async () => {
      const assertion = person('dora', 'acme.test');
      const first = await signIn(acme, assertion);
      const { id } = await me(first.session.token);
      const users = t.app.get(UsersService);

      await users.setLock(id, { reason: 'under investigation' });
      await t.http.get('/me').set(bearer(first.session.token)).expect(401);
      await expect(signIn(acme, assertion)).rejects.toMatchObject({ code: 'account_locked' });
      await users.setLock(id, null);

      await users.setSuspension(id, acme.orgId, true);
      await expect(signIn(acme, assertion)).rejects.toMatchObject({ code: 'account_suspended' });
      await users.setSuspension(id, acme.orgId, false);

      expect((await me((await signIn(acme, assertion)).session.token)).id).toBe(id);
      const sessions = await t.dataSource.query('SELECT count(*)::int AS n FROM sessions WHERE user_id = $1', [id]);
      expect(sessions).toEqual([{ n: 2 }]);
    });

    it('never links an existing account while the domain is unverified (a dry run), nor one that never verified its address', async () => {
      const dave = await signUpVerified(t, 'dave@beta.test');
      expect(await signInOutcome(beta, person('dave', 'beta.test'))).toEqual({
        dryRun: expect.objectContaining({ email: 'dave@beta.test', emailInDomain: true }),
      });
      expect((await me(dave.token)).ssoProviderId).toBeNull();
      expect(await t.dataSource.query('SELECT 1 FROM sessions WHERE user_id = $1', [dave.id])).toHaveLength(1);

      const unverified = await signUp(t, 'umberto@acme.test');
      await rejected(signIn(acme, person('umberto', 'acme.test')), /never verified/);
      expect((await me(unverified.token)).ssoProviderId).toBeNull();
      expect(
        await t.dataSource.query('SELECT 1 FROM sso_identities WHERE user_id = ANY($1::uuid[])', [
          [dave.id, unverified.id],
        ]),
      ).toEqual([]);
    });

    it("refuses an address outside the provider's domain, look-alikes included, and a missing address", async () => {
      for (const email of [
        'eve@other.test',
        'alice@acme.test.evil.test',
        'alice@evilacme.test',
        'alice@sub.acme.test',
        'alice@acme.tes',
      ]) {
        const [local, domain] = email.split('@');
        await rejected(signIn(acme, person(local, domain)), /^asserted address of/);
      }
      await rejected(
        signIn(acme, { nameId: 'no-mail', nameIdFormat: NAMEID_FORMAT.persistent, attributes: { displayName: 'X' } }),
        /no email address/,
      );
      expect(
        await t.dataSource.query("SELECT email FROM users WHERE email LIKE '%evil%' OR email LIKE 'eve@%'"),
      ).toEqual([]);
    });

    it('refuses an asserted address that is no address, and stores the canonical form of one that is', async () => {
      for (const local of ['"a b"', 'a\u0001b', 'ü']) {
        // The NameID carries the local part too: a control character is refused there first.
        await rejected(signIn(acme, person(local, 'acme.test')), /not an address|no email address|control character/);
      }
      const { session } = await signIn(acme, person('Dora', 'ACME.test'));
      expect((await me(session.token)).email).toBe('dora@acme.test');
      expect(
        await t.dataSource.query(`SELECT email FROM users WHERE email LIKE '%a b%' OR email LIKE 'a%b@%'`),
      ).toEqual([]);
    });

    it('refuses a transient NameID', async () => {
      await rejected(
        signIn(acme, { ...person('tom', 'acme.test'), nameIdFormat: NAMEID_FORMAT.transient }),
        /transient NameID/,
      );
    });
  });

  describe('every sign-in', () => {
    it('re-applies the groups: a changed role rotates the sessions the member already has', async () => {
      const hank = person('hank', 'acme.test', { groups: ['leads'] });
      const first = await signIn(acme, hank);
      const userId = (await me(first.session.token)).id;
      expect(await roleIn(acme.orgId, userId)).toBe('admin');
      const earlier = actingAs(t, { token: first.session.token });

      await signIn(acme, { ...hank, attributes: { ...hank.attributes, groups: ['staff'] } });
      expect(await roleIn(acme.orgId, userId)).toBe('member');
      const rotated = await earlier.get('/me').expect(200);
      expect(rotated.headers['x-session-token']).toEqual(expect.any(String));
      expect(rotated.headers['x-session-token']).not.toBe(first.session.token);

      await signIn(acme, { ...hank, attributes: { ...hank.attributes, groups: ['staff', 'founders', 'visitors'] } });
      expect(await roleIn(acme.orgId, userId)).toBe('owner');
      // The same role again changes nothing and rotates nothing.
      const same = await signIn(acme, { ...hank, attributes: { ...hank.attributes, groups: ['founders'] } });
      expect((await t.http.get('/me').set(bearer(same.session.token)).expect(200)).headers['x-session-token']).toBe(
        undefined,
      );
      expect((await audit('sso.role_changed', userId)).map((row: { details: object }) => row.details)).toEqual([
        { userId, providerId: acme.id, from: null, to: 'admin' },
        { userId, providerId: acme.id, from: 'admin', to: 'member' },
        { userId, providerId: acme.id, from: 'member', to: 'owner' },
      ]);
    });

    it('never demotes the last owner, and records that it did not', async () => {
      const deltaBoss = await signUpVerified(t, undefined, undefined, 'Delta Boss');
      const delta = await configure(deltaBoss, 'delta.test', true);
      const bobAssertion = person('bob', 'delta.test', { groups: ['founders'] });
      const { session } = await signIn(delta, bobAssertion);
      const bob = (await me(session.token)).id;
      // Delta's creator leaves; Bob, owner through his groups, is the last owner.
      await t.http.delete(`/orgs/${delta.orgId}/members/${deltaBoss.id}`).set(bearer(deltaBoss.token)).expect(204);
      await signIn(delta, { ...bobAssertion, attributes: { email: 'bob@delta.test', groups: ['staff'] } });
      expect(await roleIn(delta.orgId, bob)).toBe('owner');
      expect((await audit('sso.role_changed', bob)).map((row: { details: object }) => row.details)).toEqual([
        { userId: bob, providerId: delta.id, from: null, to: 'owner' },
        { userId: bob, providerId: delta.id, from: 'owner', to: 'owner', mappedRole: 'member', kept: 'last_owner' },
      ]);
    });
  });

  describe('refuses responses that do not answer a request of this browser, once', () => {
    it('an unknown or missing InResponseTo', async () => {
      const alice = person('ivy', 'acme.test');
      await begin(acme);
      await rejected(
        login.complete(acme.id, respond(acme, '_unknown-request', alice).base64, bindingToken(), CLIENT),
        /InResponseTo names no request in flight/,
      );
      await rejected(
        login.complete(acme.id, respond(acme, null, alice).base64, bindingToken(), CLIENT),
        /no InResponseTo/,
      );
    });

    it("another provider's request", async () => {
      const { request, bindingToken: token } = await begin(acme);
      const forBeta = respond(beta, request.id, person('bob', 'beta.test'));
      await rejected(login.complete(beta.id, forBeta.base64, token, CLIENT), /InResponseTo names no request in flight/);
    });

    it('the wrong binding cookie, or none, before any parse; the request stays for the browser that started it', async () => {
      const jo = person('jo', 'acme.test');
      for (const wrong of [bindingToken(), undefined]) {
        const { request, bindingToken: right } = await begin(acme);
        const response = respond(acme, request.id, jo);
        await rejected(login.complete(acme.id, response.base64, wrong, CLIENT), /binding cookie/);
        expect(await t.dataSource.query("SELECT 1 FROM users WHERE email = 'jo@acme.test'")).toEqual([]);
        if (wrong === undefined) {
          // Not even a well-formed body is looked at without the cookie.
          await rejected(login.complete(acme.id, 'not base64 at all!', wrong, CLIENT), /^no binding cookie$/);
        }
        await login.complete(acme.id, response.base64, right, CLIENT);
        await t.dataSource.query("DELETE FROM users WHERE email = 'jo@acme.test'");
      }
    });

    it('a replay, one after the other', async () => {
      const { request, bindingToken: token } = await begin(acme);
      const response = respond(acme, request.id, person('kim', 'acme.test'));
      await login.complete(acme.id, response.base64, token, CLIENT);
      await rejected(
        login.complete(acme.id, response.base64, token, CLIENT),
        /InResponseTo names no request in flight/,
      );
    });

    it('an assertion id used before, even answering a new request', async () => {
      const kim = person('kim2', 'acme.test');
      const first = await begin(acme);
      const used = respond(acme, first.request.id, kim);
      await login.complete(acme.id, used.base64, first.bindingToken, CLIENT);
      const second = await begin(acme);
      const again = respond(acme, second.request.id, { ...kim, assertionId: used.assertionId });
      await rejected(login.complete(acme.id, again.base64, second.bindingToken, CLIENT), /used already/);
    });

    it('a replay racing the original: exactly one session', async () => {
      const { request, bindingToken: token } = await begin(acme);
      const response = respond(acme, request.id, person('lee', 'acme.test'));
      const outcomes = await Promise.allSettled([
        login.complete(acme.id, response.base64, token, CLIENT),
        login.complete(acme.id, response.base64, token, CLIENT),
      ]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
      const failure = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected')!;
      expect(failure.reason).toBeInstanceOf(SamlRejection);
      expect(
        await t.dataSource.query(
          "SELECT count(*)::int AS n FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'lee@acme.test'",
        ),
      ).toEqual([{ n: 1 }]);
    });
    it('a double submit whose other copy fails (damaged on its way) does not spoil the one that passes', async () => {
      const { request, bindingToken: token } = await begin(acme);
      const response = respond(acme, request.id, person('lou', 'acme.test'));
      // The same response with its signed NameID changed: node-saml refuses it after reading its InResponseTo.
      const damaged = Buffer.from(response.xml.replace(/lou-[0-9a-f]{8}/, 'lou-damaged')).toString('base64');
      await rejected(login.complete(acme.id, damaged, token, CLIENT), /node-saml: Invalid/);
      const { session } = await login.complete(acme.id, response.base64, token, CLIENT);
      expect((await me(session.token)).email).toBe('lou@acme.test');
      await rejected(login.complete(acme.id, response.base64, token, CLIENT), /InResponseTo/);
    });
  });

  describe('step-up through SSO', () => {
    let mia: { token: string; id: string; nameId: string };

    beforeAll(async () => {
      const assertion = person('mia', 'acme.test');
      const { session } = await signIn(acme, assertion);
      mia = { token: session.token, id: (await me(session.token)).id, nameId: assertion.nameId };
    });

    it('is offered to an account without a password once its step-up is stale', async () => {
      const carol = await t.http.post('/auth/login').send({ email: 'carol@acme.test', password: PASSWORD }).expect(200);
      t.clock.advance(MINUTE + 1000);
      const expected = {
        statusCode: 403,
        error: 'step_up_required',
        confirmUrl: '/auth/confirm',
        methods: ['sso'],
        maxAgeSeconds: 60,
        ssoUrl: `/auth/saml/${acme.id}/login?stepUp=1`,
        message:
          'Confirm your identity by signing in again through your organization at ssoUrl; the confirmation is valid for 1 minute.',
      };
      expect((await t.http.get('/me/export').set(bearer(mia.token)).expect(403)).body).toEqual(expected);
      // POST /auth/confirm with a password Mia does not have points to the same place.
      const confirm = await t.http.post('/auth/confirm').set(bearer(mia.token)).send({ password: PASSWORD });
      expect({ status: confirm.status, body: confirm.body }).toEqual({ status: 403, body: expected });
      // An account with a password (Carol's, linked to the same provider) is offered its password.
      const offered = await t.http.get('/me/export').set(bearer(carol.body.session.token)).expect(403);
      expect(offered.body).toMatchObject({ methods: ['password'] });
      expect(offered.body).not.toHaveProperty('ssoUrl');
    });

    const stepUpStart = async () => {
      const current = await sessionAuth(mia.token);
      const started = await begin(acme, {
        returnTo: '/settings',
        stepUpSession: { sessionId: current.session.id, userId: mia.id },
      });
      return { ...started, current };
    };

    it('asks the IdP for ForceAuthn and refuses an authentication older than the request', async () => {
      const { request, bindingToken: token, current } = await stepUpStart();
      expect(request.forceAuthn).toBe(true);
      const [row] = await t.dataSource.query(
        'SELECT force_authn, step_up_session_id, created_at FROM saml_requests WHERE request_id = $1',
        [request.id],
      );
      expect(row).toMatchObject({ force_authn: true, step_up_session_id: current.session.id });
      const stale = respond(acme, request.id, {
        nameId: mia.nameId,
        nameIdFormat: NAMEID_FORMAT.persistent,
        authnInstant: new Date(row.created_at.getTime() - SAML_CLOCK_SKEW_MS - 1000),
      });
      await rejected(login.complete(acme.id, stale.base64, token, CLIENT, current), /older than the request/);
    });

    it('accepts it only in the session that asked, for its own user', async () => {
      const other = await signIn(acme, person('ned', 'acme.test'));
      const miaElsewhere = await signIn(acme, { nameId: mia.nameId, nameIdFormat: NAMEID_FORMAT.persistent });
      const answers: Array<[string, SessionAuth | undefined, RegExp]> = [
        ["another of Mia's sessions", await sessionAuth(miaElsewhere.session.token), /outside the session/],
        ["someone else's session", await sessionAuth(other.session.token), /outside the session/],
      ];
      for (const [, session, reason] of answers) {
        const { request, bindingToken: token } = await stepUpStart();
        const response = respond(acme, request.id, { nameId: mia.nameId, nameIdFormat: NAMEID_FORMAT.persistent });
        await rejected(login.complete(acme.id, response.base64, token, CLIENT, session), reason);
      }
      // Mia's own session, but the IdP asserts Ned: with the session, and without it (the cross-site post).
      const ned = (
        await t.dataSource.query(
          'SELECT name_id FROM sso_identities i JOIN users u ON u.id = i.user_id WHERE u.email = $1',
          ['ned@acme.test'],
        )
      )[0].name_id;
      for (const withSession of [true, false]) {
        const { request, bindingToken: token, current } = await stepUpStart();
        const response = respond(acme, request.id, { nameId: ned, nameIdFormat: NAMEID_FORMAT.persistent });
        const session = withSession ? current : undefined;
        await rejected(login.complete(acme.id, response.base64, token, CLIENT, session), /someone other/);
      }
      // Without a current session, the session that asked must still be live.
      const elsewhere = await sessionAuth(miaElsewhere.session.token);
      const { request, bindingToken: token } = await begin(acme, {
        stepUpSession: { sessionId: elsewhere.session.id, userId: mia.id },
      });
      await t.http.delete(`/me/sessions/${elsewhere.session.id}`).set(bearer(mia.token)).expect(204);
      const response = respond(acme, request.id, { nameId: mia.nameId, nameIdFormat: NAMEID_FORMAT.persistent });
      await rejected(login.complete(acme.id, response.base64, token, CLIENT), /or it ended/);
    });

    it('re-authenticates the session and rotates its token', async () => {
      const { request, bindingToken: token, current } = await stepUpStart();
      const response = respond(acme, request.id, { nameId: mia.nameId, nameIdFormat: NAMEID_FORMAT.persistent });
      const { session, returnTo } = await login.complete(acme.id, response.base64, token, CLIENT, current);
      expect(returnTo).toBe('/settings');
      expect(session.id).toBe(current.session.id);
      expect(session.token).not.toBe(mia.token);
      const [row] = await t.dataSource.query('SELECT reauthenticated_at FROM sessions WHERE id = $1', [session.id]);
      expect(row.reauthenticated_at).toEqual(t.clock.now());
      await expectReplacedToken(t, mia.token);
      expect(
        await t.dataSource.query(
          "SELECT target, details FROM audit_log WHERE action = 'user.step_up' AND actor_id = $1",
          [mia.id],
        ),
      ).toEqual([{ target: `session:${session.id}`, details: { method: 'saml', providerId: acme.id } }]);
      mia.token = session.token;

      // The export, which needs a recent step-up, now works, and lists the identity.
      const exported = await t.http.get('/me/export').set(bearer(mia.token)).expect(200);
      expect(exported.body.ssoIdentities).toEqual([
        {
          providerId: acme.id,
          domain: 'acme.test',
          nameId: mia.nameId,
          createdAt: expect.any(String),
          lastLoginAt: expect.any(String),
        },
      ]);
    });

    it('allows the clock skew: an AuthnInstant in whole seconds, or from an IdP clock a little behind', async () => {
      for (const behind of [
        (created: number) => Math.floor((created - 1) / 1000) * 1000,
        (created: number) => created - 60_000,
      ]) {
        const { request, bindingToken: token, current } = await stepUpStart();
        const [row] = await t.dataSource.query('SELECT created_at FROM saml_requests WHERE request_id = $1', [
          request.id,
        ]);
        const response = respond(acme, request.id, {
          nameId: mia.nameId,
          nameIdFormat: NAMEID_FORMAT.persistent,
          authnInstant: new Date(behind(row.created_at.getTime())),
        });
        const { session } = await login.complete(acme.id, response.base64, token, CLIENT, current);
        expect(session.id).toBe(current.session.id);
        mia.token = session.token;
      }
    });
  });

  describe('an identity signs in only an account whose address is in its verified domain', () => {
    const persistent = (nameId: string, email?: string) => ({
      nameId,
      nameIdFormat: NAMEID_FORMAT.persistent,
      ...(email ? { attributes: { email } } : {}),
    });
    /** A step-up through the provider for the session of `token`; answers the rotated token. */
    const ssoStepUp = async (provider: Provider, token: string, nameId: string) => {
      const current = await sessionAuth(token);
      const { request, bindingToken: binding } = await begin(provider, {
        stepUpSession: { sessionId: current.session.id, userId: current.user.id },
      });
      const response = respond(provider, request.id, persistent(nameId));
      return (await login.complete(provider.id, response.base64, binding, CLIENT, current)).session.token;
    };
    const resetToken = async (email: string) => {
      const mails = await t.mail.waitFor((m) => m.to === email && m.subject.includes('Reset'));
      const mail = mails[mails.length - 1];
      t.mail.messages.splice(t.mail.messages.indexOf(mail), 1);
      return /reset-password\?token=([A-Za-z0-9_-]+)/.exec(mail.text)![1];
    };
    const resetPassword = async (email: string, newPassword = 'Fresh-Long-Passphrase-91') => {
      await t.http.post('/auth/password/forgot').send({ email }).expect(202);
      const token = await resetToken(email);
      await t.http.post('/auth/password/reset').send({ token, newPassword }).expect(200);
      return newPassword;
    };
    const identitiesOf = (userId: string) =>
      t.dataSource.query('SELECT provider_id, name_id FROM sso_identities WHERE user_id = $1', [userId]);
    const unlinked = async (userId: string) =>
      (await audit('sso.identity_unlinked', userId)).map((row: { details: { reason: string } }) => row.details.reason);
    const stepUpStartStatus = async (provider: Provider, token: string) =>
      (await t.http.get(`/auth/saml/${provider.id}/login?stepUp=1`).set(bearer(token))).status;

    it("Path A: an address moved to a victim's loses the identity; the victim's signup takes the address and the IdP never reaches that account", async () => {
      const mallory = person('mallory', 'acme.test');
      const first = await signIn(acme, mallory);
      const account = await me(first.session.token);
      // Allowed: the account has no password and no two-factor, and its provider signed it in.
      const token = await ssoStepUp(acme, first.session.token, mallory.nameId);
      // A step-up started now and answered after the address change.
      const pendingSession = await sessionAuth(token);
      const pending = await begin(acme, {
        stepUpSession: { sessionId: pendingSession.session.id, userId: account.id },
      });

      const victim = `victim-${randomBytes(4).toString('hex')}@personal.test`;
      await t.http.post('/me/email').set(bearer(token)).send({ email: victim }).expect(200);
      // The change's link, mailed to the victim's inbox (the victim's signup will make it worthless).
      const changeLink = await verificationToken(t, victim);
      expect(await identitiesOf(account.id)).toEqual([]);
      expect((await me(token)).ssoProviderId).toBeNull();
      expect(await unlinked(account.id)).toEqual(['address_changed']);
      // The SSO step-up is refused, at the start and at the answer of the one started before.
      expect(await stepUpStartStatus(acme, token)).toBe(403);
      const late = respond(acme, pending.request.id, persistent(mallory.nameId));
      await rejected(
        login.complete(acme.id, late.base64, pending.bindingToken, CLIENT, await sessionAuth(token)),
        /someone other|does not confirm/,
      );

      // The victim's signup takes the address (an unverified change reserves nothing); a reset asked
      // for it meanwhile reached nobody.
      await t.http.post('/auth/password/forgot').send({ email: victim }).expect(202);
      const victimSignup = await t.http
        .post('/auth/signup')
        .send({ email: victim, password: 'Fresh-Long-Passphrase-91' })
        .expect(201);
      const victimId = victimSignup.body.user.id;
      expect(victimId).not.toBe(account.id);
      await t.http
        .post('/auth/verify-email')
        .send({ token: await verificationToken(t, victim) })
        .expect(200);
      expect(t.mail.messages.filter((m) => m.to === victim && m.subject.includes('Reset'))).toEqual([]);
      await t.http.post('/auth/verify-email').send({ token: changeLink }).expect(400);
      // The changing account is back at its previous, verified address.
      expect(await me(token)).toMatchObject({ id: account.id, email: mallory.attributes.email, emailVerified: true });

      // The same NameID again reaches the account of the asserted address of the domain, never the victim's.
      const again = await signIn(acme, mallory);
      expect((await me(again.session.token)).id).toBe(account.id);
      const victimToken = victimSignup.body.session.token;
      expect(await me(victimToken)).toMatchObject({
        id: victimId,
        email: victim,
        ssoProviderId: null,
        hasPassword: true,
      });
      expect(await identitiesOf(victimId)).toEqual([]);
      // Nor can it step up there for the victim.
      expect(await stepUpStartStatus(acme, victimToken)).toBe(403);
    });

    it('a migration removes the identities made before the rule that break it, with their SSO sessions', async () => {
      const sessions = t.app.get(SessionsService);
      const seed = async (email: string, provider: Provider) => {
        const [{ id }] = await t.dataSource.query(
          `INSERT INTO users (email, name, email_verified_at, ever_verified, sso_provider_id, created_at, updated_at)
           VALUES ($1, 'Seeded', now(), true, $2, now(), now()) RETURNING id`,
          [email, provider.id],
        );
        await t.dataSource.query(
          'INSERT INTO sso_identities (provider_id, name_id, user_id, created_at, last_login_at) VALUES ($1, $2, $3, now(), now())',
          [provider.id, `seeded-${randomBytes(4).toString('hex')}`, id],
        );
        const user = { id, email, name: 'Seeded' } as never;
        return { id, session: await sessions.issue(user, CLIENT, 'saml', { alertOnNewIp: false }) };
      };
      const tag = randomBytes(3).toString('hex');
      const atUnverified = await seed(`u-${tag}@beta.test`, beta);
      const leftDomain = await seed(`l-${tag}@elsewhere.test`, acme);
      const kept = await seed(`k-${tag}@acme.test`, acme);

      const runner = t.dataSource.createQueryRunner();
      try {
        await new SsoIdentitiesOfVerifiedDomains1796900000000().up(runner);
      } finally {
        await runner.release();
      }
      for (const gone of [atUnverified, leftDomain]) {
        expect(await identitiesOf(gone.id)).toEqual([]);
        expect((await t.http.get('/me').set(bearer(gone.session.token)).expect(401)).body.reason).toBe('revoked');
      }
      expect(await identitiesOf(kept.id)).toHaveLength(1);
      expect((await me(kept.session.token)).ssoProviderId).toBe(acme.id);
      const ties = await t.dataSource.query('SELECT id, sso_provider_id FROM users WHERE id = ANY($1::uuid[])', [
        [atUnverified.id, leftDomain.id],
      ]);
      expect(ties.map((row: { sso_provider_id: string | null }) => row.sso_provider_id)).toEqual([null, null]);
    });

    it('Path B: an IdP of an unverified domain asserting a verified address answers a dry run and reaches nothing', async () => {
      const victim = await signUpVerified(t, `vera-${randomBytes(3).toString('hex')}@beta.test`);
      const outcome = await signInOutcome(beta, { nameId: victim.email, attributes: { email: victim.email } });
      expect(outcome).toEqual({ dryRun: expect.objectContaining({ email: victim.email, emailInDomain: true }) });
      expect(await identitiesOf(victim.id)).toEqual([]);
      expect(
        await t.dataSource.query('SELECT count(*)::int AS n FROM sessions WHERE user_id = $1', [victim.id]),
      ).toEqual([{ n: 1 }]);
      expect((await me(victim.token)).ssoProviderId).toBeNull();
    });

    it('takes an address of its domain that another account only moved to: that account goes back to its verified one', async () => {
      const squatter = await signUpVerified(t);
      const taken = `sam-${randomBytes(3).toString('hex')}@acme.test`;
      const confirmed = await confirmPassword(t, squatter.token);
      await t.http.post('/me/email').set(bearer(confirmed)).send({ email: taken }).expect(200);

      const sam = { ...person('sam', 'acme.test'), attributes: { email: taken } };
      const { session } = await signIn(acme, sam);
      const provisioned = await me(session.token);
      expect(provisioned).toMatchObject({ email: taken, emailVerified: true, ssoProviderId: acme.id });
      expect(provisioned.id).not.toBe(squatter.id);
      expect(await me(confirmed)).toMatchObject({ id: squatter.id, email: squatter.email, emailVerified: true });
    });

    it('verifies at its next sign-in, once the domain is verified, an address provisioned unverified before', async () => {
      const zetaBoss = await signUpVerified(t, undefined, undefined, 'Zeta Boss');
      const zeta = await configure(zetaBoss, 'zeta.test', false);
      const zoe = person('zoe', 'zeta.test');
      // An SSO account whose address is unverified: no password, an identity.
      const [{ id }] = await t.dataSource.query(
        `INSERT INTO users (email, name, email_verified_at, sso_provider_id, created_at, updated_at)
         VALUES ('zoe@zeta.test', 'Zoe', NULL, $1, now(), now()) RETURNING id`,
        [zeta.id],
      );
      await t.dataSource.query(
        'INSERT INTO sso_identities (provider_id, name_id, user_id, created_at, last_login_at) VALUES ($1, $2, $3, now(), now())',
        [zeta.id, zoe.nameId, id],
      );
      expect(await signInOutcome(zeta, zoe)).toHaveProperty('dryRun');
      const saved = await t.http.get(`/orgs/${zeta.orgId}/sso/saml`).set(bearer(zetaBoss.token)).expect(200);
      dns.records.set(saved.body.domainVerificationRecord.name, [saved.body.domainVerificationRecord.value]);
      await t.http.post(`/orgs/${zeta.orgId}/sso/saml/verify-domain`).set(bearer(zetaBoss.token)).expect(200);
      const { session } = await signIn(zeta, zoe);
      expect(await me(session.token)).toMatchObject({ id, emailVerified: true });
    });

    it('after every change of address, password or membership, the next sign-in does what the rules say', async () => {
      // An address moved within the domain keeps the identity.
      const inside = person('ines', 'acme.test');
      let token = (await signIn(acme, inside)).session.token;
      const ines = await me(token);
      token = await ssoStepUp(acme, token, inside.nameId);
      const moved = `ines-${randomBytes(3).toString('hex')}@acme.test`;
      await t.http.post('/me/email').set(bearer(token)).send({ email: moved }).expect(200);
      expect((await me((await signIn(acme, inside)).session.token)).id).toBe(ines.id);
      expect(await unlinked(ines.id)).toEqual([]);

      // An address moved out of the domain loses it: the next sign-in is a first one.
      const outside = person('otto', 'acme.test');
      token = (await signIn(acme, outside)).session.token;
      const otto = await me(token);
      token = await ssoStepUp(acme, token, outside.nameId);
      const ottoNew = uniqueEmail('otto');
      await t.http.post('/me/email').set(bearer(token)).send({ email: ottoNew }).expect(200);
      expect(await unlinked(otto.id)).toEqual(['address_changed']);
      // While the change waits for its link, the domain's address is the account's way back: nobody takes it.
      await rejected(signIn(acme, outside), /taken/);
      await t.http
        .post('/auth/verify-email')
        .send({ token: await verificationToken(t, ottoNew) })
        .expect(200);
      expect((await me((await signIn(acme, outside)).session.token)).id).not.toBe(otto.id);

      // A reset by mail unlinks it; the account, still of the domain and verified, is linked again at the next sign-in.
      const rita = await signUpVerified(t, `rita-${randomBytes(3).toString('hex')}@acme.test`);
      const ritaAtIdp = persistent(`rita-${randomBytes(3).toString('hex')}`, rita.email);
      expect((await me((await signIn(acme, ritaAtIdp)).session.token)).id).toBe(rita.id);
      await resetPassword(rita.email);
      expect(await identitiesOf(rita.id)).toEqual([]);
      expect(await unlinked(rita.id)).toEqual(['password_reset']);
      expect((await me((await signIn(acme, ritaAtIdp)).session.token)).id).toBe(rita.id);

      // A password set with POST /me/password keeps the identity, but the SSO step-up is no longer offered.
      const pia = person('pia', 'acme.test');
      token = (await signIn(acme, pia)).session.token;
      const piaId = (await me(token)).id;
      token = await ssoStepUp(acme, token, pia.nameId);
      token = (await t.http.post('/me/password').set(bearer(token)).send({ newPassword: 'Fresh-Long-Passphrase-91' }))
        .body.session.token;
      expect((await me((await signIn(acme, pia)).session.token)).id).toBe(piaId);
      expect(await stepUpStartStatus(acme, token)).toBe(403);
      const pending = await begin(acme, {
        stepUpSession: { sessionId: (await sessionAuth(token)).session.id, userId: piaId },
      }).catch((error: unknown) => error);
      expect(pending).toMatchObject({ code: 'forbidden' });

      // Two-factor turned on: the account confirms with its code, never at the IdP.
      const tess = person('tess', 'acme.test');
      token = (await signIn(acme, tess)).session.token;
      token = await ssoStepUp(acme, token, tess.nameId);
      // A step-up started before two-factor was turned on is refused when it is answered after.
      const tessSession = await sessionAuth(token);
      const started = await begin(acme, {
        stepUpSession: { sessionId: tessSession.session.id, userId: tessSession.user.id },
      });
      await enableTotp(t, token);
      const answered = respond(acme, started.request.id, persistent(tess.nameId));
      await rejected(
        login.complete(acme.id, answered.base64, started.bindingToken, CLIENT, await sessionAuth(token)),
        /does not confirm with/,
      );
      t.clock.advance(2 * MINUTE);
      const required = await t.http.get('/me/export').set(bearer(token)).expect(403);
      expect(required.body).toMatchObject({ methods: ['totp'] });
      expect(required.body).not.toHaveProperty('ssoUrl');
      expect(await stepUpStartStatus(acme, token)).toBe(403);

      // Removed from the organization: the IdP still vouches for the person, who is a member again.
      const max = person('max', 'acme.test', { groups: ['leads'] });
      token = (await signIn(acme, max)).session.token;
      const maxId = (await me(token)).id;
      await t.http.delete(`/orgs/${acme.orgId}/members/${maxId}`).set(bearer(boss.token)).expect(204);
      expect(await roleIn(acme.orgId, maxId)).toBeUndefined();
      expect((await me((await signIn(acme, max)).session.token)).id).toBe(maxId);
      expect(await roleIn(acme.orgId, maxId)).toBe('admin');

      // The provider deleted: its identities go, audited, and its sign-in is gone.
      const etaBoss = await signUpVerified(t, undefined, undefined, 'Eta Boss');
      const eta = await configure(etaBoss, 'eta.test', true);
      const erin = person('erin', 'eta.test');
      const erinId = (await me((await signIn(eta, erin)).session.token)).id;
      etaBoss.token = await confirmPassword(t, etaBoss.token);
      await t.http.delete(`/orgs/${eta.orgId}/sso/saml`).set(bearer(etaBoss.token)).expect(204);
      expect(await identitiesOf(erinId)).toEqual([]);
      expect(await unlinked(erinId)).toEqual(['provider_deleted']);
      await expect(begin(eta)).rejects.toMatchObject({ code: 'not_found' });

      // The account deleted: its identity goes with it, and the same person at the IdP starts afresh.
      const dora = person('dora', 'acme.test');
      token = (await signIn(acme, dora)).session.token;
      const doraId = (await me(token)).id;
      token = await ssoStepUp(acme, token, dora.nameId);
      await t.http.delete('/me').set(bearer(token)).expect(202);
      await t.dataSource.query('UPDATE users SET deletion_scheduled_for = $2 WHERE id = $1', [
        doraId,
        new Date(t.clock.now().getTime() - MINUTE),
      ]);
      expect(await t.app.get(TaskRunner).run('purge-deleted-accounts')).toMatchObject({ status: 'done' });
      expect(await identitiesOf(doraId)).toEqual([]);
      const again = await me((await signIn(acme, dora)).session.token);
      expect(again.id).not.toBe(doraId);
      expect(again).toMatchObject({ email: dora.attributes.email, emailVerified: true, ssoProviderId: acme.id });
    });
  });

  describe('organization deletion', () => {
    it("removes the organization's provider and unties its accounts", async () => {
      const cleo = await signUpVerified(t, undefined, undefined, 'Cleo');
      const gamma = await configure(cleo, 'gamma.test', true);
      const { session } = await signIn(gamma, person('gus', 'gamma.test'));
      const gus = await me(session.token);
      expect(gus.ssoProviderId).toBe(gamma.id);
      // Gus is removed from the organization, then the organization loses its last member.
      await t.http.delete(`/orgs/${gamma.orgId}/members/${gus.id}`).set(bearer(cleo.token)).expect(204);
      await t.dataSource.query('DELETE FROM org_members WHERE org_id = $1', [gamma.orgId]);

      expect(await t.app.get(TaskRunner).run('cleanup-orphaned-orgs')).toMatchObject({ status: 'done' });
      expect((await me(session.token)).ssoProviderId).toBeNull();
      expect(await t.dataSource.query('SELECT 1 FROM saml_providers WHERE id = $1', [gamma.id])).toEqual([]);
      expect(
        await t.dataSource.query(
          "SELECT actor_id, target, details FROM audit_log WHERE action = 'sso.provider_deleted' AND target = $1",
          [`org:${gamma.orgId}`],
        ),
      ).toEqual([
        {
          actor_id: null,
          target: `org:${gamma.orgId}`,
          details: { providerId: gamma.id, domain: 'gamma.test', reason: 'organization_deleted' },
        },
      ]);
      expect(await audit('sso.identity_unlinked', gus.id)).toEqual([
        {
          actor_id: null,
          target: `user:${gus.id}`,
          details: { userId: gus.id, providerId: gamma.id, reason: 'provider_deleted' },
        },
      ]);
      // Acme's accounts keep theirs.
      expect(
        (await t.dataSource.query('SELECT count(*)::int AS n FROM users WHERE sso_provider_id = $1', [acme.id]))[0].n,
      ).toBeGreaterThan(0);
    });
  });

  describe('purge-saml-records', () => {
    it('deletes requests and assertion ids past their expiry, and keeps the others', async () => {
      await begin(acme);
      t.clock.advance(11 * MINUTE);
      const { request: fresh } = await begin(acme);
      const before = await t.dataSource.query(
        'SELECT (SELECT count(*)::int FROM saml_requests) AS requests, (SELECT count(*)::int FROM saml_assertions) AS assertions',
      );
      const outcome = await t.app.get(TaskRunner).run('purge-saml-records');
      expect(outcome).toMatchObject({
        status: 'done',
        result: { requests: before[0].requests - 1, assertions: before[0].assertions },
      });
      expect(await t.dataSource.query('SELECT request_id FROM saml_requests')).toEqual([{ request_id: fresh.id }]);
      expect(await t.dataSource.query('SELECT 1 FROM saml_assertions')).toEqual([]);
    });
  });
});
