import { SessionsService } from '../../../src/sessions/sessions.service';
import { PostgresSamlRequestStore } from '../../../src/sso/saml-request-store';
import { SsoIdentitiesService } from '../../../src/sso/sso-identities.service';
import { SsoRepository } from '../../../src/sso/sso.repository';
import { TaskRunner } from '../../../src/tasks';
import { KeyPair, pemBody, selfSigned } from '../../support/x509';
import { startTestApp, TestApp } from '../../support/test-app';
import { startTxtDnsServer, TxtDnsServer } from '../../support/txt-dns-server';
import { addMember } from '../../support/orgs';
import {
  actingAs,
  bearer,
  confirmPassword,
  createApiKey,
  logIn,
  PASSWORD,
  signUp,
  SignedUp,
  signUpVerified,
} from '../../support/users';

const MINUTE = 60_000;
const DOMAIN = 'acme.test';
const OTHER_DOMAIN = 'acme-labs.test';
const IDP_ENTITY = 'https://idp.acme.test/metadata';
const IDP_SSO = 'https://idp.acme.test/sso';

describe('SSO configuration, discovery, domain verification and enforcement', () => {
  let t: TestApp;
  let dns: TxtDnsServer;
  let sp: KeyPair;
  let idp: KeyPair;
  let idpNext: KeyPair;
  let owner: SignedUp;
  let admin: SignedUp;
  let member: SignedUp;
  let outsider: SignedUp;
  let orgId: string;
  let providerId: string;
  /** Organizations that claimed the same domain without verifying it. */
  const rivals: Array<{ user: SignedUp; orgId: string }> = [];

  const path = () => `/orgs/${orgId}/sso/saml`;
  const provider = (overrides: Record<string, unknown> = {}) => ({
    domain: DOMAIN,
    idpEntityId: IDP_ENTITY,
    idpSsoUrl: IDP_SSO,
    idpCert: idp.cert,
    ...overrides,
  });
  /** A fresh step-up for the user (the fake clock moves on by more than the window between tests). */
  const stepUp = async (user: SignedUp) => {
    user.token = await confirmPassword(t, user.token);
  };
  /** What the member has before the enforced domain is verified: an API key, and a session from SSO. */
  let memberKey: string;
  let memberSsoSession: { id: string; token: string };
  /** The member's step-up, as a sign-in again at the IdP makes it (their password no longer confirms). */
  const memberConfirmsThroughSso = async () => {
    member.token = (await t.app.get(SessionsService).reauthenticate(member.id, memberSsoSession.id)).token;
  };
  const put = (user: SignedUp, body: object) => t.http.put(path()).set(bearer(user.token)).send(body);
  const audit = (action: string) =>
    t.dataSource.query('SELECT actor_id, target, details FROM audit_log WHERE action = $1 ORDER BY id', [action]);

  const logs: string[] = [];

  beforeAll(async () => {
    dns = await startTxtDnsServer();
    sp = selfSigned({ commonName: 'authd-sp' });
    idp = selfSigned({ commonName: 'acme-idp' });
    idpNext = selfSigned({ commonName: 'acme-idp-next' });
    t = await startTestApp({
      logs,
      env: {
        LOG_LEVEL: 'info',
        DNS_SERVERS: `127.0.0.1:${dns.port}`,
        // A reset link asked for before enforcement is still live when it is tried, tests later.
        PASSWORD_RESET_TOKEN_TTL: '24h',
        // The clock moves past the step-up window before every test; sessions outlive that.
        SESSION_IDLE_TIMEOUT: '30d',
        SESSION_ABSOLUTE_TIMEOUT: '365d',
        SAML_SP_PRIVATE_KEY: sp.key,
        SAML_SP_CERT: sp.cert,
      },
    });
    owner = await signUpVerified(t, `boss@${DOMAIN}`, undefined, 'Olga Owner');
    admin = await signUpVerified(t, undefined, undefined, 'Adam Admin');
    member = await signUpVerified(t, `bob@${DOMAIN}`, undefined, 'Bob Member');
    outsider = await signUpVerified(t);
    orgId = (await t.http.post('/orgs').set(bearer(owner.token)).send({ name: 'Acme' }).expect(201)).body.id;
    for (const [user, role] of [
      [admin, 'admin'],
      [member, 'member'],
    ] as const) {
      await addMember(t, orgId, owner, user, role);
    }
  });
  afterAll(async () => {
    await t.close();
    await dns.close();
  });
  beforeEach(() => {
    // Every test starts with stale step-ups: the routes that need one must ask for it.
    t.clock.advance(10 * MINUTE);
  });

  describe('PUT /orgs/:id/sso/saml', () => {
    it('answers 404 until the organization has a provider', async () => {
      expect((await t.http.get(path()).set(bearer(owner.token)).expect(404)).body.error).toBe('not_found');
    });

    it('needs a verified email, a recent step-up, an owner and a session', async () => {
      const unverified = await signUp(t);
      expect((await put(unverified, provider()).expect(403)).body.error).toBe('email_not_verified');

      const stale = await put(owner, provider()).expect(403);
      expect(stale.body).toMatchObject({ error: 'step_up_required', confirmUrl: '/auth/confirm' });

      await stepUp(admin);
      expect((await put(admin, provider()).expect(403)).body.error).toBe('insufficient_role');
      await stepUp(member);
      expect((await put(member, provider()).expect(403)).body.error).toBe('insufficient_role');
      await stepUp(outsider);
      expect((await put(outsider, provider()).expect(404)).body.error).toBe('not_found');

      await stepUp(owner);
      const key = await createApiKey(t, owner.token, 'sso key');
      const byKey = await t.http.put(path()).set(bearer(key.key)).send(provider()).expect(403);
      expect(byKey.body.error).toBe('api_key_not_allowed');
      expect(await t.dataSource.query('SELECT 1 FROM saml_providers')).toEqual([]);
    });

    it('creates the provider and answers the provider object', async () => {
      await stepUp(owner);
      const res = await put(owner, provider({ enforce: true, groupRoleMap: { 'acme-admins': 'admin' } })).expect(200);
      providerId = res.body.id;
      const base = `http://localhost:3000/auth/saml/${providerId}`;
      expect(res.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        domain: DOMAIN,
        domainVerified: false,
        idpEntityId: IDP_ENTITY,
        idpSsoUrl: IDP_SSO,
        groupsAttribute: null,
        groupRoleMap: { 'acme-admins': 'admin' },
        defaultRole: 'member',
        enforce: true,
        spEntityId: `${base}/metadata`,
        acsUrl: `${base}/acs`,
        metadataUrl: `${base}/metadata`,
        domainVerificationRecord: {
          type: 'TXT',
          name: `_auth-verification.${DOMAIN}`,
          value: expect.stringMatching(/^auth-verification=[A-Za-z0-9_-]{32}$/),
        },
      });
      const [row] = await t.dataSource.query(
        'SELECT org_id, idp_certs, require_signed_response FROM saml_providers WHERE id = $1',
        [providerId],
      );
      expect(row).toEqual({ org_id: orgId, idp_certs: [idp.cert], require_signed_response: true });
      expect(await audit('sso.provider_saved')).toEqual([
        {
          actor_id: owner.id,
          target: `org:${orgId}`,
          details: expect.objectContaining({ providerId, created: true, domain: DOMAIN, enforce: true }),
        },
      ]);
    });

    it('shows the provider to owners and admins only', async () => {
      const asOwner = await t.http.get(path()).set(bearer(owner.token)).expect(200);
      const asAdmin = await t.http.get(path()).set(bearer(admin.token)).expect(200);
      expect(asAdmin.body).toEqual(asOwner.body);
      expect(asOwner.body.id).toBe(providerId);
      expect((await t.http.get(path()).set(bearer(member.token)).expect(403)).body.error).toBe('insufficient_role');
      expect((await t.http.get(path()).set(bearer(outsider.token)).expect(404)).body.error).toBe('not_found');
      await t.http.get('/orgs/not-a-uuid/sso/saml').set(bearer(owner.token)).expect(404);
    });

    it('replaces the settings, with certificates for a rollover, lower-casing the domain', async () => {
      await stepUp(owner);
      const before = (await t.http.get(path()).set(bearer(owner.token)).expect(200)).body;
      const res = await put(owner, {
        domain: 'ACME.test.',
        idpEntityId: IDP_ENTITY,
        idpSsoUrl: IDP_SSO,
        idpCert: [idp.cert, pemBody(idpNext.cert)],
        groupsAttribute: 'groups',
        groupRoleMap: { 'acme-admins': 'admin', 'acme-owners': 'owner' },
        defaultRole: 'member',
        enforce: true,
        requireSignedResponse: false,
      }).expect(200);
      expect(res.body).toMatchObject({
        id: providerId,
        domain: DOMAIN,
        groupsAttribute: 'groups',
        groupRoleMap: { 'acme-admins': 'admin', 'acme-owners': 'owner' },
        // The same domain keeps its token.
        domainVerificationRecord: before.domainVerificationRecord,
      });
      const [row] = await t.dataSource.query(
        'SELECT idp_certs, require_signed_response FROM saml_providers WHERE id = $1',
        [providerId],
      );
      expect(row).toEqual({ idp_certs: [idp.cert, idpNext.cert], require_signed_response: false });
      expect(await t.dataSource.query('SELECT count(*)::int AS n FROM saml_providers')).toEqual([{ n: 1 }]);
    });

    it('reads the IdP from its metadata instead', async () => {
      await stepUp(owner);
      const metadata = `<?xml version="1.0"?>
        <md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.acme.test/meta">
          <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
            <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>
              <ds:X509Certificate>${pemBody(idp.cert)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
            <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.acme.test/redirect"/>
          </md:IDPSSODescriptor>
        </md:EntityDescriptor>`;
      const res = await put(owner, { domain: DOMAIN, idpMetadataXml: metadata, enforce: true }).expect(200);
      expect(res.body).toMatchObject({
        id: providerId,
        idpEntityId: 'https://idp.acme.test/meta',
        idpSsoUrl: 'https://idp.acme.test/redirect',
        groupsAttribute: null,
        groupRoleMap: {},
        enforce: true,
      });
    });

    describe('refuses bad input with 400 validation_failed naming the field', () => {
      const refused = async (body: object, field: string, problem?: RegExp) => {
        await stepUp(owner);
        const res = await put(owner, body).expect(400);
        expect(res.body).toMatchObject({ statusCode: 400, error: 'validation_failed' });
        const detail = (res.body.details as Array<{ field: string; problems: string[] }>).find(
          (d) => d.field === field,
        );
        expect({ details: res.body.details, found: detail !== undefined }).toMatchObject({ found: true });
        if (problem) expect(detail!.problems.join(' ')).toMatch(problem);
      };

      it('a bad certificate', async () => {
        await refused(provider({ idpCert: 'not a certificate' }), 'idpCert', /certificate/);
        await refused(
          provider({ idpCert: '-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----' }),
          'idpCert',
          /base64/,
        );
        await refused(provider({ idpCert: [idp.cert, 'MIIBogus'] }), 'idpCert[1]', /X\.509/);
        await refused(provider({ idpCert: idp.key }), 'idpCert', /private key/);
        await refused(provider({ idpCert: [] }), 'idpCert');
        await refused(provider({ idpCert: 42 }), 'idpCert');
      });

      it('a bad URL', async () => {
        await refused(provider({ idpSsoUrl: 'not a url' }), 'idpSsoUrl', /http/);
        await refused(provider({ idpSsoUrl: 'ftp://idp.acme.test/sso' }), 'idpSsoUrl', /http/);
        await refused(provider({ idpSsoUrl: 'javascript:alert(1)' }), 'idpSsoUrl', /http/);
        // null is a field not given, never a 500.
        await refused(provider({ idpSsoUrl: null }), 'idpSsoUrl', /required/);
        await refused(provider({ idpEntityId: null }), 'idpEntityId', /required/);
        await refused(provider({ idpCert: null }), 'idpCert', /required/);
      });

      it('bad metadata', async () => {
        await refused({ domain: DOMAIN, idpMetadataXml: '<md:EntityDescriptor' }, 'idpMetadataXml', /XML/);
        await refused(
          { domain: DOMAIN, idpMetadataXml: '<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata"/>' },
          'idpMetadataXml',
          /identity provider/,
        );
        await refused(provider({ idpMetadataXml: '<x/>' }), 'idpEntityId', /either/);
      });

      it('metadata with a NUL or another control character in its entity id or sign-on URL', async () => {
        const metadata = (entityId: string, location: string) =>
          `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${entityId}">` +
          `<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
          `<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>` +
          `<ds:X509Certificate>${pemBody(idp.cert)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
          `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${location}"/>` +
          `</md:IDPSSODescriptor></md:EntityDescriptor>`;
        for (const [entityId, location] of [
          ['https://idp.acme.test/&#x0;meta', IDP_SSO],
          ['https://idp.acme.test/&#x1b;meta', IDP_SSO],
          [IDP_ENTITY, 'https://idp.acme.test/&#x0;sso'],
        ]) {
          await refused({ domain: DOMAIN, idpMetadataXml: metadata(entityId, location) }, 'idpMetadataXml');
        }
        await refused(provider({ idpEntityId: 'https://idp.acme.test/\u0000meta' }), 'idpEntityId');
        await refused(provider({ idpSsoUrl: 'https://idp.acme.test/\u0000sso' }), 'idpSsoUrl');
      });

      it('a sign-on URL that is not https, but for a loopback IdP', async () => {
        await refused(provider({ idpSsoUrl: 'http://idp.acme.test/sso' }), 'idpSsoUrl', /https/);
        await refused(provider({ idpSsoUrl: 'http://10.0.0.7/sso' }), 'idpSsoUrl', /https/);
        await refused(provider({ idpSsoUrl: 'http://localhost.evil.test/sso' }), 'idpSsoUrl', /https/);
        const viaMetadata = `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${IDP_ENTITY}">
          <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
            <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data>
              <ds:X509Certificate>${pemBody(idp.cert)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
            <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="http://idp.acme.test/redirect"/>
          </md:IDPSSODescriptor>
        </md:EntityDescriptor>`;
        await refused({ domain: DOMAIN, idpMetadataXml: viaMetadata }, 'idpMetadataXml', /https/);
        for (const loopback of [
          'http://127.0.0.1:8080/sso',
          'http://127.8.9.10/sso',
          'http://[::1]:9/sso',
          'http://localhost/sso',
        ]) {
          await stepUp(owner);
          const res = await put(owner, provider({ idpSsoUrl: loopback })).expect(200);
          expect(res.body.idpSsoUrl).toBe(loopback);
        }
        // Back to the provider the tests after these expect.
        await stepUp(owner);
        await put(owner, {
          domain: DOMAIN,
          idpEntityId: 'https://idp.acme.test/meta',
          idpSsoUrl: 'https://idp.acme.test/redirect',
          idpCert: idp.cert,
          enforce: true,
        }).expect(200);
      });

      it('every bad field at once, those the body checks and those the service checks alike', async () => {
        await stepUp(owner);
        const res = await put(
          owner,
          provider({
            domain: 'gmail.com',
            idpSsoUrl: 'ftp://idp.acme.test/sso',
            idpCert: 'not a certificate',
            defaultRole: 'king',
            enforce: 'yes',
            requireSignedResponse: 'no',
            groupRoleMap: { staff: 'king' },
          }),
        ).expect(400);
        expect(res.body.error).toBe('validation_failed');
        const fields = (res.body.details as Array<{ field: string }>).map((d) => d.field).sort();
        expect(fields).toEqual(
          [
            'defaultRole',
            'domain',
            'enforce',
            'groupRoleMap.staff',
            'idpCert',
            'idpSsoUrl',
            'requireSignedResponse',
          ].sort(),
        );
      });

      it('an unknown role', async () => {
        await refused(provider({ defaultRole: 'king' }), 'defaultRole');
        await refused(provider({ groupRoleMap: { staff: 'member', royals: 'king' } }), 'groupRoleMap.royals', /owner/);
      });

      it('a public mail domain, or no domain at all', async () => {
        await refused(provider({ domain: 'gmail.com' }), 'domain', /public/);
        await refused(provider({ domain: 'Mail.Yahoo.com' }), 'domain', /public/);
        await refused(provider({ domain: 'not a domain' }), 'domain');
        await refused(provider({ domain: '10.0.0.1' }), 'domain');
      });

      it('missing IdP fields and unknown fields', async () => {
        await refused({ domain: DOMAIN }, 'idpSsoUrl', /required/);
        await refused(provider({ admin: true }), 'admin', /should not exist/);
      });

      it('nothing for a domain another organization claimed without verifying it: both claims stand', async () => {
        const rival = await signUpVerified(t, undefined, undefined, 'Rita Rival');
        const rivalOrg = (await t.http.post('/orgs').set(bearer(rival.token)).send({ name: 'Rival' }).expect(201)).body
          .id;
        rival.token = await confirmPassword(t, rival.token);
        const res = await t.http
          .put(`/orgs/${rivalOrg}/sso/saml`)
          .set(bearer(rival.token))
          .send(provider({ domain: 'Acme.Test' }))
          .expect(200);
        expect(res.body).toMatchObject({ domain: DOMAIN, domainVerified: false });
        rivals.push({ user: rival, orgId: rivalOrg });
      });

      it('and leaves the provider as it was', async () => {
        const res = await t.http.get(path()).set(bearer(owner.token)).expect(200);
        expect(res.body).toMatchObject({ id: providerId, domain: DOMAIN, idpEntityId: 'https://idp.acme.test/meta' });
      });
    });
  });

  describe('GET /auth/saml/:id/metadata', () => {
    it('serves the SP metadata with the signing certificate', async () => {
      const res = await t.http.get(`/auth/saml/${providerId}/metadata`).expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/samlmetadata\+xml/);
      const xml = res.text;
      const base = `http://localhost:3000/auth/saml/${providerId}`;
      expect(xml).toContain(`entityID="${base}/metadata"`);
      expect(xml).toMatch(
        new RegExp(
          `<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${base}/acs"`,
        ),
      );
      expect(xml).toContain('AuthnRequestsSigned="true"');
      expect(xml).toContain('WantAssertionsSigned="true"');
      expect(xml).toContain(`<ds:X509Certificate>${pemBody(sp.cert)}</ds:X509Certificate>`);
      expect(xml).toContain('<md:NameIDFormat>');
    });

    it('answers 404 for an unknown or malformed provider id', async () => {
      const unknown = await t.http.get('/auth/saml/00000000-0000-4000-8000-000000000000/metadata').expect(404);
      expect(unknown.headers['content-type']).toMatch(/^application\/json/);
      expect(unknown.body.error).toBe('not_found');
      await t.http.get('/auth/saml/nope/metadata').expect(404);
    });
  });

  describe('before the domain is verified', () => {
    it('discovery does not route to the provider', async () => {
      const res = await t.http
        .post('/auth/sso/discover')
        .send({ email: `someone@${DOMAIN}` })
        .expect(200);
      expect(res.body).toEqual({ sso: false });
    });

    it('enforcement is off: passwords still work for the domain', async () => {
      await logIn(t, member.email);
      await t.http.post('/auth/password/forgot').send({ email: member.email }).expect(202);
    });
  });

  describe('POST /orgs/:id/sso/saml/verify-domain', () => {
    const verify = (user: SignedUp) => t.http.post(`${path()}/verify-domain`).set(bearer(user.token));
    let record: { name: string; value: string };

    /** What the member has before the enforced domain is verified: an API key, and a session from SSO. */

    beforeAll(async () => {
      record = (await t.http.get(path()).set(bearer(owner.token)).expect(200)).body.domainVerificationRecord;
      await stepUp(member);
      memberKey = (await createApiKey(t, member.token, 'member key')).key;
      memberSsoSession = await t.app
        .get(SessionsService)
        .issue(member, { ip: '203.0.113.9', userAgent: 'test' }, 'saml', { alertOnNewIp: false });
    });

    it('is for owners only', async () => {
      expect((await verify(admin).expect(403)).body.error).toBe('insufficient_role');
      expect((await verify(outsider).expect(404)).body.error).toBe('not_found');
    });

    it('answers domain_not_verified while the record is missing, different or unanswered', async () => {
      const notVerified = async () => {
        const res = await verify(owner).expect(400);
        expect(res.body).toEqual({
          statusCode: 400,
          error: 'domain_not_verified',
          message: expect.stringContaining('TXT'),
        });
      };
      // NXDOMAIN.
      await notVerified();
      // The name exists, without TXT records.
      dns.records.set(record.name, []);
      await notVerified();
      // Other records, and one with another token.
      dns.records.set(record.name, ['v=spf1 -all', 'auth-verification=someone-elses-token']);
      await notVerified();
      // No answer at all: the resolver times out.
      dns.silent.add(record.name);
      await notVerified();
      dns.silent.delete(record.name);
      expect((await t.http.get(path()).set(bearer(owner.token)).expect(200)).body.domainVerified).toBe(false);
    });

    it("logs the resolver's error code of a failed lookup, unredacted", async () => {
      dns.records.delete(record.name);
      const before = logs.length;
      await verify(owner).expect(400);
      const lines = logs
        .slice(before)
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((entry) => entry.msg === 'domain verification: no TXT record');
      expect(lines).toEqual([expect.objectContaining({ name: record.name, dnsError: 'ENOTFOUND' })]);
      expect(JSON.stringify(lines)).not.toContain('[redacted]');
    });

    it('verifies the domain once the TXT record holds the token', async () => {
      dns.records.set(record.name, ['v=spf1 -all', [record.value.slice(0, 10), record.value.slice(10)]]);
      const res = await verify(owner).expect(200);
      expect(res.body).toMatchObject({ id: providerId, domainVerified: true, domainVerificationRecord: record });
      // Asking again changes nothing.
      expect((await verify(owner).expect(200)).body.domainVerified).toBe(true);
      expect(await audit('sso.domain_verified')).toEqual([
        { actor_id: owner.id, target: `org:${orgId}`, details: { providerId, domain: DOMAIN } },
      ]);
    });

    it("ends, on verification of the enforced domain, its non-owner members' password sessions and API keys, audited and mailed", async () => {
      expect((await t.http.get('/me').set(bearer(member.token)).expect(401)).body.error).toBe('session_expired');
      expect((await t.http.get('/me').set(bearer(memberKey)).expect(401)).body.error).toBe('unauthenticated');
      // A session from SSO stays, and so do the owner's and those of addresses of other domains.
      await t.http.get('/me').set(bearer(memberSsoSession.token)).expect(200);
      await t.http.get('/me').set(bearer(owner.token)).expect(200);
      await t.http.get('/me').set(bearer(admin.token)).expect(200);
      const [row] = await audit('sso.enforced_sign_out');
      expect(row).toEqual({
        actor_id: null,
        target: `user:${member.id}`,
        details: { userId: member.id, providerId, sessions: expect.any(Number), apiKeys: 1 },
      });
      expect(row.details.sessions).toBeGreaterThan(0);
      expect(await audit('sso.enforced_sign_out')).toHaveLength(1);
      const [mail] = await t.mail.waitFor((m) => m.to === member.email && m.subject.includes('Sign in through'));
      expect(mail.text).toContain(`/auth/saml/${providerId}/login`);
      member.token = memberSsoSession.token;
    });

    it('offers an enforced member the SSO step-up in place of the password it can no longer use', async () => {
      const required = await t.http.get('/me/export').set(bearer(memberSsoSession.token)).expect(403);
      expect(required.body).toMatchObject({
        error: 'step_up_required',
        methods: ['sso'],
        ssoUrl: `/auth/saml/${providerId}/login?stepUp=1`,
      });
      const start = await t.http.get(required.body.ssoUrl).set(bearer(memberSsoSession.token)).expect(302);
      expect(start.headers.location).toMatch(/^https:\/\/idp\.acme\.test\//);
      // The records test below counts the requests it makes itself.
      await t.dataSource.query('DELETE FROM saml_requests WHERE step_up_session_id = $1', [memberSsoSession.id]);
      // An owner keeps the password (break-glass), so that is what it is offered.
      const owners = await t.http.get('/me/export').set(bearer(owner.token)).expect(403);
      expect(owners.body.methods).toEqual(['password']);
    });

    it('refuses a password confirm, a reset link mailed before and POST /me/password of a member with sso_required, not of an owner', async () => {
      const loginUrl = `http://localhost:3000/auth/saml/${providerId}/login`;
      const confirm = await t.http.post('/auth/confirm').set(bearer(member.token)).send({ password: PASSWORD });
      expect({ status: confirm.status, body: confirm.body }).toEqual({
        status: 403,
        body: { statusCode: 403, error: 'sso_required', message: expect.any(String), loginUrl },
      });
      // The link of the reset asked for while enforcement was off.
      const [resetMail] = await t.mail.waitFor((m) => m.to === member.email && m.subject.includes('Reset'));
      const resetToken = /reset-password\?token=([A-Za-z0-9_-]+)/.exec(resetMail.text)![1];
      const reset = await t.http
        .post('/auth/password/reset')
        .send({ token: resetToken, newPassword: 'Fresh-Long-Passphrase-91' })
        .expect(403);
      expect(reset.body).toMatchObject({ error: 'sso_required', loginUrl });
      // Confirmed (through SSO), the member still cannot set a password.
      await memberConfirmsThroughSso();
      const change = await t.http
        .post('/me/password')
        .set(bearer(member.token))
        .send({ newPassword: 'Fresh-Long-Passphrase-91' })
        .expect(403);
      expect(change.body).toMatchObject({ error: 'sso_required', loginUrl });
      // An account its SSO provider signed in cannot leave the domain either; within it, it may move.
      await t.dataSource.query('UPDATE users SET sso_provider_id = $1 WHERE id = $2', [providerId, member.id]);
      const leave = await t.http
        .post('/me/email')
        .set(bearer(member.token))
        .send({ email: 'bob@personal.test' })
        .expect(403);
      expect(leave.body).toMatchObject({ error: 'sso_required', loginUrl });
      await t.dataSource.query('UPDATE users SET sso_provider_id = NULL WHERE id = $1', [member.id]);
      // The organization's owner keeps the password (break-glass).
      await stepUp(owner);
      const ownerChange = await t.http
        .post('/me/password')
        .set(bearer(owner.token))
        .send({ newPassword: PASSWORD })
        .expect(200);
      owner.token = ownerChange.body.session.token;
    });

    it("holds the domain for the first to verify it: the others' claims are refused at their verify, their owners mailed", async () => {
      const [rival] = rivals;
      const mails = await t.mail.waitFor((m) => m.to === rival.user.email && m.subject.includes('SSO domain'));
      expect(mails[0].text).toContain(`Rival claims the domain ${DOMAIN}`);
      const rivalRecord = (await t.http.get(`/orgs/${rival.orgId}/sso/saml`).set(bearer(rival.user.token)).expect(200))
        .body.domainVerificationRecord;
      // Even with its own record published, the domain is taken.
      dns.records.set(rivalRecord.name, [record.value, rivalRecord.value]);
      const refused = await t.http
        .post(`/orgs/${rival.orgId}/sso/saml/verify-domain`)
        .set(bearer(rival.user.token))
        .expect(400);
      expect(refused.body).toEqual({
        statusCode: 400,
        error: 'domain_not_verified',
        message: expect.stringContaining('Another organization verified this domain first'),
      });
      dns.records.set(record.name, [record.value]);
      // Discovery names only the verified provider.
      const discovered = await t.http
        .post('/auth/sso/discover')
        .send({ email: `x@${DOMAIN}` })
        .expect(200);
      expect(discovered.body.loginUrl).toContain(providerId);
      // A new claim of a verified domain is refused at once.
      const late = await signUpVerified(t, undefined, undefined, 'Late Larry');
      const lateOrg = (await t.http.post('/orgs').set(bearer(late.token)).send({ name: 'Late' }).expect(201)).body.id;
      late.token = await confirmPassword(t, late.token);
      const claim = await t.http.put(`/orgs/${lateOrg}/sso/saml`).set(bearer(late.token)).send(provider()).expect(400);
      expect(claim.body).toMatchObject({
        error: 'validation_failed',
        details: [{ field: 'domain', problems: ['is verified by another organization'] }],
      });
    });

    it('survives a save of the same domain; a new domain starts over with a new token', async () => {
      const other = selfSigned({ commonName: 'other-org' });
      const rival = await signUpVerified(t, undefined, undefined, 'Other Owner');
      const otherOrg = (await t.http.post('/orgs').set(bearer(rival.token)).send({ name: 'Other' }).expect(201)).body
        .id;
      const first = await t.http
        .put(`/orgs/${otherOrg}/sso/saml`)
        .set(bearer(rival.token))
        .send({ domain: OTHER_DOMAIN, idpEntityId: 'https://idp.other.test', idpSsoUrl: IDP_SSO, idpCert: other.cert })
        .expect(200);
      const otherRecord = first.body.domainVerificationRecord;
      dns.records.set(otherRecord.name, [otherRecord.value]);
      await t.http.post(`/orgs/${otherOrg}/sso/saml/verify-domain`).set(bearer(rival.token)).expect(200);

      await stepUp(rival);
      const same = await t.http
        .put(`/orgs/${otherOrg}/sso/saml`)
        .set(bearer(rival.token))
        .send({
          domain: OTHER_DOMAIN,
          idpEntityId: 'https://idp.other.test/2',
          idpSsoUrl: IDP_SSO,
          idpCert: other.cert,
        })
        .expect(200);
      expect(same.body).toMatchObject({ domainVerified: true, domainVerificationRecord: otherRecord });

      const moved = await t.http
        .put(`/orgs/${otherOrg}/sso/saml`)
        .set(bearer(rival.token))
        .send({
          domain: 'moved.test',
          idpEntityId: 'https://idp.other.test/2',
          idpSsoUrl: IDP_SSO,
          idpCert: other.cert,
        })
        .expect(200);
      expect(moved.body.domainVerified).toBe(false);
      expect(moved.body.domainVerificationRecord.name).toBe('_auth-verification.moved.test');
      expect(moved.body.domainVerificationRecord.value).not.toBe(otherRecord.value);
      // The old domain is free again, and no longer discovered.
      expect(
        (
          await t.http
            .post('/auth/sso/discover')
            .send({ email: `x@${OTHER_DOMAIN}` })
            .expect(200)
        ).body,
      ).toEqual({
        sso: false,
      });
    });
  });

  describe('once the domain is verified', () => {
    const loginUrl = () => `http://localhost:3000/auth/saml/${providerId}/login`;

    it('discovery routes addresses of the domain to the provider', async () => {
      for (const email of [`someone@${DOMAIN}`, `Someone@ACME.TEST`]) {
        const res = await t.http.post('/auth/sso/discover').send({ email }).expect(200);
        expect(res.body).toEqual({ sso: true, loginUrl: loginUrl() });
      }
      expect((await t.http.post('/auth/sso/discover').send({ email: 'a@sub.acme.test' }).expect(200)).body).toEqual({
        sso: false,
      });
      expect((await t.http.post('/auth/sso/discover').send({ email: 'not an email' }).expect(400)).body.error).toBe(
        'validation_failed',
      );
    });

    it('refuses password login, signup and reset for the domain with sso_required', async () => {
      const expectSsoRequired = (res: { body: Record<string, unknown> }) =>
        expect(res.body).toEqual({
          statusCode: 403,
          error: 'sso_required',
          message: expect.any(String),
          loginUrl: loginUrl(),
        });
      expectSsoRequired(await t.http.post('/auth/login').send({ email: member.email, password: PASSWORD }).expect(403));
      // The same for a wrong password and for an address without an account: nothing is learnt.
      expectSsoRequired(await t.http.post('/auth/login').send({ email: member.email, password: 'wrong' }).expect(403));
      expectSsoRequired(
        await t.http
          .post('/auth/login')
          .send({ email: `nobody@${DOMAIN}`, password: PASSWORD })
          .expect(403),
      );
      expectSsoRequired(
        await t.http
          .post('/auth/signup')
          .send({ email: `new@${DOMAIN}`, password: PASSWORD })
          .expect(403),
      );
      expectSsoRequired(await t.http.post('/auth/password/forgot').send({ email: member.email }).expect(403));
      expectSsoRequired(
        await t.http
          .post('/auth/password/forgot')
          .send({ email: `nobody@${DOMAIN}` })
          .expect(403),
      );
      expect(await t.dataSource.query('SELECT 1 FROM users WHERE email = $1', [`new@${DOMAIN}`])).toEqual([]);
      // Other domains are untouched.
      await logIn(t, admin.email);
    });

    it("lets owners of the provider's organization in with their password (break-glass), audited", async () => {
      const res = await logIn(t, owner.email);
      expect(await audit('sso.break_glass_login')).toEqual([
        { actor_id: owner.id, target: `session:${res.sessionId}`, details: { providerId, orgId } },
      ]);
      expect(
        (await t.http.post('/auth/login').send({ email: owner.email, password: 'wrong' }).expect(401)).body.error,
      ).toBe('invalid_credentials');
      // Owning another organization is not enough.
      await t.http.post('/orgs').set(bearer(member.token)).send({ name: 'Bob Inc' }).expect(201);
      const refused = await t.http.post('/auth/login').send({ email: member.email, password: PASSWORD }).expect(403);
      expect(refused.body.error).toBe('sso_required');
    });

    it('lets passwords back in when enforcement is turned off', async () => {
      await stepUp(owner);
      const current = (await t.http.get(path()).set(bearer(owner.token)).expect(200)).body;
      await put(owner, provider({ enforce: false })).expect(200);
      const relogged = await logIn(t, member.email);
      await stepUp(owner);
      const back = await put(owner, provider({ enforce: true })).expect(200);
      // Turning enforcement on again ends the password session signed in meanwhile.
      await t.http.get('/me').set(bearer(relogged.token)).expect(401);
      await t.http.get('/me').set(bearer(member.token)).expect(200);
      expect(back.body).toMatchObject({
        domainVerified: true,
        domainVerificationRecord: current.domainVerificationRecord,
      });
      await t.http.post('/auth/login').send({ email: member.email, password: PASSWORD }).expect(403);
    });
  });

  describe('records kept for the SAML exchange', () => {
    it('identities, requests consumed once, assertion ids that refuse a replay, and their purge', async () => {
      const identities = t.app.get(SsoIdentitiesService);
      expect(await identities.link(providerId, 'bob-name-id', member.id)).toBe(true);
      expect(await identities.link(providerId, 'bob-name-id', owner.id)).toBe(false);
      expect(await identities.find(providerId, 'bob-name-id')).toMatchObject({ userId: member.id });

      // The stores a login redirect and an ACS post use, each made for its one exchange.
      const now = t.clock.now();
      const clock = () => t.clock.now();
      const repository = t.app.get(SsoRepository);
      const context = {
        bindingHash: Buffer.alloc(32, 1),
        returnTo: '/after',
        forceAuthn: false,
        stepUpSessionId: null,
      };
      const login = new PostgresSamlRequestStore(repository, providerId, clock, { context });
      const acs = () => new PostgresSamlRequestStore(repository, providerId, clock);
      const request = {
        providerId,
        requestId: '_req1',
        ...context,
        createdAt: now,
        expiresAt: new Date(now.getTime() + 10 * MINUTE),
      };
      await login.save('_req1', now.toISOString(), request.expiresAt);
      await login.save('_req2', now.toISOString(), request.expiresAt);
      expect(await acs().get('_req1')).toBe(now.toISOString());
      expect(await acs().consume('_req1')).toEqual(request);
      expect(await acs().consume('_req1')).toBeUndefined();

      const until = new Date(now.getTime() + 5 * MINUTE);
      expect(await acs().recordAssertion('_assertion1', until)).toBe(true);
      expect(await acs().recordAssertion('_assertion1', until)).toBe(false);

      t.clock.advance(11 * MINUTE);
      expect(await acs().get('_req2')).toBeNull();
      expect(await t.app.get(TaskRunner).run('purge-saml-records')).toMatchObject({
        status: 'done',
        result: { requests: 1, assertions: 1 },
      });
    });

    it("are part of the user's export", async () => {
      await memberConfirmsThroughSso();
      const res = await t.http.get('/me/export').set(bearer(member.token)).expect(200);
      expect(res.body.ssoIdentities).toEqual([
        {
          providerId,
          domain: DOMAIN,
          nameId: 'bob-name-id',
          createdAt: expect.any(String),
          lastLoginAt: expect.any(String),
        },
      ]);
    });
  });

  describe('DELETE /orgs/:id/sso/saml', () => {
    it('needs an owner with a recent step-up', async () => {
      expect((await t.http.delete(path()).set(bearer(owner.token)).expect(403)).body.error).toBe('step_up_required');
      await stepUp(admin);
      expect((await t.http.delete(path()).set(bearer(admin.token)).expect(403)).body.error).toBe('insufficient_role');
      await stepUp(outsider);
      expect((await t.http.delete(path()).set(bearer(outsider.token)).expect(404)).body.error).toBe('not_found');
    });

    it('removes the provider; its users keep their accounts, no longer tied to it', async () => {
      await t.dataSource.query('UPDATE users SET sso_provider_id = $1 WHERE id = ANY($2::uuid[])', [
        providerId,
        [member.id, admin.id],
      ]);
      const me = actingAs(t, member);
      expect((await me.get('/me').expect(200)).body.ssoProviderId).toBe(providerId);

      await stepUp(owner);
      await t.http.delete(path()).set(bearer(owner.token)).expect(204);

      expect(await t.dataSource.query('SELECT id FROM users WHERE sso_provider_id IS NOT NULL')).toEqual([]);
      expect((await me.get('/me').expect(200)).body.ssoProviderId).toBeNull();
      expect(await t.dataSource.query('SELECT 1 FROM sso_identities WHERE provider_id = $1', [providerId])).toEqual([]);
      expect(await audit('sso.provider_deleted')).toEqual([
        { actor_id: owner.id, target: `org:${orgId}`, details: { providerId, domain: DOMAIN } },
      ]);

      await t.http.get(path()).set(bearer(owner.token)).expect(404);
      await t.http.get(`/auth/saml/${providerId}/metadata`).expect(404);
      expect((await t.http.post('/auth/sso/discover').send({ email: member.email }).expect(200)).body).toEqual({
        sso: false,
      });
      await logIn(t, member.email);
      await stepUp(owner);
      expect((await t.http.delete(path()).set(bearer(owner.token)).expect(404)).body.error).toBe('not_found');
    });
  });

  describe('enforcement beyond the members of the day', () => {
    const ENFORCED = 'enforced.test';

    it("ends the password access of the domain's accounts that are not members yet, and of an owner who steps down", async () => {
      const first = await signUpVerified(t, `first@${ENFORCED}`, undefined, 'First Owner');
      const second = await signUpVerified(t, `second@${ENFORCED}`, undefined, 'Second Owner');
      const joiner = await signUpVerified(t, `joiner@${ENFORCED}`, undefined, 'Later Joiner');
      const elsewhere = await signUpVerified(t, undefined, undefined, 'Other Domain');
      const enforcedOrg = (await t.http.post('/orgs').set(bearer(first.token)).send({ name: 'Enforcing' }).expect(201))
        .body.id;
      await addMember(t, enforcedOrg, first, second, 'owner');
      joiner.token = await confirmPassword(t, joiner.token);
      const joinerKey = (await createApiKey(t, joiner.token, 'joiner key')).key;

      first.token = await confirmPassword(t, first.token);
      const saved = await t.http
        .put(`/orgs/${enforcedOrg}/sso/saml`)
        .set(bearer(first.token))
        .send({ domain: ENFORCED, idpEntityId: IDP_ENTITY, idpSsoUrl: IDP_SSO, idpCert: idp.cert, enforce: true })
        .expect(200);
      dns.records.set(saved.body.domainVerificationRecord.name, [saved.body.domainVerificationRecord.value]);
      await t.http.post(`/orgs/${enforcedOrg}/sso/saml/verify-domain`).set(bearer(first.token)).expect(200);

      // Not a member: its password session and key end all the same, so it cannot join with them.
      expect((await t.http.get('/me').set(bearer(joiner.token)).expect(401)).body.error).toBe('session_expired');
      await t.http.get('/me').set(bearer(joinerKey)).expect(401);
      await t.mail.waitFor((m) => m.to === joiner.email && m.subject.includes('Sign in through'));
      // Owners keep theirs (break-glass), and an address of another domain is none of its business.
      await t.http.get('/me').set(bearer(second.token)).expect(200);
      await t.http.get('/me').set(bearer(elsewhere.token)).expect(200);

      // An owner demoted loses the break-glass: its password sessions end then.
      first.token = await confirmPassword(t, first.token);
      await t.http
        .patch(`/orgs/${enforcedOrg}/members/${second.id}`)
        .set(bearer(first.token))
        .send({ role: 'admin' })
        .expect(200);
      expect((await t.http.get('/me').set(bearer(second.token)).expect(401)).body.error).toBe('session_expired');
      const rows = await t.dataSource.query(
        `SELECT target FROM audit_log WHERE action = 'sso.enforced_sign_out' AND target = ANY($1::text[]) ORDER BY id`,
        [[`user:${joiner.id}`, `user:${second.id}`, `user:${first.id}`, `user:${elsewhere.id}`]],
      );
      expect(rows).toEqual([{ target: `user:${joiner.id}` }, { target: `user:${second.id}` }]);
    });

    it('ends the sessions a mailed link or a passkey signed in, as the domain no longer accepts either', async () => {
      const MAILED = 'mailed.test';
      const boss = await signUpVerified(t, `boss@${MAILED}`, undefined, 'Mailed Owner');
      const emailUser = `staff@${MAILED}`;
      const enforcedOrg = (await t.http.post('/orgs').set(bearer(boss.token)).send({ name: 'Mailed' }).expect(201)).body
        .id;
      // Signed in by a mailed link before enforcement: a passwordless account with an email session.
      await t.http.post('/auth/email/start').send({ email: emailUser }).expect(202);
      const [mail] = await t.mail.waitFor((m) => m.to === emailUser && m.subject.includes('Sign in'));
      const token = /sign-in\/email\?token=([A-Za-z0-9_-]+)/.exec(mail.text)![1];
      const mailed = (await t.http.post('/auth/email/verify').send({ token }).expect(200)).body;
      const staffId: string = mailed.user.id;
      const sessions = t.app.get(SessionsService);
      const client = { ip: '203.0.113.20', userAgent: 'test' };
      const passkeySession = await sessions.issue(mailed.user, client, 'passkey', { alertOnNewIp: false });
      const ssoSession = await sessions.issue(mailed.user, client, 'saml', { alertOnNewIp: false });

      boss.token = await confirmPassword(t, boss.token);
      const saved = await t.http
        .put(`/orgs/${enforcedOrg}/sso/saml`)
        .set(bearer(boss.token))
        .send({ domain: MAILED, idpEntityId: IDP_ENTITY, idpSsoUrl: IDP_SSO, idpCert: idp.cert, enforce: true })
        .expect(200);
      dns.records.set(saved.body.domainVerificationRecord.name, [saved.body.domainVerificationRecord.value]);
      await t.http.post(`/orgs/${enforcedOrg}/sso/saml/verify-domain`).set(bearer(boss.token)).expect(200);

      // Neither a link nor a passkey signs this account in any more: what they gave it ends too.
      for (const stale of [mailed.session.token, passkeySession.token]) {
        expect((await t.http.get('/me').set(bearer(stale)).expect(401)).body.error).toBe('session_expired');
      }
      await t.http.get('/me').set(bearer(ssoSession.token)).expect(200);
      const [row] = await t.dataSource.query(
        `SELECT details FROM audit_log WHERE action = 'sso.enforced_sign_out' AND target = $1`,
        [`user:${staffId}`],
      );
      expect(row.details).toMatchObject({ sessions: 2 });
    });
  });
});
