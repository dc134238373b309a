import { createHash } from 'node:crypto';
import { UserDataRegistry } from '../../../src/common/user-data';
import { MailDelivery } from '../../../src/mail';
import { PasskeysRepository } from '../../../src/passkeys/passkeys.repository';
import { PostgresSamlRequestStore } from '../../../src/sso/saml-request-store';
import { SsoIdentitiesService } from '../../../src/sso/sso-identities.service';
import { SsoRepository } from '../../../src/sso/sso.repository';
import { TaskRunner } from '../../../src/tasks';
import { createAdminKey } from '../../support/admin';
import { ScimRepository } from '../../../src/scim/scim.repository';
import { GROUP_SCHEMA, scimClient, scimToken } from '../../support/scim';
import { selfSigned } from '../../support/x509';
import { startTestApp, TestApp } from '../../support/test-app';
import { addMember, invite } from '../../support/orgs';
import {
  bearer,
  confirmPassword,
  createApiKey,
  enableTotp,
  logIn,
  PASSWORD,
  signUpVerified,
  verificationToken,
} from '../../support/users';

const DAY = 24 * 60 * 60_000;
const GRACE = 30 * DAY;
const NAME = 'Zyxwvut Qponml';
const SIGNUP_IP = '203.0.113.77';
const OTHER_IP = '198.51.100.77';

const from = (ip: string) => ({ 'X-Forwarded-For': ip });

/** Every table of the public schema the migrations create, but the migrations' own. */
async function publicTables(t: TestApp): Promise<string[]> {
  const rows: Array<{ table_name: string }> = await t.dataSource.query(
    `SELECT table_name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'migrations'
      ORDER BY table_name`,
  );
  return rows.map((r) => r.table_name);
}

/**
 * Every column of every table (but `migrations`) that holds one of the needles, compared
 * case-insensitively as text; bytea columns are searched for the needle's bytes as well.
 */
async function traces(t: TestApp, needles: string[]): Promise<string[]> {
  const columns: Array<{ table_name: string; column_name: string; data_type: string }> = await t.dataSource.query(
    `SELECT c.table_name, c.column_name, c.data_type
       FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.table_name <> 'migrations'
      ORDER BY c.table_name, c.ordinal_position`,
  );
  const found: string[] = [];
  for (const { table_name: table, column_name: column, data_type: type } of columns) {
    for (const needle of needles) {
      const asText = `position(lower($1) in lower("${column}"::text)) > 0`;
      const asBytes = `position(convert_to($1, 'UTF8') in "${column}") > 0 OR position(convert_to(lower($1), 'UTF8') in "${column}") > 0`;
      const [{ n }] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM "${table}" WHERE ${asText}${type === 'bytea' ? ` OR ${asBytes}` : ''}`,
        [needle],
      );
      if (n > 0) found.push(`${table}.${column} holds ${needle} (${n} rows)`);
    }
  }
  return found;
}

describe('deletion completeness', () => {
  let t: TestApp;
  beforeAll(async () => {
    // Behind a trusted proxy, so the user signs in "from" two addresses.
    // Webhooks go to a closed loopback port: the events are queued, and stay pending.
    t = await startTestApp({ env: { TRUST_PROXY: 'true', WEBHOOK_ALLOW_PRIVATE: 'true' } });
  });
  afterAll(() => t.close());

  it('leaves no trace of a purged user in any column of any table', async () => {
    const email = `zyxwvut.qponml.${Date.now().toString(36)}@example.com`;
    // The address the account had first, before it moved to `email`.
    const earlier = `onmlkji.earlier.${Date.now().toString(36)}@example.com`;

    // An operator registers an endpoint hearing about everything (it answers nothing: its deliveries wait).
    const operator = await createAdminKey(t, 'webhooks:write');
    await t.http
      .post('/admin/webhooks')
      .set(bearer(operator.key))
      .send({ url: 'http://127.0.0.1:1/hooks', events: ['*'] })
      .expect(201);

    // Signed up from one address, verified, signed in from another.
    const signup = await t.http
      .post('/auth/signup')
      .set(from(SIGNUP_IP))
      .send({ email: earlier, password: PASSWORD, name: NAME })
      .expect(201);
    const user = { id: signup.body.user.id as string, token: signup.body.session.token as string };
    await t.http
      .post('/auth/verify-email')
      .set(from(SIGNUP_IP))
      .send({ token: await verificationToken(t, earlier) })
      .expect(200);

    // Others write about the earlier address: an invitation to it (pending), a failed sign-in with it.
    const inviter = await signUpVerified(t, undefined, undefined, 'Ingrid Inviter');
    const formerOrg = (await t.http.post('/orgs').set(bearer(inviter.token)).send({ name: 'Before' }).expect(201)).body
      .id;
    await invite(t, formerOrg, inviter, earlier, 'member');
    await t.http.post('/auth/login').set(from(OTHER_IP)).send({ email: earlier, password: 'not it' }).expect(401);
    // The account moves to its current address.
    user.token = await confirmPassword(t, user.token);
    await t.http.post('/me/email').set(from(SIGNUP_IP)).set(bearer(user.token)).send({ email }).expect(200);
    await t.http
      .post('/auth/verify-email')
      .set(from(SIGNUP_IP))
      .send({ token: await verificationToken(t, email) })
      .expect(200);
    // Afterwards, someone asks for a reset of the earlier address (a counter keyed on it).
    await t.http.post('/auth/password/forgot').set(from(OTHER_IP)).send({ email: earlier }).expect(202);
    await logIn(t, email, { headers: from(OTHER_IP) });
    await t.mail.waitFor((m) => m.to === email && m.subject.includes('New sign-in'));

    // Rate-limit counters keyed on them: a failed login, a failed confirmation, a forgotten password.
    await t.http.post('/auth/login').set(from(OTHER_IP)).send({ email, password: 'not the password' }).expect(401);
    await t.http
      .post('/auth/confirm')
      .set(from(SIGNUP_IP))
      .set(bearer(user.token))
      .send({ password: 'not the password' })
      .expect(401);
    await t.http.post('/auth/password/forgot').set(from(SIGNUP_IP)).send({ email }).expect(202);
    await t.mail.waitFor((m) => m.to === email && m.subject.includes('Reset'));

    // An API key, two-factor with recovery codes, a profile change.
    await createApiKey(t, user.token, 'completeness key');
    const { recoveryCodes } = await enableTotp(t, user.token);
    await t.http.patch('/me').set(from(SIGNUP_IP)).set(bearer(user.token)).send({ name: NAME }).expect(200);
    // A JWT for the product's backend: it makes the signing keys, and stores nothing about the user.
    await t.http.post('/auth/token').set(bearer(user.token)).expect(200);
    // The product's backend introspects the session with an operator's key (audited as the key's call).
    const introspector = await createAdminKey(t, 'sessions:introspect');
    await t.http.post('/auth/introspect').set(bearer(introspector.key)).send({ token: user.token }).expect(200);
    // Support looks the account up: an admin call, audited as naming it.
    const supportDesk = await createAdminKey(t, 'users:read');
    await t.http.get(`/admin/users/${user.id}`).set(bearer(supportDesk.key)).expect(200);

    // A passkey, stored as a registration stores it (the ceremony itself needs a browser: the
    // passkeys spec), and a step-up challenge of their session.
    await t.app.get(PasskeysRepository).insert({
      userId: user.id,
      credentialId: 'zyxwvut-credential',
      publicKey: Buffer.from('zyxwvut public key'),
      counter: 0,
      transports: ['internal'],
      backedUp: true,
      deviceType: 'multiDevice',
      name: `${NAME}'s phone`,
      createdAt: t.clock.now(),
    });
    await t.http.post('/auth/passkey/options').set(bearer(user.token)).expect(200);

    // An organization they own with another member, and a document they wrote.
    const member = await signUpVerified(t, undefined, undefined, 'Mark Member');
    const orgId = (
      await t.http.post('/orgs').set(from(SIGNUP_IP)).set(bearer(user.token)).send({ name: 'Shared Space' }).expect(201)
    ).body.id;
    await addMember(t, orgId, user, member);
    // An invitation they sent, and one to their address from another organization.
    await invite(t, orgId, user, `someone.else.${Date.now().toString(36)}@example.com`, 'member');
    const elsewhere = (await t.http.post('/orgs').set(bearer(member.token)).send({ name: 'Elsewhere' }).expect(201))
      .body.id;
    await invite(t, elsewhere, member, email, 'admin');
    await t.http
      .post(`/orgs/${orgId}/documents`)
      .set(bearer(user.token))
      .send({ title: 'Roadmap', body: 'What comes next.' })
      .expect(201);

    // The organization's SAML provider, an identity of the user at it (NameID: the address), an
    // AuthnRequest in flight and a used assertion id.
    const providerId = (
      await t.http
        .put(`/orgs/${orgId}/sso/saml`)
        .set(bearer(user.token))
        .send({
          domain: 'shared-space.test',
          idpEntityId: 'https://idp.shared-space.test',
          idpSsoUrl: 'https://idp.shared-space.test/sso',
          idpCert: selfSigned({ commonName: 'completeness-idp' }).cert,
          groupRoleMap: { Owners: 'owner' },
        })
        .expect(200)
    ).body.id;
    expect(await t.app.get(SsoIdentitiesService).link(providerId, email, user.id)).toBe(true);
    // Its SCIM directory (the domain verified, as DNS would): a token, the user as the directory
    // knows them (stored as provisioning stores a linked account), and a group holding them.
    await t.dataSource.query('UPDATE saml_providers SET domain_verified_at = $2 WHERE id = $1', [
      providerId,
      t.clock.now(),
    ]);
    const directory = scimClient(t, await scimToken(t, orgId, user));
    const provisioned = await t.app.get(ScimRepository).insertUser({
      orgId,
      userId: user.id,
      externalId: 'zyxwvut-directory-id',
      givenName: 'Zyxwvut',
      familyName: 'Qponml',
      active: true,
      createdAt: t.clock.now(),
    });
    await directory
      .post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Owners', members: [{ value: provisioned!.id }] })
      .expect(201);
    // The stores a login redirect and an ACS post use.
    const now = t.clock.now();
    const expiresAt = new Date(now.getTime() + 600_000);
    const repository = t.app.get(SsoRepository);
    const clock = () => t.clock.now();
    const context = { bindingHash: Buffer.alloc(32, 9), returnTo: null, forceAuthn: false, stepUpSessionId: null };
    await new PostgresSamlRequestStore(repository, providerId, clock, { context }).save(
      '_request',
      now.toISOString(),
      expiresAt,
    );
    const acs = new PostgresSamlRequestStore(repository, providerId, clock);
    expect(await acs.recordAssertion('_assertion', expiresAt)).toBe(true);
    // The other organization's OIDC connection (its discovery as stored) and an authorization request in flight.
    const oidc = await repository.saveOidcConnection(
      {
        orgId: elsewhere,
        domain: 'elsewhere-oidc.test',
        groupsAttribute: 'groups',
        groupRoleMap: {},
        defaultRole: 'member',
        enforce: false,
        issuer: 'https://op.elsewhere-oidc.test',
        clientId: 'client',
        clientSecret: Buffer.alloc(40, 3),
        scopes: ['openid'],
        metadata: { issuer: 'https://op.elsewhere-oidc.test' },
        jwks: { keys: [] },
        jwksFetchedAt: now,
      },
      'token',
      now,
    );
    if (!oidc || oidc === 'other_protocol') throw new Error('no OIDC connection');
    await repository.insertOidcRequest({
      providerId: oidc.connection.id,
      stateHash: Buffer.alloc(32, 1),
      bindingHash: Buffer.alloc(32, 2),
      nonce: 'nonce',
      codeVerifier: 'verifier',
      returnTo: null,
      stepUpSessionId: null,
      createdAt: now,
      expiresAt,
    });

    // Sign-in links mailed to its address, and to the one it had before (which no account holds now)
    // at someone else's asking: what that someone sent from stays theirs.
    await t.http.post('/auth/email/start').set(from(OTHER_IP)).send({ email }).expect(202);
    await t.http.post('/auth/email/start').set(from('192.0.2.55')).send({ email: earlier }).expect(202);

    // A scheduler's tick claims its period (task_periods): about the deployment, not the account.
    await t.app.get(TaskRunner).runScheduled('purge-expired-sessions', new Date());

    // Rate-limit counters hold the first 22 base64url characters of the SHA-256 of what they count.
    const counterKey = (subject: string) => createHash('sha256').update(subject).digest('base64url').slice(0, 22);
    const needles = [
      user.id,
      email,
      earlier,
      NAME,
      'zyxwvut',
      'onmlkji',
      SIGNUP_IP,
      OTHER_IP,
      counterKey(email),
      counterKey(earlier),
      counterKey(user.id),
    ];

    // The scan finds them where they were put: it can see what it looks for.
    const before = new Set((await traces(t, needles)).map((trace) => trace.split('.')[0]));
    expect([...before].sort()).toEqual(
      expect.arrayContaining([
        'api_keys',
        'audit_log',
        'documents',
        'email_sign_in_codes',
        'known_ips',
        'org_invitations',
        'org_members',
        'passkeys',
        'password_reset_tokens',
        'rate_limits',
        'recovery_codes',
        'scim_users',
        'sessions',
        'sso_identities',
        'totp_factors',
        'users',
        'verification_tokens',
        'webhook_events',
      ]),
    );
    for (const table of await publicTables(t)) {
      const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM "${table}"`);
      expect({ table, filled: n > 0 }).toEqual({ table, filled: true });
    }

    // Deleted, and purged once the grace period is over.
    // Two-factor is on: the confirmation takes the second factor too.
    user.token = await confirmPassword(t, user.token, PASSWORD, recoveryCodes[0]);
    await t.http.delete('/me').set(bearer(user.token)).expect(202);
    await t.mail.waitFor((m) => m.to === email && /delet/i.test(m.subject));
    t.clock.advance(GRACE + DAY);
    expect(await t.app.get(TaskRunner).run('purge-deleted-accounts')).toMatchObject({ status: 'done' });
    await t.app.get(MailDelivery).deliverDue();
    await t.mail.waitFor((m) => m.to === email && /delet/i.test(m.subject), 2);

    // What is left is the news of the deletion itself: `user.deleted`, carrying the account's id
    // alone, waits for its delivery (the endpoint is down), then goes a week after it settles.
    expect(await traces(t, needles)).toEqual([
      `webhook_events.data holds ${user.id} (1 rows)`,
      `webhook_events.user_id holds ${user.id} (1 rows)`,
    ]);
    const [deleted] = await t.dataSource.query(
      `SELECT e.type, e.data, d.delivered_at, d.failed_at FROM webhook_events e
         JOIN webhook_deliveries d ON d.event_id = e.id WHERE e.user_id = $1`,
      [user.id],
    );
    expect(deleted).toEqual({ type: 'user.deleted', data: { userId: user.id }, delivered_at: null, failed_at: null });
    // The organization lives on with its other member as the owner.
    const [owner] = await t.dataSource.query(`SELECT user_id FROM org_members WHERE org_id = $1 AND role = 'owner'`, [
      orgId,
    ]);
    expect(owner).toEqual({ user_id: member.id });
    // Many steps, several argon2 hashes each: more than the default on a busy machine.
  }, 90_000);

  it('has a registered user-data handler claiming every table', async () => {
    const entries = t.app.get(UserDataRegistry).list();
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries) {
      expect(entry).toMatchObject({ tables: expect.any(Array), order: expect.any(Number) });
      expect(typeof entry.handler.erase).toBe('function');
    }

    const tables = await publicTables(t);
    const claimed = new Set(entries.flatMap((e) => e.tables));
    expect(tables.filter((table) => !claimed.has(table))).toEqual([]);
    // And no handler claims a table that does not exist.
    expect([...claimed].filter((table) => !tables.includes(table))).toEqual([]);
  });
});
