import { randomBytes } from 'node:crypto';
import type { ClientInfo } from '../../../src/common/client-info';
import { OrganizationsService } from '../../../src/organizations/organizations.service';
import { SessionsService } from '../../../src/sessions/sessions.service';
import { SamlStrategy } from '../../../src/sso/saml.strategy';
import { addMember } from '../../support/orgs';
import { NAMEID_FORMAT, readAuthnRequest, TestIdp } from '../../support/saml-idp';
import { samlDriver } from '../../support/saml-strategy';
import { startTestApp, TestApp } from '../../support/test-app';
import { totpCode } from '../../support/totp';
import { startTxtDnsServer, TxtDnsServer } from '../../support/txt-dns-server';
import {
  actingAs,
  bearer,
  confirmPassword,
  createApiKey,
  enableTotp,
  logIn,
  signUpVerified,
  SignedUp,
} from '../../support/users';
import { SoftAuthenticator } from '../../support/soft-authenticator';
import { selfSigned } from '../../support/x509';

const CLIENT: ClientInfo = { ip: '203.0.113.9', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' };
const ENROLL_URLS = ['/me/2fa/totp/setup', '/me/passkeys/options'];
const TOTP_STEP_MS = 30_000;

type Res = { status: number; body: Record<string, unknown> };

function expectEnrollmentRequired(res: Res, status = 403): void {
  expect({ status: res.status, body: res.body }).toEqual({
    status,
    body: {
      statusCode: status,
      error: 'mfa_enrollment_required',
      message: expect.any(String),
      enrollUrls: ENROLL_URLS,
    },
  });
}

function expectMfaRequired(res: Res, methods: string[]): void {
  expect({ status: res.status, body: res.body }).toEqual({
    status: 403,
    body: {
      statusCode: 403,
      error: 'mfa_required',
      message: expect.stringContaining('POST /auth/confirm'),
      confirmUrl: '/auth/confirm',
      methods,
    },
  });
}

describe('organization security policy: require MFA', () => {
  let t: TestApp;
  let owner: SignedUp & { secret?: string };
  /** A member without any second factor. */
  let plain: SignedUp;
  /** A member with TOTP, whose signup session proved no second factor. */
  let totpUser: SignedUp & { secret?: string };
  let outsider: SignedUp;
  let orgId: string;
  /** Another organization, without the rule, of which `plain` is a member. */
  let otherOrgId: string;

  const get = (user: { token: string }, path: string) => t.http.get(path).set(bearer(user.token));
  const setPolicy = (user: { token: string }, id: string, requireMfa: boolean) =>
    t.http.patch(`/orgs/${id}/policy`).set(bearer(user.token)).send({ requireMfa });
  /** A fresh TOTP code for the user: the clock moves a step on, since a code is accepted once. */
  const freshCode = (secret: string) => {
    t.clock.advance(TOTP_STEP_MS);
    return totpCode(secret, t.clock);
  };
  const confirmTotp = async (user: { token: string }, secret: string) => {
    const res = await t.http
      .post('/auth/confirm')
      .set(bearer(user.token))
      .send({ totpCode: freshCode(secret) })
      .expect(200);
    return res.body.session.token as string;
  };

  beforeAll(async () => {
    t = await startTestApp();
    owner = await signUpVerified(t, undefined, undefined, 'Olga Owner');
    plain = await signUpVerified(t, undefined, undefined, 'Paul Plain');
    totpUser = await signUpVerified(t, undefined, undefined, 'Tina Totp');
    outsider = await signUpVerified(t);
    orgId = (await t.http.post('/orgs').set(bearer(owner.token)).send({ name: 'Strict' }).expect(201)).body.id;
    await addMember(t, orgId, owner, plain);
    await addMember(t, orgId, owner, totpUser);
    otherOrgId = (await t.http.post('/orgs').set(bearer(plain.token)).send({ name: 'Lax' }).expect(201)).body.id;
    totpUser.secret = (await enableTotp(t, totpUser.token)).secret;
  });
  afterAll(() => t.close());

  it('costs other routes nothing, and an organization route without the rule one policy query', async () => {
    const policyQuery = jest.spyOn(t.app.get(OrganizationsService), 'requiresMfaOf');
    const sessionQuery = jest.spyOn(t.app.get(SessionsService), 'authenticationOf');
    try {
      await get(plain, '/me').expect(200);
      await get(plain, '/orgs').expect(200);
      await get(plain, '/me/sessions').expect(200);
      expect([policyQuery.mock.calls.length, sessionQuery.mock.calls.length]).toEqual([0, 0]);
      await get(plain, `/orgs/${orgId}/documents`).expect(200);
      expect([policyQuery.mock.calls, sessionQuery.mock.calls.length]).toEqual([[[orgId, plain.id]], 0]);
    } finally {
      policyQuery.mockRestore();
      sessionQuery.mockRestore();
    }
  });

  it('is off by default and readable by members only', async () => {
    expect((await get(plain, `/orgs/${orgId}/policy`).expect(200)).body).toEqual({ requireMfa: false });
    expect((await get(outsider, `/orgs/${orgId}/policy`).expect(404)).body.error).toBe('not_found');
  });

  it('is set by owners only, after a step-up, and not by an owner without a second factor (409)', async () => {
    expect((await setPolicy(plain, orgId, true).expect(403)).body.error).toBe('insufficient_role');
    expect((await setPolicy(outsider, orgId, true).expect(404)).body.error).toBe('not_found');
    expectEnrollmentRequired(await setPolicy(owner, orgId, true), 409);
    expect((await get(owner, `/orgs/${orgId}/policy`).expect(200)).body).toEqual({ requireMfa: false });
    t.clock.advance(5 * 60_000 + 1000);
    expect((await setPolicy(owner, orgId, true).expect(403)).body.error).toBe('step_up_required');
    expect(await t.dataSource.query(`SELECT 1 FROM audit_log WHERE action = 'org.policy_changed'`)).toEqual([]);
  });

  it('is turned on by an owner with a second factor, audited, and asks the owner’s own session for it', async () => {
    owner.token = await confirmPassword(t, owner.token);
    owner.secret = (await enableTotp(t, owner.token)).secret;
    // The step-up of an account with TOTP takes the code: the owner's confirmation proves it.
    owner.token = await confirmTotp(owner, owner.secret);
    expect((await setPolicy(owner, orgId, true).expect(200)).body).toEqual({ requireMfa: true });
    expect((await get(plain, `/orgs/${orgId}/policy`).expect(200)).body).toEqual({ requireMfa: true });
    expect(
      await t.dataSource.query(
        `SELECT actor_id, target, details FROM audit_log WHERE action = 'org.policy_changed' ORDER BY id`,
      ),
    ).toEqual([{ actor_id: owner.id, target: `org:${orgId}`, details: { requireMfa: true } }]);
    await get(owner, `/orgs/${orgId}`).expect(200);
  });

  it('answers a member without a second factor mfa_enrollment_required on every /orgs/:id route', async () => {
    const routes: Array<() => Promise<Res>> = [
      () => get(plain, `/orgs/${orgId}`),
      () => get(plain, `/orgs/${orgId}/members`),
      () => get(plain, `/orgs/${orgId}/documents`),
      () => t.http.post(`/orgs/${orgId}/documents`).set(bearer(plain.token)).send({ title: 't', body: 'b' }),
      () => get(plain, `/orgs/${orgId}/invitations`),
      () => get(plain, `/orgs/${orgId}/sso/saml`),
      () => get(plain, `/orgs/${orgId}/sso/oidc`),
      () => t.http.delete(`/orgs/${orgId}/members/${plain.id}`).set(bearer(plain.token)),
    ];
    for (const route of routes) expectEnrollmentRequired(await route());
    // Still a member: leaving was refused too.
    expect((await get(owner, `/orgs/${orgId}/members`).expect(200)).body).toHaveLength(3);
  });

  it('leaves routes outside /orgs/:id, other organizations and non-members as they were', async () => {
    await get(plain, '/me').expect(200);
    expect((await get(plain, '/orgs').expect(200)).body.map((o: { id: string }) => o.id).sort()).toEqual(
      [orgId, otherOrgId].sort(),
    );
    await get(plain, `/orgs/${otherOrgId}`).expect(200);
    await get(plain, `/orgs/${otherOrgId}/members`).expect(200);
    // Whoever is not a member learns nothing of the rule: 404 as before.
    expect((await get(outsider, `/orgs/${orgId}`).expect(404)).body.error).toBe('not_found');
    expect((await get(plain, '/orgs/not-a-uuid').expect(404)).body.error).toBe('not_found');
  });

  it('answers a member with TOTP whose session proved none mfa_required, until a TOTP confirmation', async () => {
    expectMfaRequired(await get(totpUser, `/orgs/${orgId}`), ['totp']);
    const before = totpUser.token;
    totpUser.token = await confirmTotp(totpUser, totpUser.secret!);
    await get(totpUser, `/orgs/${orgId}`).expect(200);
    // The token the confirmation replaced keeps its session for the grace, never what it proved.
    expectMfaRequired(await get({ token: before }, `/orgs/${orgId}`), ['totp']);
    // Long after the step-up window, the session still counts: the rule asks for a factor, not a fresh one.
    t.clock.advance(10 * 60_000);
    await get(totpUser, `/orgs/${orgId}/members`).expect(200);
  });

  it('keeps the second factor through a rotation of the token (a role change by someone else)', async () => {
    owner.token = await confirmTotp(owner, owner.secret!);
    await t.http
      .patch(`/orgs/${orgId}/members/${totpUser.id}`)
      .set(bearer(owner.token))
      .send({ role: 'admin' })
      .expect(200);
    const as = actingAs(t, totpUser);
    const before = totpUser.token;
    await as.get(`/orgs/${orgId}`).expect(200);
    expect(totpUser.token).not.toBe(before);
    await as.get(`/orgs/${orgId}/invitations`).expect(200);
    // A password change rotates the token too (the old one dies at once): the session keeps its proof.
    totpUser.token = await confirmTotp(totpUser, totpUser.secret!);
    const changed = await t.http
      .post('/me/password')
      .set(bearer(totpUser.token))
      .send({ newPassword: 'Another-Horse-Battery-43' })
      .expect(200);
    totpUser.token = changed.body.session.token;
    await get(totpUser, `/orgs/${orgId}`).expect(200);
  });

  it('lets in a session signed in with the password and TOTP', async () => {
    const session = await logIn(t, totpUser.email, {
      password: 'Another-Horse-Battery-43',
      totpCode: freshCode(totpUser.secret!),
    });
    await get(session, `/orgs/${orgId}`).expect(200);
    const proof = await t.app.get(SessionsService).authenticationOf(session.sessionId);
    expect({ ...proof, amr: [...proof!.amr].sort() }).toEqual({
      amr: ['otp', 'pwd'],
      authenticatedAt: expect.any(Date),
      signedInAt: proof!.authenticatedAt,
      secondFactorAt: proof!.authenticatedAt,
      ssoConnectionId: null,
      currentToken: true,
    });
  });

  it('counts a passkey sign-in and a passkey confirmation (hwk), and lists mfaEnabled per member', async () => {
    const keyUser = await signUpVerified(t, undefined, undefined, 'Kim Key');
    owner.token = await confirmTotp(owner, owner.secret!);
    await addMember(t, orgId, owner, keyUser);
    expectEnrollmentRequired(await get(keyUser, `/orgs/${orgId}`));
    // A passkey, registered and used over HTTP with a software authenticator (real signatures).
    const authenticator = new SoftAuthenticator('http://localhost:3000');
    const creation = await t.http.post('/me/passkeys/options').set(bearer(keyUser.token)).expect(200);
    await t.http
      .post('/me/passkeys')
      .set(bearer(keyUser.token))
      .send({ challengeId: creation.body.challengeId, response: authenticator.create(creation.body.options) })
      .expect(201);
    expectMfaRequired(await get(keyUser, `/orgs/${orgId}`), ['passkey']);
    // A passkey sign-in proves two factors at once.
    const request = await t.http.post('/auth/passkey/options').send({}).expect(200);
    const signedIn = (
      await t.http
        .post('/auth/passkey/login')
        .send({ challengeId: request.body.challengeId, response: authenticator.get(request.body.options) })
        .expect(200)
    ).body.session as { token: string };
    await get(signedIn, `/orgs/${orgId}`).expect(200);
    // The signup session, confirmed with the passkey, counts too.
    const stepUp = await t.http.post('/auth/passkey/options').set(bearer(keyUser.token)).send({}).expect(200);
    const confirmed = await t.http
      .post('/auth/confirm')
      .set(bearer(keyUser.token))
      .send({ passkey: { challengeId: stepUp.body.challengeId, response: authenticator.get(stepUp.body.options) } })
      .expect(200);
    await get(confirmed.body.session, `/orgs/${orgId}`).expect(200);
    expect((await t.app.get(SessionsService).authenticationOf(keyUser.sessionId))!.amr).toEqual(['hwk', 'pwd']);

    const members = (await get(owner, `/orgs/${orgId}/members`).expect(200)).body as Array<Record<string, unknown>>;
    // Members who joined at the same moment come in id order: compared as a set.
    const byId = (a: unknown[], b: unknown[]) => String(a[0]).localeCompare(String(b[0]));
    expect(members.map((m) => [m.userId, m.mfaEnabled]).sort(byId)).toEqual(
      [
        [owner.id, true],
        [plain.id, false],
        [totpUser.id, true],
        [keyUser.id, true],
      ].sort(byId),
    );
    // Without the rule the listing says the same.
    expect(
      ((await get(plain, `/orgs/${otherOrgId}/members`).expect(200)).body as Array<Record<string, unknown>>).map(
        (m) => [m.userId, m.mfaEnabled],
      ),
    ).toEqual([[plain.id, false]]);
    // Removed, the member is no member: 404 as for anyone else, whatever the rule.
    owner.token = await confirmTotp(owner, owner.secret!);
    await t.http.delete(`/orgs/${orgId}/members/${keyUser.id}`).set(bearer(owner.token)).expect(204);
    expect((await get(signedIn, `/orgs/${orgId}`).expect(404)).body.error).toBe('not_found');
  });

  it('lets an API key through while its owner has a second factor, else mfa_enrollment_required', async () => {
    owner.token = await confirmTotp(owner, owner.secret!);
    const ownerKey = await createApiKey(t, owner.token);
    await t.http.get(`/orgs/${orgId}`).set(bearer(ownerKey.key)).expect(200);
    plain.token = await confirmPassword(t, plain.token);
    const plainKey = await createApiKey(t, plain.token);
    expectEnrollmentRequired(await t.http.get(`/orgs/${orgId}`).set(bearer(plainKey.key)));
    await t.http.get(`/orgs/${otherOrgId}`).set(bearer(plainKey.key)).expect(200);
    await t.http.get(`/orgs/${orgId}/policy`).set(bearer(plainKey.key)).expect(200);
  });

  it('refuses an API key made by a session that proved no second factor, even once its owner enrols one', async () => {
    const late = await signUpVerified(t, undefined, undefined, 'Lee Late');
    owner.token = await confirmTotp(owner, owner.secret!);
    await addMember(t, orgId, owner, late);
    // Made with the password alone (say by whoever learnt it), before the account had a second factor.
    late.token = await confirmPassword(t, late.token);
    const early = await createApiKey(t, late.token);
    expectEnrollmentRequired(await t.http.get(`/orgs/${orgId}`).set(bearer(early.key)));
    const { secret } = await enableTotp(t, late.token);
    // The account has a second factor now; the key never proved one.
    const refused = await t.http.get(`/orgs/${orgId}`).set(bearer(early.key)).expect(403);
    expect(refused.body.error).toBe('mfa_required');
    // Nor does a key made by a session that was only confirmed with the password before enrolling.
    const unproved = await createApiKey(t, late.token);
    expect((await t.http.get(`/orgs/${orgId}/members`).set(bearer(unproved.key)).expect(403)).body.error).toBe(
      'mfa_required',
    );
    // A key made by a session that proved the factor passes.
    late.token = await confirmTotp(late, secret);
    const proved = await createApiKey(t, late.token);
    await t.http.get(`/orgs/${orgId}`).set(bearer(proved.key)).expect(200);
    // Outside the rule the older keys work as before.
    await t.http.get(`/orgs/${orgId}/policy`).set(bearer(early.key)).expect(200);
  });

  it('asks a member who turns their second factor off to enrol again, whatever the session proved', async () => {
    await get(totpUser, `/orgs/${orgId}`).expect(200);
    totpUser.token = await confirmTotp(totpUser, totpUser.secret!);
    await t.http.delete('/me/2fa/totp').set(bearer(totpUser.token)).expect(204);
    expectEnrollmentRequired(await get(totpUser, `/orgs/${orgId}`));
    const members = (await get(owner, `/orgs/${orgId}/members`).expect(200)).body as Array<Record<string, unknown>>;
    expect(members.find((m) => m.userId === totpUser.id)!.mfaEnabled).toBe(false);
  });

  it('stays open for an owner to lift, even one who lost their own second factor; lifting it frees everyone', async () => {
    owner.token = await confirmTotp(owner, owner.secret!);
    await t.http.delete('/me/2fa/totp').set(bearer(owner.token)).expect(204);
    expectEnrollmentRequired(await get(owner, `/orgs/${orgId}`));
    expectEnrollmentRequired(await get(owner, `/orgs/${orgId}/invitations`));
    // Off is allowed (the step-up is now the password's); on again would not be.
    owner.token = await confirmPassword(t, owner.token);
    expect((await setPolicy(owner, orgId, false).expect(200)).body).toEqual({ requireMfa: false });
    await get(owner, `/orgs/${orgId}`).expect(200);
    await get(plain, `/orgs/${orgId}/members`).expect(200);
    await get(totpUser, `/orgs/${orgId}`).expect(200);
    expect(
      await t.dataSource.query(`SELECT details FROM audit_log WHERE action = 'org.policy_changed' ORDER BY id`),
    ).toEqual([{ details: { requireMfa: true } }, { details: { requireMfa: false } }]);
  });
});

describe('organization security policy: sessions of SSO connections', () => {
  let t: TestApp;
  let dns: TxtDnsServer;
  let login: ReturnType<typeof samlDriver>;
  let owner: SignedUp & { secret?: string };
  let orgId: string;
  let providerId: string;
  let idp: TestIdp;
  let acsUrl: string;
  let spEntityId: string;
  /** Another organization requiring MFA, without an SSO connection. */
  let otherOrgId: string;
  let otherOwner: SignedUp & { secret?: string };

  const get = (user: { token: string }, path: string) => t.http.get(path).set(bearer(user.token));
  const freshCode = (secret: string) => {
    t.clock.advance(30_000);
    return totpCode(secret, t.clock);
  };
  const confirmTotp = async (user: { token: string }, secret: string) =>
    (
      await t.http
        .post('/auth/confirm')
        .set(bearer(user.token))
        .send({ totpCode: freshCode(secret) })
        .expect(200)
    ).body.session.token as string;
  /**
   * A whole SAML sign-in of the address at the organization's IdP; answers the session. With
   * `stepUp`, the step-up login of that signed-in session instead (ForceAuthn, answered in it).
   */
  const ssoSignIn = async (nameId: string, email: string, stepUp?: { token: string; userId: string }) => {
    const bindingToken = randomBytes(32).toString('base64url');
    const current = stepUp && {
      kind: 'session' as const,
      ...(await t.app.get(SessionsService).authenticate(stepUp.token)),
    };
    const { redirectUrl } = await login.start(providerId, {
      bindingToken,
      ...(current ? { stepUpSession: { sessionId: current.session.id, userId: stepUp!.userId } } : {}),
    });
    const request = readAuthnRequest(redirectUrl);
    const response = idp.buildResponse({
      acsUrl,
      spEntityId,
      inResponseTo: request.id,
      nameId,
      nameIdFormat: NAMEID_FORMAT.persistent,
      attributes: { email },
      // The app's clock has moved on with the TOTP steps; the IdP authenticates at the app's now.
      authnInstant: t.clock.now(),
    });
    const { session } = await login.complete(providerId, response.base64, bindingToken, CLIENT, current);
    return session;
  };
  /** A sign-in by the code mailed to the address (POST /auth/email/start, /auth/email/verify). */
  const mailedSignIn = async (email: string): Promise<{ id: string; token: string }> => {
    await t.http.post('/auth/email/start').send({ email }).expect(202);
    const mails = await t.mail.waitFor((m) => m.to === email && m.subject.includes('Sign in'));
    const code = /\b(\d{6})\b/.exec(mails[mails.length - 1].text)![1];
    t.mail.messages.splice(t.mail.messages.indexOf(mails[mails.length - 1]), 1);
    return (await t.http.post('/auth/email/verify').send({ email, code }).expect(200)).body.session;
  };
  const ownerWithMfaOrg = async (name: string) => {
    const user: SignedUp & { secret?: string } = await signUpVerified(t, undefined, undefined, name);
    const id = (await t.http.post('/orgs').set(bearer(user.token)).send({ name }).expect(201)).body.id;
    user.secret = (await enableTotp(t, user.token)).secret;
    user.token = await confirmTotp(user, user.secret);
    await t.http.patch(`/orgs/${id}/policy`).set(bearer(user.token)).send({ requireMfa: true }).expect(200);
    return { user, id };
  };

  beforeAll(async () => {
    dns = await startTxtDnsServer();
    const sp = selfSigned({ commonName: 'authd-sp' });
    t = await startTestApp({
      env: { DNS_SERVERS: `127.0.0.1:${dns.port}`, SAML_SP_PRIVATE_KEY: sp.key, SAML_SP_CERT: sp.cert },
    });
    login = samlDriver(t.app.get(SamlStrategy));
    ({ user: owner, id: orgId } = await ownerWithMfaOrg('Sso Owner'));
    ({ user: otherOwner, id: otherOrgId } = await ownerWithMfaOrg('Other Owner'));
    idp = new TestIdp('https://idp.mfa-sso.test/metadata', 'https://idp.mfa-sso.test/sso');
    // The SSO routes are the organization's too: the owner's session proved TOTP.
    owner.token = await confirmTotp(owner, owner.secret!);
    const saved = await t.http
      .put(`/orgs/${orgId}/sso/saml`)
      .set(bearer(owner.token))
      .send({ domain: 'mfa-sso.test', idpMetadataXml: idp.metadataXml(), defaultRole: 'member' })
      .expect(200);
    const record = saved.body.domainVerificationRecord;
    dns.records.set(record.name, [record.value]);
    await t.http.post(`/orgs/${orgId}/sso/saml/verify-domain`).set(bearer(owner.token)).expect(200);
    providerId = saved.body.id;
    acsUrl = saved.body.acsUrl;
    spEntityId = saved.body.spEntityId;
  });
  afterAll(async () => {
    await t.close();
    await dns.close();
  });

  it('lets in a session of the organization’s own connection, which records the connection', async () => {
    const session = await ssoSignIn('emp-1', 'emp1@mfa-sso.test');
    await get(session, `/orgs/${orgId}`).expect(200);
    await get(session, `/orgs/${orgId}/documents`).expect(200);
    const proof = await t.app.get(SessionsService).authenticationOf(session.id);
    expect(proof).toMatchObject({ amr: ['sso'], ssoConnectionId: providerId, secondFactorAt: null });
  });

  it('does not count another organization’s SSO session for an organization requiring MFA', async () => {
    const session = await ssoSignIn('emp-2', 'emp2@mfa-sso.test');
    otherOwner.token = await confirmTotp(otherOwner, otherOwner.secret!);
    await addMember(t, otherOrgId, otherOwner, { token: session.token, email: 'emp2@mfa-sso.test' });
    expectEnrollmentRequired(await get(session, `/orgs/${otherOrgId}`));
    await get(session, `/orgs/${orgId}`).expect(200);
    // The same account in a session not from the IdP (a mailed code): its own organization asks for
    // the IdP again (its step-up is there), with where to go.
    const mailed = await mailedSignIn('emp2@mfa-sso.test');
    const res = await get(mailed, `/orgs/${orgId}`).expect(403);
    expect(res.body).toEqual({
      statusCode: 403,
      error: 'mfa_required',
      message: expect.stringContaining('ssoUrl'),
      confirmUrl: '/auth/confirm',
      methods: ['sso'],
      ssoUrl: `/auth/saml/${providerId}/login?stepUp=1`,
    });
  });

  it('counts an SSO confirmation for its connection’s organization only', async () => {
    const session = await ssoSignIn('emp-3', 'emp3@mfa-sso.test');
    const userId = (await get(session, '/me').expect(200)).body.id as string;
    const mailed = await mailedSignIn('emp3@mfa-sso.test');
    expect((await get(mailed, `/orgs/${orgId}`).expect(403)).body.error).toBe('mfa_required');
    // The step-up through the organization's IdP (the ssoUrl of the 403) confirms this very session.
    const confirmed = { session: await ssoSignIn('emp-3', 'emp3@mfa-sso.test', { token: mailed.token, userId }) };
    expect(confirmed.session.id).toBe(mailed.id);
    await get(confirmed.session, `/orgs/${orgId}`).expect(200);
    // For that connection's organization only.
    otherOwner.token = await confirmTotp(otherOwner, otherOwner.secret!);
    await addMember(t, otherOrgId, otherOwner, { token: confirmed.session.token, email: 'emp3@mfa-sso.test' });
    expectEnrollmentRequired(await get(confirmed.session, `/orgs/${otherOrgId}`));
    expect(await t.app.get(SessionsService).authenticationOf(mailed.id)).toMatchObject({
      amr: ['email', 'sso'],
      ssoConnectionId: providerId,
    });
    // Once the connection is gone, its sessions count for no organization.
    owner.token = await confirmTotp(owner, owner.secret!);
    await t.http.delete(`/orgs/${orgId}/sso/saml`).set(bearer(owner.token)).expect(204);
    expectEnrollmentRequired(await get(confirmed.session, `/orgs/${orgId}`));
  });
});
