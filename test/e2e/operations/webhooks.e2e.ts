import { TransactionHost } from '../../../src/database/transactions';
import { TaskRunner } from '../../../src/tasks';
import { KEEP_EVENTS_MS, RETRY_FOR_MS, WebhookDeliveries } from '../../../src/webhooks/webhook-delivery.service';
import { CreatedWebhookEndpoint, WebhooksService } from '../../../src/webhooks/webhooks.service';
import { createAdminKey, TestAdminKey } from '../../support/admin';
import { createTestDatabase } from '../../support/database';
import { startTestApp, TestApp } from '../../support/test-app';
import {
  bearer,
  confirmPassword,
  PASSWORD,
  signUp,
  signUpVerified,
  uniqueEmail,
  verificationToken,
} from '../../support/users';
import { ReceivedWebhook, typeOf, WebhookReceiver } from '../../support/webhook-receiver';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

interface DeliveryRow {
  event_id: string;
  endpoint_id: string;
  type: string;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  failed_at: Date | null;
}

describe('webhooks', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  let webhooks: WebhooksService;
  let logs: string[];

  const deliveries = (): Promise<DeliveryRow[]> =>
    t.dataSource.query(
      `SELECT d.event_id, d.endpoint_id, e.type, d.attempts, d.last_status, d.last_error, d.delivered_at, d.failed_at
         FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id ORDER BY d.created_at, e.type`,
    );
  const runTask = () => t.app.get(TaskRunner).run('deliver-webhooks');
  const subscribe = (events: string[], url = receiver.url()) => webhooks.createEndpoint({ url, events });

  /** Waits until the rows satisfy `done` (the relay works on its own time). */
  async function waitForDeliveries(done: (rows: DeliveryRow[]) => boolean, timeoutMs = 5000): Promise<DeliveryRow[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await deliveries();
      if (done(rows)) return rows;
      if (Date.now() > deadline) throw new Error(`deliveries never settled: ${JSON.stringify(rows)}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  beforeEach(async () => {
    logs = [];
    receiver = await WebhookReceiver.start();
    t = await startTestApp({ env: { WEBHOOK_ALLOW_PRIVATE: 'true', LOG_LEVEL: 'info' }, logs });
    webhooks = t.app.get(WebhooksService);
  });
  afterEach(async () => {
    await t.close();
    await receiver.close();
  });

  it('delivers a committed change within a second, signed the Standard Webhooks way', async () => {
    const endpoint = await subscribe(['*']);
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
    const email = uniqueEmail('hooked');
    const committed = Date.now();
    const user = await signUp(t, email);
    const [created] = await receiver.waitFor((r) => typeOf(r) === 'user.created', 1, 1000);
    expect(created.receivedAt - committed).toBeLessThan(1000);

    const body = WebhookReceiver.verify(endpoint.secret, created);
    expect(body).toEqual({
      type: 'user.created',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      data: { userId: user.id, email, method: 'password' },
    });
    const [event] = await t.dataSource.query(`SELECT id FROM webhook_events WHERE type = 'user.created'`);
    expect(created.headers['webhook-id']).toBe(event.id);
    expect(created.headers['webhook-signature']).toMatch(/^v1,/);
    // Another secret does not verify it.
    const other = await subscribe(['user.created']);
    expect(() => WebhookReceiver.verify(other.secret, created)).toThrow();

    const [session] = await receiver.waitFor((r) => typeOf(r) === 'session.created');
    expect(WebhookReceiver.verify(endpoint.secret, session).data).toEqual({
      userId: user.id,
      sessionId: user.sessionId,
      method: 'password',
    });
    await waitForDeliveries((rows) => rows.every((r) => r.delivered_at !== null && r.attempts === 1));
  });

  it('retries an answer of 500 with the same webhook-id, and delivers once', async () => {
    const endpoint = await subscribe(['user.updated']);
    const user = await signUp(t);
    receiver.answer(500);
    await t.http.patch('/me').set(bearer(user.token)).send({ name: 'Renamed' }).expect(200);
    const [first] = await receiver.waitFor((r) => r.status === 500);
    const [failed] = await waitForDeliveries((rows) => rows.length === 1 && rows[0].last_status === 500);
    expect(failed).toMatchObject({ attempts: 1, delivered_at: null, failed_at: null, last_error: 'HTTP 500' });

    // Not due before its backoff.
    expect(await runTask()).toMatchObject({ result: { delivered: 0, failed: 0 } });
    t.clock.advance(30_000);
    expect(await runTask()).toMatchObject({ result: { delivered: 1, failed: 0 } });
    const [second] = receiver.received.slice(1);
    expect(second.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(WebhookReceiver.verify(endpoint.secret, second).data).toEqual({ userId: user.id, fields: ['name'] });
    // Delivered once: no later run sends it again.
    t.clock.advance(HOUR);
    expect(await runTask()).toMatchObject({ result: { delivered: 0, failed: 0 } });
    expect(receiver.received).toHaveLength(2);
    expect(await deliveries()).toEqual([expect.objectContaining({ attempts: 2, last_status: 204, failed_at: null })]);
  });

  it('does not follow a redirect: a 3xx is a failed attempt', async () => {
    await subscribe(['user.updated']);
    const user = await signUp(t);
    receiver.answer(302);
    await t.http.patch('/me').set(bearer(user.token)).send({ name: 'Moved' }).expect(200);
    const [row] = await waitForDeliveries((rows) => rows[0]?.last_status === 302);
    expect(row.delivered_at).toBeNull();
    expect(receiver.received).toHaveLength(1);
  });

  it('sends nothing for a change that rolled back', async () => {
    await subscribe(['*']);
    const txHost = t.app.get(TransactionHost);
    await expect(
      txHost.withTransaction(async () => {
        await webhooks.emit('user.updated', { userId: '00000000-0000-4000-8000-000000000001', fields: ['name'] });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    // A signup refused halfway (an address taken) sends nothing either.
    const user = await signUp(t);
    await receiver.waitFor((r) => ['user.created', 'session.created'].includes(typeOf(r)), 2);
    const before = receiver.received.length;
    await t.http.post('/auth/signup').send({ email: user.email, password: PASSWORD }).expect(409);
    await t.app.get(WebhookDeliveries).deliverDue();
    expect(receiver.received).toHaveLength(before);
    expect((await deliveries()).map((d) => d.type).sort()).toEqual(['session.created', 'user.created']);
  });

  it('sends each endpoint the types it subscribed to, and only what was queued after it was added', async () => {
    const user = await signUpVerified(t);
    const names = await subscribe(['user.updated']);
    const revocations = await WebhookReceiver.start();
    try {
      const sessions = await subscribe(['session.revoked'], revocations.url());
      await t.http.patch('/me').set(bearer(user.token)).send({ name: 'Filtered' }).expect(200);
      await t.http.post('/auth/logout').set(bearer(user.token)).expect(204);
      const [revoked] = await revocations.waitFor(() => true);
      expect(WebhookReceiver.verify(sessions.secret, revoked)).toMatchObject({
        type: 'session.revoked',
        data: { userId: user.id, sessionId: user.sessionId, reason: 'logout' },
      });
      const [updated] = await receiver.waitFor(() => true);
      expect(WebhookReceiver.verify(names.secret, updated).type).toBe('user.updated');
      await waitForDeliveries((rows) => rows.length === 2 && rows.every((r) => r.delivered_at));
      // Nothing before the endpoints existed (user.created, email_verified), nothing of other types.
      expect(receiver.received.map(typeOf)).toEqual(['user.updated']);
      expect(revocations.received.map(typeOf)).toEqual(['session.revoked']);
    } finally {
      await revocations.close();
    }
  });

  it('tells the changes of an account, each in its own words, and never a secret', async () => {
    const endpoint = await subscribe(['*']);
    const email = uniqueEmail('lifecycle');
    const user = await signUpVerified(t, email);
    const second = await t.http.post('/auth/login').send({ email, password: PASSWORD }).expect(200);
    let token = await confirmPassword(t, user.token);
    const newPassword = 'Another-Long-Passphrase-77';
    // The other session ends (session.revoked, password_changed); the password is news (user.updated).
    const changed = await t.http.post('/me/password').set(bearer(token)).send({ newPassword }).expect(200);
    token = changed.body.session.token;
    const third = await t.http.post('/auth/login').send({ email, password: newPassword }).expect(200);
    await t.http.delete('/me/sessions').set(bearer(token)).expect(200);
    token = await confirmPassword(t, token, newPassword);
    const org = await t.http.post('/orgs').set(bearer(token)).send({ name: 'Hooks Inc' }).expect(201);
    const moved = uniqueEmail('moved');
    await t.http.post('/me/email').set(bearer(token)).send({ email: moved }).expect(200);
    await t.http
      .post('/auth/verify-email')
      .send({ token: await verificationToken(t, moved) })
      .expect(200);
    await t.http.delete('/me').set(bearer(token)).expect(202);
    await t.http
      .post('/me/deletion/cancel')
      .set(bearer(token))
      .expect((res) => expect(res.status).toBeLessThan(300));

    const expected = [
      'user.created',
      'user.email_verified',
      'user.email_verified',
      'user.updated',
      'session.revoked',
      'session.revoked',
      'user.email_changed',
      'user.deletion_scheduled',
      'user.deletion_cancelled',
      'org.member_added',
    ];
    await receiver.waitFor((r) => expected.includes(typeOf(r)), expected.length);
    await waitForDeliveries((rows) => rows.every((r) => r.delivered_at !== null));
    const bodies = receiver.received.map((r) => WebhookReceiver.verify(endpoint.secret, r));
    const types = new Set(bodies.map((b) => b.type));
    for (const type of expected) expect(types.has(type)).toBe(true);
    expect(bodies.find((b) => b.type === 'user.email_changed')?.data).toEqual({ userId: user.id, email: moved });
    expect(bodies.filter((b) => b.type === 'user.email_verified').map((b) => b.data)).toEqual(
      expect.arrayContaining([
        { userId: user.id, email },
        { userId: user.id, email: moved },
      ]),
    );
    expect(bodies.find((b) => b.type === 'user.updated')?.data).toEqual({ userId: user.id, fields: ['password'] });
    expect(bodies.find((b) => b.type === 'org.member_added')?.data).toEqual({
      orgId: org.body.id,
      userId: user.id,
      role: 'owner',
    });
    const revocations = bodies.filter((b) => b.type === 'session.revoked').map((b) => b.data);
    expect(revocations).toHaveLength(2);
    expect(revocations).toEqual(
      expect.arrayContaining([
        { userId: user.id, count: 1, reason: 'password_changed' },
        { userId: user.id, count: 1, reason: 'signed_out_elsewhere' },
      ]),
    );
    expect(bodies.find((b) => b.type === 'user.deletion_scheduled')?.data).toEqual({
      userId: user.id,
      deletionScheduledFor: expect.stringMatching(/^\d{4}-/),
    });
    // Nothing secret in any of them: no password, no token, no signing secret.
    const everything = receiver.received.map((r) => `${JSON.stringify(r.headers)}${r.body}`).join('\n');
    for (const secret of [
      PASSWORD,
      newPassword,
      user.token,
      token,
      second.body.session.token,
      third.body.session.token,
    ]) {
      expect(everything).not.toContain(secret);
    }
    expect(everything).not.toContain(endpoint.secret.slice('whsec_'.length));
  });

  it('tells of an account made by an email sign-in, with its method', async () => {
    const endpoint = await subscribe(['user.created', 'session.created']);
    const email = uniqueEmail('mailed');
    await t.http.post('/auth/email/start').send({ email }).expect(202);
    const [mail] = await t.mail.waitFor((m) => m.to === email && m.subject.includes('Sign in'));
    const token = /sign-in\/email\?token=([A-Za-z0-9_-]+)/.exec(mail.text)![1];
    const signedIn = await t.http.post('/auth/email/verify').send({ token }).expect(200);
    await receiver.waitFor(() => true, 2);
    const bodies = receiver.received.map((r) => WebhookReceiver.verify(endpoint.secret, r));
    expect(bodies.find((b) => b.type === 'user.created')?.data).toEqual({
      userId: signedIn.body.user.id,
      email,
      method: 'email',
    });
    expect(bodies.find((b) => b.type === 'session.created')?.data).toMatchObject({ method: 'email' });
  });

  it('keeps the secret sealed at rest and lists endpoints without it', async () => {
    const endpoint = await subscribe(['user.created', 'user.deleted'], receiver.url('/a?b=c'));
    const [row] = await t.dataSource.query('SELECT secret FROM webhook_endpoints WHERE id = $1', [endpoint.id]);
    const stored = row.secret as Buffer;
    const key = Buffer.from(endpoint.secret.slice('whsec_'.length), 'base64');
    expect(stored.includes(Buffer.from(endpoint.secret))).toBe(false);
    expect(stored.includes(key)).toBe(false);
    expect(stored.toString('latin1')).not.toContain(endpoint.secret.slice('whsec_'.length));
    const listed = await webhooks.listEndpoints();
    expect(listed).toEqual([
      {
        id: endpoint.id,
        url: receiver.url('/a?b=c'),
        events: ['user.created', 'user.deleted'],
        description: null,
        createdAt: expect.any(Date),
      },
    ]);
    expect(JSON.stringify(listed)).not.toContain(endpoint.secret.slice(6));
  });

  it('refuses endpoints it cannot use: scheme, credentials, unknown types', async () => {
    const refused = async (url: string, events: string[] = ['*']) =>
      expect(webhooks.createEndpoint({ url, events })).rejects.toMatchObject({ code: 'validation_failed' });
    await refused('ftp://example.com/hooks');
    await refused('not a url');
    await refused(`http://user:pass@127.0.0.1:${receiver.port}/`);
    await refused(receiver.url(), []);
    await refused(receiver.url(), ['user.created', '*']);
    await refused(receiver.url(), ['user.nope']);
    await refused(receiver.url(), ['webhook.test']);
    expect(await webhooks.listEndpoints()).toEqual([]);
  });

  it('sends webhook.test to that endpoint alone, and forgets a deleted endpoint with its deliveries', async () => {
    const first = await subscribe(['*']);
    const elsewhere = await WebhookReceiver.start();
    try {
      await subscribe(['*'], elsewhere.url());
      const eventId = await webhooks.sendTest(first.id);
      const [test] = await receiver.waitFor(() => true);
      expect(test.headers['webhook-id']).toBe(eventId);
      expect(WebhookReceiver.verify(first.secret, test)).toMatchObject({
        type: 'webhook.test',
        data: { endpointId: first.id },
      });
      await expect(webhooks.sendTest('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({
        code: 'not_found',
      });
      await expect(webhooks.sendTest('nope')).rejects.toMatchObject({ code: 'not_found' });

      receiver.answer(500, 500, 500);
      await signUp(t);
      await receiver.waitFor((r) => r.status === 500);
      await webhooks.deleteEndpoint(first.id);
      await expect(webhooks.deleteEndpoint(first.id)).rejects.toMatchObject({ code: 'not_found' });
      expect((await deliveries()).filter((d) => d.endpoint_id === first.id)).toEqual([]);
      t.clock.advance(HOUR);
      await runTask();
      expect(receiver.received.filter((r) => typeOf(r) !== 'webhook.test').every((r) => r.status === 500)).toBe(true);
      await elsewhere.waitFor((r) => typeOf(r) === 'session.created');
      expect(elsewhere.received.map(typeOf)).not.toContain('webhook.test');
    } finally {
      await elsewhere.close();
    }
  });

  it('gives a delivery up after 24 hours of retries, marks it failed and logs it without the URL or body', async () => {
    await subscribe(['user.updated'], receiver.url('/hooks?token=url-secret'));
    const user = await signUp(t);
    receiver.answer(...new Array<number>(100).fill(503));
    await t.http.patch('/me').set(bearer(user.token)).send({ name: 'Unlucky Name' }).expect(200);
    await waitForDeliveries((rows) => rows[0]?.attempts === 1);
    const start = t.clock.now().getTime();
    // An hour at a time: retried all along, never given up before the 24 hours are over.
    while (t.clock.now().getTime() - start < RETRY_FOR_MS - HOUR) {
      t.clock.advance(HOUR);
      await runTask();
      const [row] = await deliveries();
      expect(row.failed_at).toBeNull();
    }
    const attemptsWithinADay = (await deliveries())[0].attempts;
    expect(attemptsWithinADay).toBeGreaterThan(5);
    t.clock.advance(2 * HOUR);
    await runTask();
    const [row] = await deliveries();
    expect(row.failed_at).not.toBeNull();
    expect(row).toMatchObject({ delivered_at: null, last_status: 503, last_error: 'HTTP 503' });
    // Given up: never tried again.
    const sent = receiver.received.length;
    t.clock.advance(HOUR);
    expect(await runTask()).toMatchObject({ result: { delivered: 0, failed: 0 } });
    expect(receiver.received).toHaveLength(sent);
    const givenUp = logs.filter((line) => line.includes('webhook given up'));
    expect(givenUp).toHaveLength(1);
    expect(JSON.parse(givenUp[0])).toMatchObject({ level: 'error', type: 'user.updated', status: 503 });
    const webhookLogs = logs.filter((line) => line.includes('"webhook'));
    expect(webhookLogs.length).toBeGreaterThan(5);
    for (const line of webhookLogs) {
      expect(line).not.toContain('url-secret');
      expect(line).not.toContain('Unlucky Name');
      expect(line).not.toContain('whsec_');
    }
    // A week on, the settled event and its delivery are cleared.
    t.clock.advance(KEEP_EVENTS_MS);
    expect(await runTask()).toMatchObject({ result: { pruned: 1 } });
    expect(await deliveries()).toEqual([]);
  });

  it('claims each delivery once across concurrent senders', async () => {
    await subscribe(['user.updated']);
    const txHost = t.app.get(TransactionHost);
    const sender = t.app.get(WebhookDeliveries);
    // Queued with the relay kept off its work: its notification comes on commit, as the three senders start.
    await txHost.withTransaction(async () => {
      for (let i = 0; i < 25; i++) {
        await webhooks.emit('user.updated', {
          userId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
          fields: ['name'],
        });
      }
    });
    await Promise.all([sender.deliverDue(), sender.deliverDue(), sender.deliverDue()]);
    await waitForDeliveries((rows) => rows.length === 25 && rows.every((r) => r.delivered_at !== null));
    const ids = receiver.received.map((r) => r.headers['webhook-id']);
    expect(ids).toHaveLength(25);
    expect(new Set(ids).size).toBe(25);
  });

  it('answers the backlog for the metrics', async () => {
    expect(await webhooks.backlog()).toEqual({ pending: 0, oldestAgeSeconds: 0 });
    await subscribe(['user.updated']);
    receiver.answer(500);
    const user = await signUp(t);
    await t.http.patch('/me').set(bearer(user.token)).send({ name: 'Waiting' }).expect(200);
    await waitForDeliveries((rows) => rows[0]?.last_status === 500);
    t.clock.advance(10_000);
    expect(await webhooks.backlog()).toEqual({ pending: 1, oldestAgeSeconds: 10 });
  });
});

describe('webhooks to private addresses', () => {
  let receiver: WebhookReceiver;
  beforeEach(async () => {
    receiver = await WebhookReceiver.start();
  });
  afterEach(() => receiver.close());

  it('are refused at save unless WEBHOOK_ALLOW_PRIVATE=true', async () => {
    const t = await startTestApp({ env: { WEBHOOK_ALLOW_PRIVATE: 'false' } });
    try {
      const webhooks = t.app.get(WebhooksService);
      for (const url of [
        receiver.url('/hooks', 'localhost'),
        receiver.url(),
        `http://[::1]:${receiver.port}/`,
        `http://[::ffff:127.0.0.1]:${receiver.port}/`,
        'http://169.254.169.254/latest/meta-data/',
        'http://10.1.2.3/',
        'http://100.64.0.1/',
        'http://0.0.0.0/',
      ]) {
        await expect(webhooks.createEndpoint({ url, events: ['*'] })).rejects.toMatchObject({
          code: 'validation_failed',
          extra: { details: [{ field: 'url', problems: [expect.stringContaining('WEBHOOK_ALLOW_PRIVATE')] }] },
        });
      }
      await expect(
        webhooks.createEndpoint({ url: 'http://no-such-host.invalid/', events: ['*'] }),
      ).rejects.toMatchObject({ code: 'validation_failed' });
      expect(await webhooks.listEndpoints()).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('are refused at delivery when the setting forbids them, even for an endpoint saved while allowed', async () => {
    const database = await createTestDatabase();
    let endpoint: CreatedWebhookEndpoint;
    const allowing = await startTestApp({ database, env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
    try {
      endpoint = await allowing.app.get(WebhooksService).createEndpoint({
        url: receiver.url('/hooks', 'localhost'),
        events: ['user.created'],
      });
    } finally {
      await allowing.close();
    }
    const forbidding = await startTestApp({ database, env: { WEBHOOK_ALLOW_PRIVATE: 'false' } });
    try {
      await signUp(forbidding);
      await forbidding.app.get(WebhookDeliveries).deliverDue();
      // The relay may hold the attempt: wait for its outcome.
      let row: { attempts: number; last_error: string | null; last_status: number | null; delivered_at: Date | null };
      const deadline = Date.now() + 5000;
      do {
        [row] = await forbidding.dataSource.query(
          'SELECT attempts, last_error, last_status, delivered_at FROM webhook_deliveries WHERE endpoint_id = $1',
          [endpoint.id],
        );
        if (row?.last_error || Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      } while (row.last_error === null);
      expect(row).toMatchObject({ last_status: null, delivered_at: null });
      expect(row.last_error).toContain('EWEBHOOKADDRESS');
      expect(receiver.received).toEqual([]);
    } finally {
      await forbidding.close();
      await database.drop();
    }
  });
});

describe('the admin webhook routes', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  let operator: TestAdminKey;

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    t = await startTestApp({ env: { WEBHOOK_ALLOW_PRIVATE: 'true' } });
    operator = await createAdminKey(t, 'webhooks:write,users:write');
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  it('register an endpoint (the secret shown once), list, test and delete it, each audited', async () => {
    const url = receiver.url('/hooks?token=private-part');
    const created = await t.http
      .post('/admin/webhooks')
      .set(bearer(operator.key))
      .send({ url, events: ['user.created', 'user.locked'], description: 'CRM sync' })
      .expect(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      url,
      events: ['user.created', 'user.locked'],
      description: 'CRM sync',
      createdAt: expect.any(String),
      secret: expect.stringMatching(/^whsec_/),
    });
    const { id, secret } = created.body as { id: string; secret: string };

    const listed = await t.http.get('/admin/webhooks').set(bearer(operator.key)).expect(200);
    expect(listed.headers['cache-control']).toBe('no-store');
    expect(listed.body).toEqual([
      { id, url, events: ['user.created', 'user.locked'], description: 'CRM sync', createdAt: created.body.createdAt },
    ]);
    expect(JSON.stringify(listed.body)).not.toContain(secret.slice(6));

    const tested = await t.http.post(`/admin/webhooks/${id}/test`).set(bearer(operator.key)).expect(202);
    const [test] = await receiver.waitFor((r) => typeOf(r) === 'webhook.test');
    expect(test.headers['webhook-id']).toBe(tested.body.eventId);
    expect(WebhookReceiver.verify(secret, test).data).toEqual({ endpointId: id });

    // A lock is news: user.locked to this endpoint (session.revoked is not subscribed).
    const user = await signUp(t);
    await receiver.waitFor((r) => typeOf(r) === 'user.created');
    await t.http.post(`/admin/users/${user.id}/lock`).set(bearer(operator.key)).send({ reason: 'test' }).expect(200);
    const [locked] = await receiver.waitFor((r) => typeOf(r) === 'user.locked');
    expect(WebhookReceiver.verify(secret, locked).data).toEqual({ userId: user.id });

    await t.http.delete(`/admin/webhooks/${id}`).set(bearer(operator.key)).expect(204);
    await t.http.delete(`/admin/webhooks/${id}`).set(bearer(operator.key)).expect(404);
    await t.http.post(`/admin/webhooks/${id}/test`).set(bearer(operator.key)).expect(404);
    await t.http.delete('/admin/webhooks/not-an-id').set(bearer(operator.key)).expect(404);
    expect((await t.http.get('/admin/webhooks').set(bearer(operator.key)).expect(200)).body).toEqual([]);

    const audit: Array<{ action: string; target: string; details: Record<string, unknown> }> = await t.dataSource.query(
      `SELECT action, target, details FROM audit_log WHERE action LIKE 'webhook.%' ORDER BY id`,
    );
    expect(audit.map((row) => [row.action, row.target])).toEqual([
      ['webhook.endpoint_created', `webhook:${id}`],
      ['webhook.test_sent', `webhook:${id}`],
      ['webhook.endpoint_deleted', `webhook:${id}`],
    ]);
    expect(audit[0].details).toMatchObject({ origin: `http://127.0.0.1:${receiver.port}`, adminKeyId: operator.id });
    expect(JSON.stringify(audit)).not.toContain('private-part');
    expect(JSON.stringify(audit)).not.toContain(secret.slice(6));
  });

  it('answer 400 for what cannot be an endpoint', async () => {
    const post = (body: object) => t.http.post('/admin/webhooks').set(bearer(operator.key)).send(body).expect(400);
    const problems = async (body: object) => (await post(body)).body.details.map((d: { field: string }) => d.field);
    expect(await problems({ url: 'ftp://example.com/', events: ['*'] })).toEqual(['url']);
    expect(await problems({ url: receiver.url(), events: [] })).toEqual(['events']);
    expect(await problems({ url: receiver.url(), events: ['user.nope'] })).toEqual(['events']);
    expect(await problems({ url: receiver.url(), events: ['*', 'user.created'] })).toEqual(['events']);
    expect(await problems({ url: receiver.url() })).toEqual(['events']);
    expect(await problems({ url: receiver.url(), events: ['*'], secret: 'mine' })).toEqual(['secret']);
  });

  it('need an admin key with webhooks:write, and nothing else', async () => {
    const reader = await createAdminKey(t, 'users:read');
    const user = await signUpVerified(t);
    const body = { url: receiver.url(), events: ['*'] };
    expect((await t.http.post('/admin/webhooks').set(bearer(reader.key)).send(body).expect(403)).body.error).toBe(
      'insufficient_scope',
    );
    await t.http.get('/admin/webhooks').set(bearer(reader.key)).expect(403);
    await t.http.post('/admin/webhooks').set(bearer(user.token)).send(body).expect(401);
    await t.http.get('/admin/webhooks').expect(401);
    expect((await t.http.get('/admin/webhooks').set(bearer(operator.key)).expect(200)).body).toEqual([]);
  });
});

export type { ReceivedWebhook };
