import { randomBytes } from 'node:crypto';
import { ERRORS } from '../../../src/common/errors';
import {
  NAMEID_FORMAT,
  readAuthnRequest,
  resign,
  stripSignatures,
  TestIdp,
  toBase64,
  withDoctype,
  type ResponseOptions,
} from '../../support/saml-idp';
import { startTestApp, TestApp } from '../../support/test-app';
import { startTxtDnsServer, TxtDnsServer } from '../../support/txt-dns-server';
import { bearer, confirmPassword, PASSWORD, signUpVerified, SignedUp, expectReplacedToken } from '../../support/users';

/*
 * The SAML sign-in over HTTP, as a browser and an IdP drive it: GET /auth/saml/:id/login redirects
 * to the IdP and sets the binding cookie, the test IdP answers the AuthnRequest with a really
 * signed Response, and the browser form-posts it to POST /auth/saml/:id/acs. node-saml checks
 * times against the wall clock, so responses use real times.
 */

const APP_URL = 'http://localhost:3000';
const SAML_INVALID = { statusCode: 401, error: 'saml_invalid', message: ERRORS.saml_invalid.message };

interface Provider {
  id: string;
  orgId: string;
  idp: TestIdp;
  acsUrl: string;
  spEntityId: string;
}

const setCookies = (res: { headers: Record<string, unknown> }): string[] =>
  ([] as string[]).concat((res.headers['set-cookie'] as string[] | string | undefined) ?? []);
const cookieValue = (res: { headers: Record<string, unknown> }, name: string): string | undefined => {
  const line = setCookies(res).find((cookie) => cookie.startsWith(`${name}=`));
  return line === undefined ? undefined : line.slice(name.length + 1).split(';')[0];
};

describe('SAML routes (login and ACS over HTTP)', () => {
  let t: TestApp;
  let dns: TxtDnsServer;
  let acme: Provider;
  let boss: SignedUp;

  const configure = async (owner: SignedUp, domain: string): Promise<Provider> => {
    const idp = new TestIdp(`https://idp.${domain}/metadata`, `https://idp.${domain}/sso`);
    const orgId = (await t.http.post('/orgs').set(bearer(owner.token)).send({ name: 'Tenant' }).expect(201)).body.id;
    owner.token = await confirmPassword(t, owner.token);
    const saved = await t.http
      .put(`/orgs/${orgId}/sso/saml`)
      .set(bearer(owner.token))
      .send({ domain, idpEntityId: idp.entityId, idpSsoUrl: idp.ssoUrl, idpCert: idp.cert, groupsAttribute: 'groups' })
      .expect(200);
    const record = saved.body.domainVerificationRecord;
    dns.records.set(record.name, [record.value]);
    await t.http.post(`/orgs/${orgId}/sso/saml/verify-domain`).set(bearer(owner.token)).expect(200);
    return { id: saved.body.id, orgId, idp, acsUrl: saved.body.acsUrl, spEntityId: saved.body.spEntityId };
  };

  /** GET /auth/saml/:id/login as the browser does it: the AuthnRequest and the binding cookie. */
  const startLogin = async (query = '', headers: Record<string, string> = {}) => {
    const res = await t.http.get(`/auth/saml/${acme.id}/login${query}`).set(headers).expect(302);
    const binding = cookieValue(res, 'saml_binding');
    if (!binding) throw new Error('no binding cookie');
    return { res, binding, request: readAuthnRequest(res.headers.location) };
  };
  const respond = (inResponseTo: string | null, options: Partial<ResponseOptions> = {}) =>
    acme.idp.buildResponse({ acsUrl: acme.acsUrl, spEntityId: acme.spEntityId, inResponseTo, ...options });
  const person = (local: string) => ({
    nameId: `${local}-${randomBytes(4).toString('hex')}`,
    nameIdFormat: NAMEID_FORMAT.persistent,
    attributes: { email: `${local}-${randomBytes(3).toString('hex')}@acme.test`, displayName: `${local} Doe` },
  });
  /** The IdP's page posting to the ACS (no Origin of ours, no session cookie unless given). */
  const postAcs = (body: string | object, cookies: string[] = []) => {
    const req = t.http.post(`/auth/saml/${acme.id}/acs`).type('form').set('Origin', 'https://idp.acme.test');
    if (cookies.length) req.set('Cookie', cookies.join('; '));
    return req.send(body);
  };
  /** A whole sign-in through the routes; answers the ACS response. */
  const signIn = async (who = person('user'), query = '?returnTo=/welcome') => {
    const { binding, request } = await startLogin(query);
    const response = respond(request.id, who);
    const res = await postAcs({ SAMLResponse: response.base64 }, [`saml_binding=${binding}`]);
    return { res, who, binding, response };
  };

  beforeAll(async () => {
    dns = await startTxtDnsServer();
    t = await startTestApp({ env: { DNS_SERVERS: `127.0.0.1:${dns.port}`, STEP_UP_WINDOW: '1m' } });
    boss = await signUpVerified(t, undefined, undefined, 'Acme Boss');
    acme = await configure(boss, 'acme.test');
  });
  afterAll(async () => {
    await t.close();
    await dns.close();
  });

  describe('GET /auth/saml/:id/login', () => {
    it('redirects to the IdP with an AuthnRequest for our ACS and sets the binding cookie', async () => {
      const { res, binding, request } = await startLogin('?returnTo=/welcome');
      expect(res.headers.location.startsWith(`${acme.idp.ssoUrl}?SAMLRequest=`)).toBe(true);
      expect(request.id).toMatch(/^_/);
      expect(request.issuer).toBe(acme.spEntityId);
      expect(request.forceAuthn).toBe(false);
      expect(binding).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(setCookies(res)).toEqual([
        `saml_binding=${binding}; Path=/auth/saml/${acme.id}/; Max-Age=600; HttpOnly; SameSite=Lax`,
      ]);
      const [row] = await t.dataSource.query('SELECT return_to FROM saml_requests WHERE request_id = $1', [request.id]);
      expect(row.return_to).toBe('/welcome');
    });

    it('answers 404 for an unknown provider', async () => {
      const res = await t.http.get('/auth/saml/00000000-0000-4000-8000-000000000000/login').expect(404);
      expect(res.body.error).toBe('not_found');
      expect(setCookies(res)).toEqual([]);
    });
  });

  describe('GET /auth/saml/:id/login before the domain is verified', () => {
    let pending: { id: string; orgId: string; idp: TestIdp };
    let pendingOwner: SignedUp;

    beforeAll(async () => {
      pendingOwner = await signUpVerified(t, undefined, undefined, 'Pending Owner');
      const idp = new TestIdp('https://idp.pending.test/metadata', 'https://idp.pending.test/sso');
      const orgId = (await t.http.post('/orgs').set(bearer(pendingOwner.token)).send({ name: 'P' }).expect(201)).body
        .id;
      pendingOwner.token = await confirmPassword(t, pendingOwner.token);
      const saved = await t.http
        .put(`/orgs/${orgId}/sso/saml`)
        .set(bearer(pendingOwner.token))
        .send({ domain: 'pending.test', idpEntityId: idp.entityId, idpSsoUrl: idp.ssoUrl, idpCert: idp.cert })
        .expect(200);
      pending = { id: saved.body.id, orgId, idp };
    });

    const requestsOf = async (providerId: string) =>
      (await t.dataSource.query('SELECT count(*)::int AS n FROM saml_requests WHERE provider_id = $1', [providerId]))[0]
        .n;

    it('redirects nobody but a signed-in owner of the organization: 404 as for an unknown provider', async () => {
      const stranger = await signUpVerified(t);
      for (const headers of [{}, bearer(stranger.token), { Cookie: `sid=${stranger.token}` }]) {
        const res = await t.http.get(`/auth/saml/${pending.id}/login?returnTo=/x`).set(headers);
        expect({ status: res.status, body: res.body, cookies: setCookies(res) }).toEqual({
          status: 404,
          body: { statusCode: 404, error: 'not_found', message: ERRORS.not_found.message },
          cookies: [],
        });
      }
      expect(await requestsOf(pending.id)).toBe(0);
    });

    it("lets the organization's owner test it (bearer or cookie session)", async () => {
      for (const headers of [bearer(pendingOwner.token), { Cookie: `sid=${pendingOwner.token}` }]) {
        const res = await t.http.get(`/auth/saml/${pending.id}/login`).set(headers).expect(302);
        expect(res.headers.location.startsWith(`${pending.idp.ssoUrl}?SAMLRequest=`)).toBe(true);
        expect(cookieValue(res, 'saml_binding')).toBeDefined();
      }
      expect(await requestsOf(pending.id)).toBe(2);
    });
  });

  describe('POST /auth/saml/:id/acs', () => {
    it('signs a new user in: session cookie, 302 to APP_URL + returnTo, JIT account without password', async () => {
      const { res, who } = await signIn();
      expect(res.status).toBe(302);
      expect(res.headers.location).toBe(`${APP_URL}/welcome`);
      const cookies = setCookies(res);
      expect(cookies).toContainEqual(`saml_binding=; Path=/auth/saml/${acme.id}/; Max-Age=0; HttpOnly; SameSite=Lax`);
      const sid = cookieValue(res, 'sid');
      expect(sid).toMatch(/.{20,}/);
      expect(cookies.find((c) => c.startsWith('sid='))).toMatch(/; Path=\/; Expires=.*; HttpOnly; SameSite=Lax$/);

      const me = await t.http.get('/me').set('Cookie', `sid=${sid}`).expect(200);
      expect(me.body).toMatchObject({
        email: who.attributes.email,
        name: 'user Doe',
        hasPassword: false,
        emailVerified: true,
        ssoProviderId: acme.id,
      });
      const sessions = await t.http.get('/me/sessions').set('Cookie', `sid=${sid}`).expect(200);
      expect(sessions.body).toHaveLength(1);
      expect(sessions.body[0].authMethod).toBe('saml');
    });

    it('drops an off-site returnTo: 302 to APP_URL/', async () => {
      for (const returnTo of ['//evil.test/x', 'https://evil.test/', '/\\evil.test']) {
        const { res } = await signIn(person('roamer'), `?returnTo=${encodeURIComponent(returnTo)}`);
        expect({ returnTo, status: res.status, location: res.headers.location }).toEqual({
          returnTo,
          status: 302,
          location: `${APP_URL}/`,
        });
      }
      const { res } = await signIn(person('plain'), '');
      expect(res.headers.location).toBe(`${APP_URL}/`);
    });

    it('keeps a returnTo with characters beyond Latin-1, percent-encoded in the Location', async () => {
      const { res } = await signIn(person('euro'), `?returnTo=${encodeURIComponent('/café/€?q=☃#ü')}`);
      expect({ status: res.status, location: res.headers.location }).toEqual({
        status: 302,
        location: `${APP_URL}/caf%C3%A9/%E2%82%AC?q=%E2%98%83#%C3%BC`,
      });
      await t.http
        .get('/me')
        .set('Cookie', `sid=${cookieValue(res, 'sid')}`)
        .expect(200);
    });

    it('refuses a response without the binding cookie, or with another one', async () => {
      for (const cookies of [[], ['saml_binding=' + randomBytes(32).toString('base64url')]]) {
        const { request } = await startLogin();
        const res = await postAcs({ SAMLResponse: respond(request.id, person('nobind')).base64 }, cookies);
        expect({ status: res.status, body: res.body }).toEqual({ status: 401, body: SAML_INVALID });
        expect(cookieValue(res, 'sid')).toBeUndefined();
      }
    });

    it('refuses a tampered response (signatures stripped) and says nothing about why', async () => {
      const { binding, request } = await startLogin();
      const response = respond(request.id, person('tamper'));
      const res = await postAcs({ SAMLResponse: toBase64(stripSignatures(response.xml, 'both')) }, [
        `saml_binding=${binding}`,
      ]);
      expect(res.status).toBe(401);
      expect(res.body).toEqual(SAML_INVALID);
      expect(res.text).not.toMatch(/signature|signed|assertion|xml/i);
    });

    it('refuses a replay of the same post', async () => {
      const { res, response, binding } = await signIn(person('replay'));
      expect(res.status).toBe(302);
      const again = await postAcs({ SAMLResponse: response.base64 }, [`saml_binding=${binding}`]);
      expect({ status: again.status, body: again.body }).toEqual({ status: 401, body: SAML_INVALID });
    });

    it('lets one of two concurrent posts of one response through', async () => {
      const { binding, request } = await startLogin();
      const body = { SAMLResponse: respond(request.id, person('race')).base64 };
      const results = await Promise.all([
        postAcs(body, [`saml_binding=${binding}`]),
        postAcs(body, [`saml_binding=${binding}`]),
      ]);
      expect(results.map((res) => res.status).sort()).toEqual([302, 401]);
      const winner = results.find((res) => res.status === 302)!;
      const loser = results.find((res) => res.status === 401)!;
      expect(loser.body).toEqual(SAML_INVALID);
      expect(cookieValue(loser, 'sid')).toBeUndefined();
      const me = await t.http
        .get('/me')
        .set('Cookie', `sid=${cookieValue(winner, 'sid')}`)
        .expect(200);
      expect(me.body.email).toMatch(/^race-/);
    });

    it('a double submit whose first copy is refused (damaged on its way) still signs in with the second', async () => {
      const { binding, request } = await startLogin();
      const response = respond(request.id, person('twice'));
      const damaged = toBase64(response.xml.replace(/twice-[0-9a-f]{8}/, 'twice-damaged'));
      const first = await postAcs({ SAMLResponse: damaged }, [`saml_binding=${binding}`]);
      expect({ status: first.status, body: first.body }).toEqual({ status: 401, body: SAML_INVALID });
      const second = await postAcs({ SAMLResponse: response.base64 }, [`saml_binding=${binding}`]);
      expect(second.status).toBe(302);
      await t.http
        .get('/me')
        .set('Cookie', `sid=${cookieValue(second, 'sid')}`)
        .expect(200);
    });

    it('refuses a signed NameID, address or name holding a NUL (a character reference)', async () => {
      for (const where of ['nameId', 'email', 'displayName'] as const) {
        const { binding, request } = await startLogin();
        const who = person('nul');
        const unsigned = respond(request.id, { ...who, signAssertion: false, signResponse: false }).xml;
        const placeholder = where === 'nameId' ? who.nameId : who.attributes[where];
        // Signed over the NUL itself; the serialiser writes it raw, and the IdP would send a reference.
        const xml = resign(unsigned.replace(placeholder, placeholder.replace(/[- ]/, '&#x0;')), {
          signer: acme.idp.keys,
        })
          .split('\u0000')
          .join('&#x0;');
        expect(xml).toContain('&#x0;');
        const res = await postAcs({ SAMLResponse: toBase64(xml) }, [`saml_binding=${binding}`]);
        expect({ where, status: res.status, body: res.body }).toEqual({ where, status: 401, body: SAML_INVALID });
      }
    });

    it('refuses a response with a DOCTYPE', async () => {
      const { binding, request } = await startLogin();
      const response = respond(request.id, person('doctype'));
      const res = await postAcs({ SAMLResponse: toBase64(withDoctype(response.xml)) }, [`saml_binding=${binding}`]);
      expect({ status: res.status, body: res.body }).toEqual({ status: 401, body: SAML_INVALID });
    });

    it('refuses an unsolicited response (no InResponseTo)', async () => {
      const { binding } = await startLogin();
      const res = await postAcs({ SAMLResponse: respond(null, person('unsolicited')).base64 }, [
        `saml_binding=${binding}`,
      ]);
      expect({ status: res.status, body: res.body }).toEqual({ status: 401, body: SAML_INVALID });
    });

    it('refuses a missing or repeated SAMLResponse field', async () => {
      const { binding } = await startLogin();
      for (const body of ['', 'RelayState=x', 'SAMLResponse=a&SAMLResponse=b']) {
        const res = await postAcs(body, [`saml_binding=${binding}`]);
        expect({ body, status: res.status, error: res.body }).toEqual({ body, status: 401, error: SAML_INVALID });
      }
    });

    it('takes no logout messages: a SAMLRequest posted or in the query, even beside a valid response', async () => {
      const { binding, request } = await startLogin();
      const valid = respond(request.id, person('logout')).base64;
      const logoutRequest = Buffer.from('<samlp:LogoutRequest/>').toString('base64');
      const posted = await postAcs({ SAMLRequest: logoutRequest, SAMLResponse: valid }, [`saml_binding=${binding}`]);
      expect({ status: posted.status, body: posted.body }).toEqual({ status: 401, body: SAML_INVALID });
      const inQuery = await t.http
        .post(`/auth/saml/${acme.id}/acs?SAMLRequest=${encodeURIComponent(logoutRequest)}`)
        .type('form')
        .set('Cookie', `saml_binding=${binding}`)
        .send({ SAMLResponse: valid });
      expect({ status: inQuery.status, body: inQuery.body }).toEqual({ status: 401, body: SAML_INVALID });
      const atLogin = await t.http.get(`/auth/saml/${acme.id}/login?SAMLResponse=${encodeURIComponent(valid)}`);
      expect({ status: atLogin.status, body: atLogin.body }).toEqual({ status: 401, body: SAML_INVALID });
      expect(setCookies(atLogin)).toEqual([]);
    });

    it('answers 413 to a body over 256 KB', async () => {
      const res = await postAcs({ SAMLResponse: 'A'.repeat(257 * 1024) });
      expect(res.status).toBe(413);
      expect(res.body.error).toBe('payload_too_large');
    });

    it('takes form posts only: JSON answers 415', async () => {
      const { binding, request } = await startLogin();
      const res = await t.http
        .post(`/auth/saml/${acme.id}/acs`)
        .set('Cookie', `saml_binding=${binding}`)
        .send({ SAMLResponse: respond(request.id, person('json')).base64 });
      expect(res.status).toBe(415);
      expect(res.body.error).toBe('unsupported_media_type');
    });

    it('answers an unknown provider like any refused response', async () => {
      const res = await t.http
        .post('/auth/saml/00000000-0000-4000-8000-000000000000/acs')
        .type('form')
        .send({ SAMLResponse: 'x' });
      expect({ status: res.status, body: res.body }).toEqual({ status: 401, body: SAML_INVALID });
    });
  });

  describe('GET /auth/saml/:id/metadata', () => {
    it('is served as SAML metadata naming our entity id and ACS', async () => {
      const res = await t.http.get(`/auth/saml/${acme.id}/metadata`).expect(200);
      expect(res.headers['content-type']).toBe('application/samlmetadata+xml; charset=utf-8');
      expect(res.text).toContain(`entityID="${acme.spEntityId}"`);
      expect(res.text).toContain(`Location="${acme.acsUrl}"`);
    });
  });

  describe('step-up through SSO', () => {
    let mia: { token: string; nameId: string };

    beforeAll(async () => {
      const who = person('mia');
      const { res } = await signIn(who);
      mia = { token: cookieValue(res, 'sid')!, nameId: who.nameId };
    });

    it('the 403 of /auth/confirm for a user without a password lists "sso" with ssoUrl', async () => {
      const res = await t.http.post('/auth/confirm').set(bearer(mia.token)).send({ password: PASSWORD }).expect(403);
      expect(res.body).toMatchObject({
        error: 'step_up_required',
        methods: ['sso'],
        ssoUrl: `/auth/saml/${acme.id}/login?stepUp=1`,
      });
    });

    it('needs a live session of a user this provider signs in', async () => {
      const none = await t.http.get(`/auth/saml/${acme.id}/login?stepUp=1`).expect(401);
      expect(none.body.error).toBe('unauthenticated');
      expect(setCookies(none).some((c) => c.startsWith('saml_binding='))).toBe(false);
      const dead = await t.http.get(`/auth/saml/${acme.id}/login?stepUp=1`).set('Cookie', 'sid=nope').expect(401);
      expect(dead.body.error).toBe('unauthenticated');
      // The organization's owner signs in with a password, not through this provider.
      const owner = await t.http.get(`/auth/saml/${acme.id}/login?stepUp=1`).set(bearer(boss.token)).expect(403);
      expect(owner.body.error).toBe('forbidden');
    });

    it('re-authenticates the session from the cross-site post (binding cookie, no sid) and rotates it', async () => {
      t.clock.advance(61_000);
      await t.http.delete('/me').set('Cookie', `sid=${mia.token}`).set('Origin', APP_URL).expect(403);

      const { binding, request } = await startLogin('?stepUp=1&returnTo=/settings', { Cookie: `sid=${mia.token}` });
      expect(request.forceAuthn).toBe(true);
      const res = await postAcs(
        { SAMLResponse: respond(request.id, { nameId: mia.nameId, nameIdFormat: NAMEID_FORMAT.persistent }).base64 },
        [`saml_binding=${binding}`],
      );
      expect(res.status).toBe(302);
      expect(res.headers.location).toBe(`${APP_URL}/settings`);
      const rotated = cookieValue(res, 'sid')!;
      expect(rotated).not.toBe(mia.token);
      await expectReplacedToken(t, mia.token, { Cookie: `sid=${mia.token}` });
      const sessions = await t.http.get('/me/sessions').set('Cookie', `sid=${rotated}`).expect(200);
      expect(sessions.body).toHaveLength(1);

      const deleted = await t.http.delete('/me').set('Cookie', `sid=${rotated}`).set('Origin', APP_URL).expect(202);
      expect(deleted.body.deletionScheduledFor).toEqual(expect.any(String));
    });

    it("refuses a step-up answered for someone else's session", async () => {
      const other = await signIn(person('ned'));
      const nedToken = cookieValue(other.res, 'sid')!;
      const { binding, request } = await startLogin('?stepUp=1', { Cookie: `sid=${nedToken}` });
      // The IdP asserts Mia in the step-up Ned's session asked for.
      const res = await postAcs(
        { SAMLResponse: respond(request.id, { nameId: mia.nameId, nameIdFormat: NAMEID_FORMAT.persistent }).base64 },
        [`saml_binding=${binding}`],
      );
      expect({ status: res.status, body: res.body }).toEqual({ status: 401, body: SAML_INVALID });
    });
  });

  describe('dry run before the domain is verified', () => {
    let beta: Provider;
    /** Its owner: the one person its login route redirects while the domain is unverified. */
    let betaOwner: SignedUp;

    beforeAll(async () => {
      const owner = await signUpVerified(t, undefined, undefined, 'Beta Boss');
      betaOwner = owner;
      const idp = new TestIdp('https://idp.beta.test/metadata', 'https://idp.beta.test/sso');
      const orgId = (await t.http.post('/orgs').set(bearer(owner.token)).send({ name: 'Beta' }).expect(201)).body.id;
      owner.token = await confirmPassword(t, owner.token);
      const saved = await t.http
        .put(`/orgs/${orgId}/sso/saml`)
        .set(bearer(owner.token))
        .send({
          domain: 'beta.test',
          idpEntityId: idp.entityId,
          idpSsoUrl: idp.ssoUrl,
          idpCert: idp.cert,
          groupsAttribute: 'groups',
          groupRoleMap: { '<leads>': 'admin' },
        })
        .expect(200);
      beta = { id: saved.body.id, orgId, idp, acsUrl: saved.body.acsUrl, spEntityId: saved.body.spEntityId };
    });

    /** A sign-in through Beta's routes, posted with this Accept. */
    const tryBeta = async (accept: string | undefined, who: Partial<ResponseOptions>) => {
      const start = await t.http.get(`/auth/saml/${beta.id}/login`).set(bearer(betaOwner.token)).expect(302);
      const binding = cookieValue(start, 'saml_binding')!;
      const request = readAuthnRequest(start.headers.location);
      const response = beta.idp.buildResponse({
        acsUrl: beta.acsUrl,
        spEntityId: beta.spEntityId,
        inResponseTo: request.id,
        ...who,
      });
      const req = t.http
        .post(`/auth/saml/${beta.id}/acs`)
        .type('form')
        .set('Origin', 'https://idp.beta.test')
        .set('Cookie', `saml_binding=${binding}`);
      if (accept) req.set('Accept', accept);
      return req.send({ SAMLResponse: response.base64 });
    };

    it('answers a page with what was asserted, everything escaped, under the pages’ headers, and signs nobody in', async () => {
      const who = {
        nameId: '<script>alert(1)</script>',
        nameIdFormat: NAMEID_FORMAT.persistent,
        attributes: { email: 'bea@beta.test', groups: ['<leads>', 'a"b'] },
      };
      const res = await tryBeta('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', who);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['content-security-policy']).toMatch(/^default-src 'none'/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(setCookies(res).some((c) => c.startsWith('sid='))).toBe(false);
      expect(res.text).not.toContain('<script>');
      expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(res.text).toContain('bea@beta.test');
      expect(res.text).toContain('&lt;leads&gt;, a&quot;b');
      expect(res.text).toContain('<dd>admin</dd>');
      expect(await t.dataSource.query("SELECT 1 FROM users WHERE email = 'bea@beta.test'")).toEqual([]);
    });

    it('answers JSON when Accept prefers it', async () => {
      const who = { nameId: 'bea-1', nameIdFormat: NAMEID_FORMAT.persistent, attributes: { email: 'bea@beta.test' } };
      const res = await tryBeta('application/json', who);
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({
        dryRun: true,
        providerId: beta.id,
        nameId: 'bea-1',
        nameIdFormat: NAMEID_FORMAT.persistent,
        email: 'bea@beta.test',
        emailInDomain: true,
        groups: [],
        role: 'member',
      });
      expect(setCookies(res).some((c) => c.startsWith('sid='))).toBe(false);
      expect(await t.dataSource.query('SELECT 1 FROM sso_identities WHERE provider_id = $1', [beta.id])).toEqual([]);
    });
  });
});
