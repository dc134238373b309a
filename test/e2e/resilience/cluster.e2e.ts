import { randomBytes } from 'node:crypto';
import { createServer, request, Server as HttpServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '../../support/database';
import { assertBuilt, freePort, runNode, Server, startServer } from '../../support/processes';
import { SCIM_JSON, USER_SCHEMA } from '../../support/scim';
import { SmtpCapture } from '../../support/smtp';
import { TEST_ENCRYPTION_KEY } from '../../support/test-app';
import { startTxtDnsServer, TxtDnsServer } from '../../support/txt-dns-server';
import { PASSWORD } from '../../support/users';
import { WebhookReceiver } from '../../support/webhook-receiver';
import { selfSigned } from '../../support/x509';

const INSTANCES = 3;
/**
 * Client addresses of this run's own: the Redis store (when the machine has one) outlives a run, and
 * its per-address limits with it.
 */
const RUN = randomBytes(2);
const address = (i: number) => `10.${RUN[0]}.${RUN[1]}.${i}`;

interface Answer {
  status: number;
  headers: Record<string, string>;
  /** The parts of the answers read here. */
  body: {
    session: { token: string };
    id: string;
    error?: string;
    token: string;
    domainVerificationRecord: { name: string; value: string };
  };
  /** The instance that answered (its index), when the request went through the proxy. */
  instance?: number;
}

/**
 * A round-robin proxy in front of the instances, as a load balancer would be: each request goes to
 * the next instance, whatever the client. It names the instance that answered in a header.
 */
async function roundRobin(ports: number[]): Promise<{ url: string; server: HttpServer }> {
  let next = 0;
  const server = createServer((incoming, outgoing) => {
    const instance = next++ % ports.length;
    const upstream = request(
      {
        host: '127.0.0.1',
        port: ports[instance],
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, { ...answer.headers, 'x-instance': String(instance) });
        answer.pipe(outgoing);
      },
    );
    upstream.on('error', () => outgoing.writeHead(502).end());
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/**
 * Several instances of the built service on one PostgreSQL (and one Redis when the machine has
 * one), behind a round-robin proxy: what one instance writes, every other sees at once, the limits
 * are the cluster's, and each queued mail is sent once.
 */
describe('a cluster of instances on one database', () => {
  let database: TestDatabase;
  let smtp: SmtpCapture;
  let dns: TxtDnsServer;
  let receiver: WebhookReceiver;
  let proxy: { url: string; server: HttpServer };
  const servers: Server[] = [];
  const ports: number[] = [];
  const answers: Answer[] = [];

  const call = async (
    base: string,
    method: string,
    path: string,
    {
      token,
      body,
      from = address(250),
      type = 'application/json',
    }: { token?: string; body?: unknown; from?: string; type?: string } = {},
  ): Promise<Answer> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': type }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        // The client's address as the load balancer forwards it (TRUST_PROXY=1).
        'x-forwarded-for': from,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const headers: Record<string, string> = {};
    res.headers.forEach((value, name) => (headers[name] = value));
    const instance = headers['x-instance'] === undefined ? undefined : Number(headers['x-instance']);
    const answer = { status: res.status, headers, body: text ? JSON.parse(text) : undefined, instance };
    answers.push(answer);
    return answer;
  };
  /** Through the proxy: whichever instance is next. */
  const viaProxy = (
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; from?: string; type?: string },
  ) => call(proxy.url, method, path, options);
  /** Straight to one instance. */
  const at = (
    instance: number,
    method: string,
    path: string,
    options?: { token?: string; body?: unknown; from?: string },
  ) => call(`http://127.0.0.1:${ports[instance]}`, method, path, options);
  const onEveryInstance = (method: string, path: string, options?: { token?: string }) =>
    Promise.all(ports.map((_, instance) => at(instance, method, path, options)));

  const linkToken = (text: string, path: string) => {
    const match = new RegExp(`${path}\\?token=([A-Za-z0-9_-]+)`).exec(text);
    if (!match) throw new Error(`no ${path} link in: ${text}`);
    return match[1];
  };

  beforeAll(async () => {
    assertBuilt();
    database = await createTestDatabase();
    smtp = await SmtpCapture.start();
    dns = await startTxtDnsServer();
    receiver = await WebhookReceiver.start();
    for (let i = 0; i < INSTANCES; i++) ports.push(await freePort());
    proxy = await roundRobin(ports);
    const env = {
      DATABASE_URL: database.url,
      SMTP_URL: smtp.url,
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      APP_URL: proxy.url,
      TASKS_ENABLED: 'true',
      TRUST_PROXY: '1',
      DNS_SERVERS: `127.0.0.1:${dns.port}`,
      WEBHOOK_ALLOW_PRIVATE: 'true',
      LOG_LEVEL: 'warn',
      ...(process.env.TEST_REDIS_URL ? { REDIS_URL: process.env.TEST_REDIS_URL } : {}),
    };
    // Started together, as a deployment rolls them out: each migrates or finds the schema migrated.
    servers.push(...(await Promise.all(ports.map((port) => startServer(env, port)))));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await new Promise((resolve) => proxy.server.close(resolve));
    await smtp.down();
    await dns.close();
    await receiver.close();
    await database.drop();
  });

  it('serves a mixed workload from any instance: sessions, limits, rotation, revocation, mail and webhooks hold', async () => {
    // The product subscribes to every event, with an operator's key made on the command line.
    const created = await runNode(
      'cli.js',
      ['admin', 'keys:create', '--name', 'cluster', '--scopes', 'webhooks:write'],
      { DATABASE_URL: database.url, ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, LOG_LEVEL: 'silent' },
    );
    expect(created.code).toBe(0);
    const adminKey = JSON.parse(created.stdout).key as string;
    const endpoint = await viaProxy('POST', '/admin/webhooks', {
      token: adminKey,
      body: { url: receiver.url(), events: ['*'] },
    });
    expect(endpoint.status).toBe(201);

    // Signups at once, spread over the instances; each mails one verification.
    const emails = Array.from({ length: 9 }, (_, i) => `cluster${i}-${Date.now().toString(36)}@example.com`);
    const signups = await Promise.all(
      emails.map((email, i) =>
        viaProxy('POST', '/auth/signup', { body: { email, password: PASSWORD }, from: address(i) }),
      ),
    );
    expect(signups.map((answer) => answer.status)).toEqual(emails.map(() => 201));
    expect(new Set(signups.map((answer) => answer.instance)).size).toBe(INSTANCES);
    const tokens = signups.map((answer) => answer.body.session.token as string);

    // A session made on one instance works on every other.
    for (const token of tokens.slice(0, 3)) {
      expect((await onEveryInstance('GET', '/me', { token })).map((answer) => answer.status)).toEqual([200, 200, 200]);
    }

    const verifications = await smtp.waitFor((mail) => mail.subject.includes('Verify'), emails.length);
    const verified = await Promise.all(
      emails.map((email) => {
        const mail = verifications.find((m) => m.to === email)!;
        return viaProxy('POST', '/auth/verify-email', { body: { token: linkToken(mail.text, '/verify-email') } });
      }),
    );
    expect(verified.map((answer) => answer.status)).toEqual(emails.map(() => 200));

    // The per-account failure limit is the cluster's: ten failures anywhere (from addresses the
    // account never signed in from), the eleventh is refused wherever it lands.
    const [target] = emails;
    for (let i = 0; i < 10; i++) {
      const body = { email: target, password: `Wrong-${i}-guess!` };
      const failed = await viaProxy('POST', '/auth/login', { body, from: address(100 + i) });
      expect(failed.status).toBe(401);
    }
    const refused = await Promise.all(
      ports.map((_, instance) =>
        at(instance, 'POST', '/auth/login', {
          body: { email: target, password: 'Wrong-again-guess!' },
          from: address(200 + instance),
        }),
      ),
    );
    expect(refused.map((answer) => answer.status)).toEqual([429, 429, 429]);

    // Concurrent traffic of every kind: reads, logins (some failing), confirmations, logouts, an
    // organization with invitations.
    const [, second, third, , fifth] = tokens;
    const invitees = [1, 2, 3].map((i) => `invitee${i}-${Date.now().toString(36)}@example.com`);
    const org = await viaProxy('POST', '/orgs', { token: fifth, body: { name: 'Cluster Org' } });
    expect(org.status).toBe(201);
    const mixed = await Promise.all([
      ...tokens.slice(5).flatMap((token) => Array.from({ length: 10 }, () => viaProxy('GET', '/me', { token }))),
      ...emails
        .slice(5)
        .map((email, i) =>
          viaProxy('POST', '/auth/login', { body: { email, password: i % 2 ? PASSWORD : 'Nope-nope-1!' } }),
        ),
      viaProxy('POST', '/auth/confirm', { token: second, body: { password: PASSWORD } }),
      viaProxy('POST', '/auth/logout', { token: third }),
      ...invitees.map((email) =>
        viaProxy('POST', `/orgs/${org.body.id}/invitations`, { token: fifth, body: { email, role: 'member' } }),
      ),
    ]);
    expect(mixed.filter((answer) => answer.status >= 500)).toEqual([]);

    // Rotation and revocation are seen by every instance at once.
    const confirmed = mixed.find((answer) => answer.headers['x-session-token']);
    expect(confirmed).toBeDefined();
    const rotated = confirmed!.headers['x-session-token'];
    expect((await onEveryInstance('GET', '/me', { token: rotated })).map((answer) => answer.status)).toEqual([
      200, 200, 200,
    ]);
    const loggedOut = await onEveryInstance('GET', '/me', { token: third });
    expect(loggedOut.map((answer) => [answer.status, answer.body.error])).toEqual(
      ports.map(() => [401, 'session_expired']),
    );

    // An organization's directory provisions and deactivates people through any instance.
    const domain = `cluster-${RUN.toString('hex')}.test`;
    const sso = await viaProxy('PUT', `/orgs/${org.body.id}/sso/saml`, {
      token: fifth,
      body: {
        domain,
        idpEntityId: `https://idp.${domain}/metadata`,
        idpSsoUrl: `https://idp.${domain}/sso`,
        idpCert: selfSigned({ commonName: `${domain}-idp` }).cert,
      },
    });
    expect(sso.status).toBe(200);
    const record = sso.body.domainVerificationRecord;
    dns.records.set(record.name, [record.value]);
    expect((await viaProxy('POST', `/orgs/${org.body.id}/sso/saml/verify-domain`, { token: fifth })).status).toBe(200);
    const scimToken = (
      await viaProxy('POST', `/orgs/${org.body.id}/scim/tokens`, { token: fifth, body: { name: 'IdP' } })
    ).body.token;
    const scim = (method: string, path: string, body?: unknown) =>
      viaProxy(method, `/scim/v2${path}`, { token: scimToken, body, type: SCIM_JSON });
    const people = Array.from({ length: 6 }, (_, i) => `person${i}@${domain}`);
    const provisioned = await Promise.all(
      people.map((userName) =>
        scim('POST', '/Users', {
          schemas: [USER_SCHEMA],
          userName,
          emails: [{ value: userName, primary: true }],
          active: true,
        }),
      ),
    );
    expect(provisioned.map((answer) => answer.status)).toEqual(people.map(() => 201));
    const deactivated = await Promise.all(
      provisioned.slice(0, 3).map((answer) =>
        scim('PATCH', `/Users/${answer.body.id}`, {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
          Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
        }),
      ),
    );
    expect(deactivated.map((answer) => answer.status)).toEqual([200, 200, 200]);

    // Every queued mail was sent once, though three relays and three schedulers could each send it.
    await smtp.waitFor((mail) => mail.subject.toLowerCase().includes('invit'), invitees.length);
    // Once no mail has come for 1.5 s (a relay sends within a second of commit), none came twice.
    for (let seen = -1; seen !== smtp.messages.length;) {
      seen = smtp.messages.length;
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
    const sent = smtp.messages.map((mail) => `${mail.to} ${mail.subject}`);
    expect(sent.filter((line, index) => sent.indexOf(line) !== index)).toEqual([]);
    for (const email of invitees) expect(smtp.messages.filter((mail) => mail.to === email)).toHaveLength(1);

    // Every webhook was delivered, each once: as many requests as deliveries, no id twice.
    const db = new Client({ connectionString: database.url });
    await db.connect();
    const pending = async () =>
      Number((await db.query('SELECT count(*) AS n FROM webhook_deliveries WHERE delivered_at IS NULL')).rows[0].n);
    for (let i = 0; i < 100 && (await pending()) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    const delivered = Number(
      (await db.query('SELECT count(*) AS n FROM webhook_deliveries WHERE delivered_at IS NOT NULL')).rows[0].n,
    );
    const undelivered = await pending();
    await db.end();
    expect(undelivered).toBe(0);
    const ids = receiver.received.map((request) => request.headers['webhook-id']);
    expect(ids.filter((id, index) => ids.indexOf(id) !== index)).toEqual([]);
    expect(ids).toHaveLength(delivered);
    const types = receiver.received.map((request) => (JSON.parse(request.body) as { type: string }).type);
    expect([...new Set(types)]).toEqual(
      expect.arrayContaining([
        'user.created',
        'user.email_verified',
        'session.created',
        'session.revoked',
        'user.suspended',
        'org.member_added',
      ]),
    );

    // Nothing anywhere answered 5xx.
    expect(answers.filter((answer) => answer.status >= 500)).toEqual([]);
  }, 120_000);
});
