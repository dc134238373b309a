import { randomBytes } from 'node:crypto';
import { createServer, request, Server as HttpServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { createTestDatabase, TestDatabase } from '../../support/database';
import { assertBuilt, freePort, Server, startServer } from '../../support/processes';
import { SmtpCapture } from '../../support/smtp';
import { TEST_ENCRYPTION_KEY } from '../../support/test-app';
import { PASSWORD } from '../../support/users';

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
  body: { session: { token: string }; id: string; error?: string };
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
  let proxy: { url: string; server: HttpServer };
  const servers: Server[] = [];
  const ports: number[] = [];
  const answers: Answer[] = [];

  const call = async (
    base: string,
    method: string,
    path: string,
    { token, body, from = address(250) }: { token?: string; body?: unknown; from?: string } = {},
  ): Promise<Answer> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
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
  const viaProxy = (method: string, path: string, options?: { token?: string; body?: unknown; from?: string }) =>
    call(proxy.url, method, path, options);
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
    for (let i = 0; i < INSTANCES; i++) ports.push(await freePort());
    proxy = await roundRobin(ports);
    const env = {
      DATABASE_URL: database.url,
      SMTP_URL: smtp.url,
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      APP_URL: proxy.url,
      TASKS_ENABLED: 'true',
      TRUST_PROXY: '1',
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
    await database.drop();
  });

  it('serves a mixed workload from any instance: sessions, limits, rotation, revocation and mail hold', async () => {
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

    // Nothing anywhere answered 5xx.
    expect(answers.filter((answer) => answer.status >= 500)).toEqual([]);
  }, 120_000);
});
