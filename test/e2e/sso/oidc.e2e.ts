import { randomBytes } from 'node:crypto';
import { Cipher } from '../../../src/common/crypto';
import { ERRORS } from '../../../src/common/errors';
import { TaskRunner } from '../../../src/tasks';
import { OpBrowser, TestOp, type OpAccount } from '../../support/oidc-op';
import { TestIdp } from '../../support/saml-idp';
import { startTestApp, TEST_ENCRYPTION_KEY, TestApp } from '../../support/test-app';
import { startTxtDnsServer, TxtDnsServer } from '../../support/txt-dns-server';
import {
  bearer,
  confirmPassword,
  expectReplacedToken,
  signUpVerified,
  SignedUp,
  verificationToken,
} from '../../support/users';

/*
 * The OIDC sign-in as a browser drives it, through a real OpenID Provider (oidc-provider) on a
 * loopback port: GET /auth/oidc/:id/login redirects to its authorization endpoint with the binding
 * cookie set, the OP signs the person in, and the browser comes back to the callback. A proxy in
 * front of the OP can rewrite the ID token of its token responses, to play a lying OP or network.
 */

const OIDC_INVALID = { statusCode: 401, error: 'oidc_invalid', message: ERRORS.oidc_invalid.message };
const DOMAIN = 'oidc-acme.test';

const setCookies = (res: { headers: Record<string, unknown> }): string[] =>
  ([] as string[]).concat((res.headers['set-cookie'] as string[] | string | undefined) ?? []);
const cookieValue = (res: { headers: Record<string, unknown> }, name: string): string | undefined => {
  const line = setCookies(res).find((cookie) => cookie.startsWith(`${name}=`));
  return line === undefined ? undefined : line.slice(name.length + 1).split(';')[0];
};
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('OIDC connections and the sign-in through them', () => {
  let t: TestApp;
  let dns: TxtDnsServer;
  let op: TestOp;
  let boss: SignedUp;
  let orgId: string;
  let connectionId: string;
  let appUrl: string;

  const person = (local: string, extra: Partial<OpAccount> = {}): OpAccount => ({
    sub: `${local}-${randomBytes(4).toString('hex')}`,
    email: `${local}-${randomBytes(3).toString('hex')}@${DOMAIN}`,
    email_verified: true,
    name: `${local} Doe`,
    groups: [],
    ...extra,
  });

  /** GET /auth/oidc/:id/login: the authorization URL and the binding cookie. */
  const startLogin = async (query = '', headers: Record<string, string> = {}) => {
    const res = await t.http.get(`/auth/oidc/${connectionId}/login${query}`).set(headers).expect(302);
    const binding = cookieValue(res, 'oidc_binding');
    if (!binding) throw new Error('no binding cookie');
    return { location: new URL(res.headers.location as string), binding };
  };
  /** The browser's stop at the OP, signed in as `account`: the callback URL it is sent back to. */
  const atOp = async (location: URL, account: OpAccount) => {
    op.account = account;
    return new OpBrowser().authorize(location.href, appUrl);
  };
  const callback = (url: URL, cookies: string[] = []) => {
    const req = t.http.get(`${url.pathname}${url.search}`);
    if (cookies.length) req.set('Cookie', cookies.join('; '));
    return req;
  };
  /** A whole sign-in; answers the callback's response. */
  const signIn = async (account: OpAccount, query = '?returnTo=/welcome') => {
    const { location, binding } = await startLogin(query);
    const back = await atOp(location, account);
    return callback(back, [`oidc_binding=${binding}`]);
  };
  const expectInvalid = (res: { status: number; body: unknown }) =>
    expect({ status: res.status, body: res.body }).toEqual({ status: 401, body: OIDC_INVALID });

  const save = (token: string, id: string, body: Record<string, unknown>) =>
    t.http.put(`/orgs/${id}/sso/oidc`).set(bearer(token)).send(body);
  const settings = (extra: Record<string, unknown> = {}) => ({
    domain: DOMAIN,
    issuer: op.issuer,
    clientId: op.clientId,
    clientSecret: op.clientSecret,
    scopes: ['openid', 'email', 'profile', 'groups'],
    groupRoleMap: { admins: 'admin' },
    ...extra,
  });

  beforeAll(async () => {
    dns = await startTxtDnsServer();
    t = await startTestApp({ env: { DNS_SERVERS: `127.0.0.1:${dns.port}`, STEP_UP_WINDOW: '1m' } });
    appUrl = t.config.appUrl;
    op = await TestOp.start({ redirectUris: [] });
    boss = await signUpVerified(t, undefined, undefined, 'Acme Boss');
    orgId = (await t.http.post('/orgs').set(bearer(boss.token)).send({ name: 'Acme' }).expect(201)).body.id;
    boss.token = await confirmPassword(t, boss.token);
    const saved = await save(boss.token, orgId, settings()).expect(200);
    connectionId = saved.body.id;
    op.allowRedirectUri(saved.body.redirectUri);
    const record = saved.body.domainVerificationRecord;
    dns.records.set(record.name, [record.value]);
    await t.http.post(`/orgs/${orgId}/sso/oidc/verify-domain`).set(bearer(boss.token)).expect(200);
  });
  afterAll(async () => {
    await t.close();
    await op.close();
    await dns.close();
  });

  describe('configuration', () => {
    it('answers the connection with its redirect URI and never its secret, which is kept encrypted', async () => {
      const res = await t.http.get(`/orgs/${orgId}/sso/oidc`).set(bearer(boss.token)).expect(200);
      expect(res.body).toEqual({
        id: connectionId,
        protocol: 'oidc',
        domain: DOMAIN,
        domainVerified: true,
        issuer: op.issuer,
        clientId: op.clientId,
        scopes: ['openid', 'email', 'profile', 'groups'],
        groupsClaim: 'groups',
        groupRoleMap: { admins: 'admin' },
        defaultRole: 'member',
        enforce: false,
        redirectUri: `${appUrl}/auth/oidc/${connectionId}/callback`,
        domainVerificationRecord: expect.objectContaining({ type: 'TXT', name: `_auth-verification.${DOMAIN}` }),
      });
      expect(JSON.stringify(res.body)).not.toContain(op.clientSecret);
      const [row] = await t.dataSource.query('SELECT client_secret FROM oidc_connections WHERE connection_id = $1', [
        connectionId,
      ]);
      expect(Buffer.from(row.client_secret).toString('latin1')).not.toContain(op.clientSecret);
      expect(await t.http.get(`/orgs/${orgId}/sso/saml`).set(bearer(boss.token))).toMatchObject({ status: 404 });
    });

    it('refuses an issuer it cannot use, naming `issuer`', async () => {
      const owner = await signUpVerified(t);
      const id = (await t.http.post('/orgs').set(bearer(owner.token)).send({ name: 'Other' }).expect(201)).body.id;
      owner.token = await confirmPassword(t, owner.token);
      for (const issuer of ['http://idp.example.com', 'http://127.0.0.1:1', `${op.issuer}/elsewhere`]) {
        const res = await save(owner.token, id, settings({ domain: 'other-oidc.test', issuer })).expect(400);
        expect(res.body).toMatchObject({
          error: 'validation_failed',
          details: [expect.objectContaining({ field: 'issuer' })],
        });
      }
      const noOpenid = await save(owner.token, id, settings({ domain: 'other-oidc.test', scopes: ['email'] })).expect(
        400,
      );
      expect(noOpenid.body.details).toEqual([{ field: 'scopes', problems: ['must include openid'] }]);
    });

    it('keeps one SSO connection per organization: 409 sso_already_configured both ways', async () => {
      const samlOnly = await t.http
        .put(`/orgs/${orgId}/sso/saml`)
        .set(bearer(boss.token))
        .send({
          domain: DOMAIN,
          idpEntityId: 'https://idp/x',
          idpSsoUrl: 'https://idp/sso',
          idpCert: new TestIdp('a', 'b').cert,
        })
        .expect(409);
      expect(samlOnly.body.error).toBe('sso_already_configured');

      const owner = await signUpVerified(t);
      const id = (await t.http.post('/orgs').set(bearer(owner.token)).send({ name: 'Saml Co' }).expect(201)).body.id;
      owner.token = await confirmPassword(t, owner.token);
      const idp = new TestIdp('https://idp.saml-co.test/metadata', 'https://idp.saml-co.test/sso');
      await t.http
        .put(`/orgs/${id}/sso/saml`)
        .set(bearer(owner.token))
        .send({ domain: 'saml-co.test', idpEntityId: idp.entityId, idpSsoUrl: idp.ssoUrl, idpCert: idp.cert })
        .expect(200);
      const oidc = await save(owner.token, id, settings({ domain: 'saml-co.test' })).expect(409);
      expect(oidc.body.error).toBe('sso_already_configured');
      expect(await t.http.get(`/orgs/${id}/sso/oidc`).set(bearer(owner.token))).toMatchObject({ status: 404 });
    });

    it('discovery answers the OIDC login URL for an address of the domain', async () => {
      const res = await t.http
        .post('/auth/sso/discover')
        .send({ email: `someone@${DOMAIN}` })
        .expect(200);
      expect(res.body).toEqual({ sso: true, loginUrl: `${appUrl}/auth/oidc/${connectionId}/login` });
    });
  });

  describe('sign-in', () => {
    it('redirects to the authorization endpoint with PKCE S256, state and nonce, and a binding cookie', async () => {
      const res = await t.http.get(`/auth/oidc/${connectionId}/login?returnTo=/x`).expect(302);
      const url = new URL(res.headers.location as string);
      expect(url.origin).toBe(op.issuer);
      expect(Object.fromEntries(url.searchParams)).toMatchObject({
        response_type: 'code',
        client_id: op.clientId,
        redirect_uri: `${appUrl}/auth/oidc/${connectionId}/callback`,
        scope: 'openid email profile groups',
        code_challenge_method: 'S256',
        state: expect.any(String),
        nonce: expect.any(String),
        code_challenge: expect.any(String),
      });
      const cookie = setCookies(res).find((c) => c.startsWith('oidc_binding='))!;
      expect(cookie).toContain(`Path=/auth/oidc/${connectionId}/`);
      expect(cookie).toContain('HttpOnly');
      expect(cookie).toContain('Max-Age=600');
    });

    it('provisions the account (no password, verified address), maps groups to a role, and re-maps them each time', async () => {
      const ada = person('ada', { groups: ['admins', 'staff'] });
      const res = await signIn(ada);
      expect(res.status).toBe(302);
      expect(res.headers.location).toBe(`${appUrl}/welcome`);
      const token = cookieValue(res, 'sid')!;
      const me = await t.http.get('/me').set(bearer(token)).expect(200);
      expect(me.body).toMatchObject({
        email: ada.email,
        name: 'ada Doe',
        emailVerified: true,
        hasPassword: false,
        ssoProviderId: connectionId,
      });
      expect((await t.http.get(`/orgs/${orgId}`).set(bearer(token)).expect(200)).body.role).toBe('admin');
      const sessions = await t.http.get('/me/sessions').set(bearer(token)).expect(200);
      expect(sessions.body[0].authMethod).toBe('oidc');
      // The OP was told who the client is the way its discovery asked (client_secret_basic).
      expect(op.tokenRequests.at(-1)!.authorization).toMatch(/^Basic /);

      // Signing in again, out of the admins group: the same account, now a member; its older session is rotated.
      const again = await signIn({ ...ada, groups: 'staff' });
      expect(again.status).toBe(302);
      const second = cookieValue(again, 'sid')!;
      expect((await t.http.get('/me').set(bearer(second)).expect(200)).body.id).toBe(me.body.id);
      expect((await t.http.get(`/orgs/${orgId}`).set(bearer(second)).expect(200)).body.role).toBe('member');
      const first = await t.http.get(`/orgs/${orgId}`).set(bearer(token)).expect(200);
      expect(first.headers['x-session-token']).toEqual(expect.any(String));
      const identities = await t.dataSource.query('SELECT name_id FROM sso_identities WHERE provider_id = $1', [
        connectionId,
      ]);
      expect(identities).toContainEqual({ name_id: ada.sub });
    });

    it('an identity stops signing in an account that moved out of the domain, or whose password was reset by mail', async () => {
      // An account with a password at the domain's address: its first OIDC sign-in ties the identity to it.
      const eve = person('eve');
      const owner = await signUpVerified(t, eve.email);
      const first = await signIn(eve);
      expect(first.status).toBe(302);
      const tied = cookieValue(first, 'sid')!;
      expect((await t.http.get('/me').set(bearer(tied)).expect(200)).body.id).toBe(owner.id);

      // The account moves to an address outside the domain: the identity is unlinked, and the same
      // person at the OP next gets an account of their own, never this one.
      const away = `eve-${randomBytes(3).toString('hex')}@elsewhere.test`;
      await t.http
        .post('/me/email')
        .set(bearer(await confirmPassword(t, owner.token)))
        .send({ email: away })
        .expect(200);
      const [unlinked] = await t.dataSource.query(
        `SELECT details FROM audit_log WHERE action = 'sso.identity_unlinked' AND actor_id = $1`,
        [owner.id],
      );
      expect(unlinked).toBeDefined();
      // While the move is unproved the address is the account's way back: no sign-in takes it.
      expectInvalid(await signIn(eve));
      expect((await t.http.get('/me').set(bearer(tied)).expect(200)).body.email).toBe(away);
      await t.http
        .post('/auth/verify-email')
        .send({ token: await verificationToken(t, away) })
        .expect(200);
      const after = await signIn(eve);
      expect(after.status).toBe(302);
      const other = await t.http
        .get('/me')
        .set(bearer(cookieValue(after, 'sid')!))
        .expect(200);
      expect(other.body.id).not.toBe(owner.id);
      expect(other.body.email).toBe(eve.email);

      // A password reset by mail unlinks the identity of the account it resets too.
      const max = person('max');
      const reset = await signUpVerified(t, max.email);
      expect((await signIn(max)).status).toBe(302);
      await t.http.post('/auth/password/forgot').send({ email: max.email }).expect(202);
      const [mail] = await t.mail.waitFor((m) => m.to === max.email && m.subject.includes('Reset'));
      const token = /reset-password\?token=([A-Za-z0-9_-]+)/.exec(mail.text)![1];
      await t.http.post('/auth/password/reset').send({ token, newPassword: 'Another-Horse-Battery-43' }).expect(200);
      const identities = await t.dataSource.query('SELECT user_id FROM sso_identities WHERE name_id = $1', [max.sub]);
      expect(identities).toEqual([]);
      // Its next sign-in is a first one again: the account at the domain's address, found anew.
      const again = await signIn(max);
      expect(again.status).toBe(302);
      expect(
        (
          await t.http
            .get('/me')
            .set(bearer(cookieValue(again, 'sid')!))
            .expect(200)
        ).body.id,
      ).toBe(reset.id);
    });

    it('accepts an ID token re-signed with the OP key unchanged (the proxy itself breaks nothing)', async () => {
      op.forgeIdToken = (claims) => op.sign(claims);
      try {
        expect((await signIn(person('control'))).status).toBe(302);
      } finally {
        op.forgeIdToken = undefined;
      }
    });
  });

  describe('refuses', () => {
    afterEach(() => {
      op.forgeIdToken = undefined;
    });

    it('a wrong or missing state', async () => {
      const { location, binding } = await startLogin();
      const back = await atOp(location, person('state'));
      const wrong = new URL(back);
      wrong.searchParams.set('state', 'not-the-state');
      expectInvalid(await callback(wrong, [`oidc_binding=${binding}`]));
      const missing = new URL(back);
      missing.searchParams.delete('state');
      expectInvalid(await callback(missing, [`oidc_binding=${binding}`]));
      // Neither spent the request: the genuine answer still signs in.
      expect((await callback(back, [`oidc_binding=${binding}`])).status).toBe(302);
    });

    it('another browser: no binding cookie, or the cookie of another login', async () => {
      const { location } = await startLogin();
      const other = await startLogin();
      const back = await atOp(location, person('browser'));
      expectInvalid(await callback(back));
      expectInvalid(await callback(back, [`oidc_binding=${other.binding}`]));
    });

    it('a code replayed after its sign-in', async () => {
      const { location, binding } = await startLogin();
      const back = await atOp(location, person('replay'));
      expect((await callback(back, [`oidc_binding=${binding}`])).status).toBe(302);
      expectInvalid(await callback(back, [`oidc_binding=${binding}`]));
    });

    it('the same callback twice at once: one signs in', async () => {
      const { location, binding } = await startLogin();
      const back = await atOp(location, person('race'));
      const answers = await Promise.all([
        callback(back, [`oidc_binding=${binding}`]),
        callback(back, [`oidc_binding=${binding}`]),
      ]);
      expect(answers.map((res) => res.status).sort()).toEqual([302, 401]);
    });

    it('an OP error answer', async () => {
      const { location, binding } = await startLogin();
      const url = new URL(`${appUrl}/auth/oidc/${connectionId}/callback`);
      url.searchParams.set('error', 'access_denied');
      url.searchParams.set('state', location.searchParams.get('state')!);
      expectInvalid(await callback(url, [`oidc_binding=${binding}`]));
    });

    const forgeries: Array<[string, (claims: Record<string, unknown>) => Promise<string> | string]> = [
      ['alg: none', (claims) => `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`],
      ['HS256 keyed with the public key', (claims) => op.signHs256WithPublicKey(claims)],
      ['a wrong aud', (claims) => op.sign({ ...claims, aud: 'another-client' })],
      ['several audiences without azp', (claims) => op.sign({ ...claims, aud: [op.clientId, 'another-client'] })],
      ['a wrong iss', (claims) => op.sign({ ...claims, iss: 'http://127.0.0.1:9' })],
      ['a wrong nonce', (claims) => op.sign({ ...claims, nonce: 'another-nonce' })],
      [
        'an expired token',
        (claims) => {
          const now = Math.floor(Date.now() / 1000);
          return op.sign({ ...claims, iat: now - 3600, exp: now - 600 });
        },
      ],
      ['a token issued in the future', (claims) => op.sign({ ...claims, iat: Math.floor(Date.now() / 1000) + 3600 })],
      ['a key the OP does not have', (claims) => op.sign(claims, { kid: 'unknown-key' })],
    ];
    it.each(forgeries)('an ID token with %s', async (_name, forge) => {
      op.forgeIdToken = forge;
      const who = person('forged');
      expectInvalid(await signIn(who));
      expect(await t.dataSource.query('SELECT 1 FROM users WHERE email = $1', [who.email])).toEqual([]);
    });

    it('an address the OP says is not verified, or outside the domain', async () => {
      expectInvalid(await signIn(person('unverified', { email_verified: false })));
      const outsider = person('outsider', { email: `eve-${randomBytes(3).toString('hex')}@elsewhere.test` });
      expectInvalid(await signIn(outsider));
      expect(await t.dataSource.query('SELECT 1 FROM users WHERE email = $1', [outsider.email])).toEqual([]);
    });
  });

  describe('dry run before the domain is verified', () => {
    it("answers what the OP said to the organization's owner, and creates nothing", async () => {
      const owner = await signUpVerified(t);
      const id = (await t.http.post('/orgs').set(bearer(owner.token)).send({ name: 'Dry' }).expect(201)).body.id;
      owner.token = await confirmPassword(t, owner.token);
      const saved = await save(owner.token, id, settings({ domain: 'dry-oidc.test' })).expect(200);
      op.allowRedirectUri(saved.body.redirectUri);
      expect(saved.body.domainVerified).toBe(false);
      // Anyone but a signed-in owner finds no such connection.
      await t.http.get(`/auth/oidc/${saved.body.id}/login`).expect(404);

      const start = await t.http.get(`/auth/oidc/${saved.body.id}/login`).set(bearer(owner.token)).expect(302);
      const binding = cookieValue(start, 'oidc_binding')!;
      const tester = person('tester', { email: `tester@dry-oidc.test`, groups: ['admins'] });
      const back = await atOp(new URL(start.headers.location as string), tester);
      const res = await callback(back, [`oidc_binding=${binding}`])
        .set('Accept', 'application/json')
        .expect(200);
      expect(res.body).toEqual({
        dryRun: true,
        providerId: saved.body.id,
        subject: tester.sub,
        email: 'tester@dry-oidc.test',
        emailInDomain: true,
        groups: ['admins'],
        role: 'admin',
      });
      expect(setCookies(res).some((cookie) => cookie.startsWith('sid='))).toBe(false);
      expect(await t.dataSource.query('SELECT 1 FROM users WHERE email = $1', [tester.email])).toEqual([]);
      expect(await t.dataSource.query('SELECT 1 FROM sso_identities WHERE provider_id = $1', [saved.body.id])).toEqual(
        [],
      );
    });
  });

  describe('step-up', () => {
    let mia: OpAccount;
    let token: string;

    beforeAll(async () => {
      mia = person('mia');
      token = cookieValue(await signIn(mia), 'sid')!;
    });
    afterEach(() => {
      op.loginTimestamp = undefined;
    });

    it('is offered at the connection: methods ["sso"] and the OIDC ssoUrl', async () => {
      t.clock.advance(61_000);
      const res = await t.http.post('/me/api-keys').set(bearer(token)).send({ name: 'k' }).expect(403);
      expect(res.body).toMatchObject({
        error: 'step_up_required',
        methods: ['sso'],
        ssoUrl: `/auth/oidc/${connectionId}/login?stepUp=1`,
      });
    });

    it('asks the OP for a new login (prompt=login, max_age=0) and rotates the session', async () => {
      t.clock.advance(61_000);
      const { location, binding } = await startLogin('?stepUp=1&returnTo=/settings', bearer(token));
      expect(location.searchParams.get('prompt')).toBe('login');
      expect(location.searchParams.get('max_age')).toBe('0');
      const back = await atOp(location, mia);
      const res = await callback(back, [`oidc_binding=${binding}`]);
      expect(res.status).toBe(302);
      expect(res.headers.location).toBe(`${appUrl}/settings`);
      const rotated = cookieValue(res, 'sid')!;
      expect(rotated).not.toBe(token);
      await expectReplacedToken(t, token, bearer(token));
      await t.http.post('/me/api-keys').set(bearer(rotated)).send({ name: 'k' }).expect(201);
      token = rotated;
    });

    it('refuses an OP that reports an authentication older than the request (auth_time)', async () => {
      t.clock.advance(61_000);
      const { location, binding } = await startLogin('?stepUp=1', bearer(token));
      op.loginTimestamp = Math.floor(Date.now() / 1000) - 3600;
      const back = await atOp(location, mia);
      expectInvalid(await callback(back, [`oidc_binding=${binding}`]));
      await t.http.post('/me/api-keys').set(bearer(token)).send({ name: 'k' }).expect(403);
    });

    it('refuses a step-up of someone else', async () => {
      const { location, binding } = await startLogin('?stepUp=1', bearer(token));
      const back = await atOp(location, person('ned'));
      expectInvalid(await callback(back, [`oidc_binding=${binding}`]));
    });
  });

  describe('key rotation', () => {
    const NEW_KEY = Buffer.alloc(32, 0x4e).toString('base64');
    /** Another instance of the service on the same database, with these keys, in place of `t` while `work` runs. */
    const asInstance = async (keys: Record<string, string>, work: (instance: TestApp) => Promise<void>) => {
      const original = t;
      const instance = await startTestApp({
        database: original.database,
        env: { DNS_SERVERS: `127.0.0.1:${dns.port}`, STEP_UP_WINDOW: '1m', ...keys },
      });
      t = instance;
      try {
        await work(instance);
      } finally {
        t = original;
        await instance.close();
      }
    };
    const signsIn = async (local: string) => {
      const res = await signIn(person(local));
      expect({ status: res.status, location: res.headers.location }).toEqual({
        status: 302,
        location: `${appUrl}/welcome`,
      });
    };
    const reseal = async (instance: TestApp) =>
      (await instance.app.get(TaskRunner).run('reseal-encrypted-data')) as { result: Record<string, unknown> };
    const secretPrefix = async () =>
      (
        await t.dataSource.query(
          'SELECT substring(client_secret from 1 for 5) AS p FROM oidc_connections WHERE connection_id = $1',
          [connectionId],
        )
      )[0].p as Buffer;

    it('signs in with the client secret sealed under the old key beside the new, and under the new alone after the reseal', async () => {
      const underOld = await secretPrefix();
      await asInstance({ ENCRYPTION_KEY: NEW_KEY, ENCRYPTION_KEY_PREVIOUS: TEST_ENCRYPTION_KEY }, async (rotating) => {
        await signsIn('rotating');
        expect((await reseal(rotating)).result).toMatchObject({ remaining: 0, unreadable: 0, keyRecorded: true });
        expect((await secretPrefix()).equals(rotating.app.get(Cipher).currentPrefix)).toBe(true);
      });
      await asInstance({ ENCRYPTION_KEY: NEW_KEY }, () => signsIn('resealed'));
      // And back (the other specs use the old key): the old key beside the new one, resealed again.
      await asInstance({ ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, ENCRYPTION_KEY_PREVIOUS: NEW_KEY }, async (back) => {
        expect((await reseal(back)).result).toMatchObject({ remaining: 0, keyRecorded: true });
      });
      expect((await secretPrefix()).equals(underOld)).toBe(true);
      await signsIn('back');
    });
  });

  describe('enforcement', () => {
    it('sends a password login of the domain to the OIDC login (403 sso_required); the owner keeps the break-glass', async () => {
      const pw = await signUpVerified(t, `pw-${randomBytes(3).toString('hex')}@${DOMAIN}`);
      boss.token = await confirmPassword(t, boss.token);
      await save(boss.token, orgId, settings({ enforce: true })).expect(200);
      const res = await t.http.post('/auth/login').send({ email: pw.email, password: 'Correct-Horse-Battery-42' });
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ error: 'sso_required', loginUrl: `${appUrl}/auth/oidc/${connectionId}/login` });
      // SSO sign-ins go on.
      expect((await signIn(person('after'))).status).toBe(302);
    });

    it('removes the connection (step-up): its accounts stay, untied', async () => {
      boss.token = await confirmPassword(t, boss.token);
      await t.http.delete(`/orgs/${orgId}/sso/oidc`).set(bearer(boss.token)).expect(204);
      expect(
        await t.dataSource.query('SELECT 1 FROM oidc_connections WHERE connection_id = $1', [connectionId]),
      ).toEqual([]);
      expect(await t.dataSource.query('SELECT 1 FROM users WHERE sso_provider_id = $1', [connectionId])).toEqual([]);
      await t.http.get(`/auth/oidc/${connectionId}/login`).expect(404);
    });
  });
});
