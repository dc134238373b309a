import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { Metrics } from '../../../src/common/metrics';
import { TransactionHost } from '../../../src/database/transactions';
import { OutboxService } from '../../../src/mail';
import { TaskRunner } from '../../../src/tasks';
import { UsersService } from '../../../src/users/users.service';
import { databaseUrl } from '../../support/database';
import { parseMetrics, Sample, scrape, valueOf } from '../../support/metrics';
import { freePort } from '../../support/processes';
import { startTestApp, TestApp } from '../../support/test-app';
import { bearer, logIn, PASSWORD, signUp, signUpVerified, uniqueEmail } from '../../support/users';

const TOKEN = 'metrics-token-0123456789abcdef';
const NOT_FOUND = { statusCode: 404, error: 'not_found', message: 'No such route.' };

describe('liveness and readiness', () => {
  let t: TestApp;
  const logs: string[] = [];
  beforeAll(async () => {
    t = await startTestApp({ logs, env: { LOG_LEVEL: 'info' } });
  });
  afterAll(() => t.close());

  it('live answers 200 without the database; ready answers 200 when the database answers and is migrated', async () => {
    await t.http.get('/health/live').expect(200, { status: 'ok' });
    await t.http
      .get('/health/ready')
      .expect(200, { status: 'ready', db: 'up', migrations: 'applied', shuttingDown: false });
    // The old route is as it was.
    await t.http.get('/health').expect(200, { status: 'ok', db: 'up' });
    // The probes write no request line; other requests do.
    await t.http.get('/me').expect(401);
    const paths = logs.map((line) => JSON.parse(line) as { req?: { path: string } }).flatMap((l) => l.req?.path ?? []);
    expect(paths).toEqual(['/me']);
  });

  it('ready answers 503 while the database refuses connections, live stays 200, and both recover', async () => {
    const admin = new Client({ connectionString: databaseUrl('postgres') });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE "${t.database.name}" ALLOW_CONNECTIONS false`);
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [t.database.name]);
      const down = await t.http.get('/health/ready').expect(503);
      expect(down.body).toEqual({ status: 'not_ready', db: 'down', migrations: 'unknown', shuttingDown: false });
      await t.http.get('/health/live').expect(200, { status: 'ok' });
      await admin.query(`ALTER DATABASE "${t.database.name}" ALLOW_CONNECTIONS true`);
      await t.http.get('/health/ready').expect(200);
    } finally {
      await admin.query(`ALTER DATABASE "${t.database.name}" ALLOW_CONNECTIONS true`);
      await admin.end();
    }
  });
});

describe('readiness and migrations', () => {
  it('answers 503 while a migration of this build is not applied to the database, 200 once it is', async () => {
    const t = await startTestApp();
    try {
      // As a database a newer build migrates would look to the old one, or a new build to a database
      // not yet migrated: the last migration of this build is missing from its record.
      const [last] = await t.dataSource.query(
        'SELECT id, timestamp, name FROM migrations ORDER BY timestamp DESC LIMIT 1',
      );
      await t.dataSource.query('DELETE FROM migrations WHERE id = $1', [last.id]);
      const pending = await t.http.get('/health/ready').expect(503);
      expect(pending.body).toEqual({ status: 'not_ready', db: 'up', migrations: 'pending', shuttingDown: false });
      await t.http.get('/health/live').expect(200);
      await t.dataSource.query('INSERT INTO migrations (timestamp, name) VALUES ($1, $2)', [last.timestamp, last.name]);
      await t.http
        .get('/health/ready')
        .expect(200, { status: 'ready', db: 'up', migrations: 'applied', shuttingDown: false });
    } finally {
      await t.close();
    }
  });
});

describe('GET /metrics on the main port (METRICS_TOKEN)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { METRICS_TOKEN: TOKEN } });
  });
  afterAll(() => t.close());

  it('answers 404, as a route that does not exist, without the token or with another', async () => {
    const unknown = await t.http.get('/no-such-route').expect(404);
    for (const res of [
      await t.http.get('/metrics'),
      await t.http.get('/metrics').set(bearer('wrong-token-0123456789abcdef')),
      await t.http.get('/metrics').set('Authorization', TOKEN),
      await t.http.get('/metrics').set(bearer(`${TOKEN}x`)),
    ]) {
      expect({ status: res.status, body: res.body }).toEqual({ status: 404, body: NOT_FOUND });
      expect(res.body).toEqual(unknown.body);
      expect(res.headers['content-type']).toBe(unknown.headers['content-type']);
    }
  });

  it('labels request durations by route template, method and status, never by a raw path or id', async () => {
    const user = await signUpVerified(t);
    const created = await t.http.post('/orgs').set(bearer(user.token)).send({ name: 'Metrics Org' }).expect(201);
    const orgId: string = created.body.id;
    await t.http.get(`/orgs/${orgId}`).set(bearer(user.token)).expect(200);
    const missing = randomUUID();
    await t.http.get(`/orgs/${missing}`).set(bearer(user.token)).expect(404);
    const stray = randomUUID();
    await t.http.get(`/nothing-here/${stray}`).expect(404);
    // The HEAD route Fastify derives from a GET route is timed once, under its own method.
    await t.http.head('/health/live').expect(200);

    const res = await t.http.get('/metrics').set(bearer(TOKEN)).expect(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    const samples = parseMetrics(res.text);
    const count = (labels: Record<string, string>) =>
      valueOf(samples, 'authd_http_request_duration_seconds_count', labels);
    expect(count({ route: '/orgs/:id', method: 'GET', status: '200' })).toBe(1);
    expect(count({ route: '/orgs/:id', method: 'GET', status: '404' })).toBe(1);
    expect(count({ route: '/orgs', method: 'POST', status: '201' })).toBe(1);
    expect(count({ route: 'unmatched', method: 'GET', status: '404' })).toBeGreaterThanOrEqual(1);
    expect(count({ route: '/health/live', method: 'HEAD', status: '200' })).toBe(1);
    // Every bucket series is cumulative and ends with the count.
    const buckets = samples.filter(
      (s) =>
        s.name === 'authd_http_request_duration_seconds_bucket' &&
        s.labels.route === '/orgs/:id' &&
        s.labels.status === '200',
    );
    expect(buckets.at(-1)).toMatchObject({ labels: { le: '+Inf' }, value: 1 });
    expect(buckets.map((b) => b.value)).toEqual([...buckets.map((b) => b.value)].sort((a, b) => a - b));
    // No label anywhere holds an id or a raw path.
    for (const id of [orgId, missing, stray, user.id]) expect(res.text).not.toContain(id);
    const routes = new Set(samples.filter((s) => s.labels.route !== undefined).map((s) => s.labels.route));
    for (const route of routes) expect(route === 'unmatched' || /^\/[a-z0-9/:._-]*$/i.test(route)).toBe(true);
  });

  it('reports the database pool, the mail outbox and the process', async () => {
    const samples = await scrape(t, TOKEN);
    expect(valueOf(samples, 'authd_db_pool_connections')).toBeGreaterThanOrEqual(1);
    expect(samples.some((s) => s.name === 'authd_db_pool_idle_connections')).toBe(true);
    expect(valueOf(samples, 'authd_db_pool_waiting_requests')).toBe(0);
    expect(samples.some((s) => s.name === 'authd_outbox_pending' && s.labels.outbox === 'mail')).toBe(true);
    expect(valueOf(samples, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(valueOf(samples, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
  });

  it('counts sign-ins by method and outcome, and sessions created by method', async () => {
    const user = await signUp(t);
    const before = await scrape(t, TOKEN);
    await logIn(t, user.email);
    await t.http.post('/auth/login').send({ email: user.email, password: 'Wrong-password-1' }).expect(401);
    await t.http.post('/auth/login').send({ email: 'nobody-here@example.com', password: PASSWORD }).expect(401);
    // A locked account: the password is right, the sign-in is refused.
    await t.app.get(UsersService).setLock(user.id, { reason: 'metrics test' });
    await t.http.post('/auth/login').send({ email: user.email, password: PASSWORD }).expect(403);
    const after = await scrape(t, TOKEN);
    const delta = (name: string, labels: Record<string, string>) =>
      valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(delta('authd_sign_ins_total', { method: 'password', outcome: 'success' })).toBe(1);
    expect(delta('authd_sign_ins_total', { method: 'password', outcome: 'invalid_credentials' })).toBe(2);
    expect(delta('authd_sign_ins_total', { method: 'password', outcome: 'account_locked' })).toBe(1);
    expect(delta('authd_sessions_created_total', { method: 'password' })).toBe(1);
    // A signup issues a session but is no sign-in.
    await signUp(t);
    const later = await scrape(t, TOKEN);
    expect(valueOf(later, 'authd_sessions_created_total', { method: 'password' })).toBe(
      valueOf(after, 'authd_sessions_created_total', { method: 'password' }) + 1,
    );
    expect(valueOf(later, 'authd_sign_ins_total', { method: 'password', outcome: 'success' })).toBe(
      valueOf(after, 'authd_sign_ins_total', { method: 'password', outcome: 'success' }),
    );
  });

  it('counts email sign-ins: a wrong code as invalid_token, the right one as a success and a session', async () => {
    const email = uniqueEmail('metrics-email');
    const before = await scrape(t, TOKEN);
    await t.http.post('/auth/email/start').send({ email }).expect(202);
    const [mail] = await t.mail.waitFor((m) => m.to === email && m.subject.includes('Sign in'));
    const code = /\b(\d{6})\b/.exec(mail.text)![1];
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    await t.http.post('/auth/email/verify').send({ email, code: wrong }).expect(401);
    await t.http.post('/auth/email/verify').send({ email, code }).expect(200);
    const after = await scrape(t, TOKEN);
    const delta = (name: string, labels: Record<string, string>) =>
      valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(delta('authd_sign_ins_total', { method: 'email', outcome: 'invalid_token' })).toBe(1);
    expect(delta('authd_sign_ins_total', { method: 'email', outcome: 'success' })).toBe(1);
    expect(delta('authd_sessions_created_total', { method: 'email' })).toBe(1);
  });

  it('counts a 429 by the limit that refused it, and the refused sign-in', async () => {
    await t.dataSource.query('DELETE FROM rate_limits');
    const user = await signUp(t);
    const before = await scrape(t, TOKEN);
    const delta = (after: Sample[], name: string, labels: Record<string, string>) =>
      valueOf(after, name, labels) - valueOf(before, name, labels);
    // The account's own failure limit refuses the 11th guess, but the guesser is on the address the
    // account signed up from, which then has 10 guesses of its own: no 429 yet, and none counted.
    for (let i = 0; i < 11; i++) {
      await t.http
        .post('/auth/login')
        .send({ email: user.email, password: `Wrong-${i}-pw` })
        .expect(401);
    }
    const fallenBack = await scrape(t, TOKEN);
    expect(delta(fallenBack, 'authd_rate_limit_refusals_total', { limit: 'login-failures-account' })).toBe(0);
    // Another account, never signed in from here: its 11th guess is refused.
    const other = await signUp(t);
    await t.dataSource.query('DELETE FROM known_ips WHERE user_id = $1', [other.id]);
    for (let i = 0; i < 10; i++) {
      await t.http
        .post('/auth/login')
        .send({ email: other.email, password: `Wrong-${i}-pw` })
        .expect(401);
    }
    await t.http.post('/auth/login').send({ email: other.email, password: 'Wrong-again-pw' }).expect(429);
    const after = await scrape(t, TOKEN);
    expect(delta(after, 'authd_rate_limit_refusals_total', { limit: 'login-failures-account' })).toBe(1);
    expect(delta(after, 'authd_sign_ins_total', { method: 'password', outcome: 'too_many_requests' })).toBe(1);
    expect(delta(after, 'authd_sign_ins_total', { method: 'password', outcome: 'invalid_credentials' })).toBe(21);
    // Another limit: forgot-password, 5 an hour per account.
    for (let i = 0; i < 5; i++) await t.http.post('/auth/password/forgot').send({ email: user.email }).expect(202);
    await t.http.post('/auth/password/forgot').send({ email: user.email }).expect(429);
    const last = await scrape(t, TOKEN);
    expect(delta(last, 'authd_rate_limit_refusals_total', { limit: 'forgot-account' })).toBe(1);
  });

  it('reports the webhooks outbox beside the mail outbox, and another a module registers; one that cannot be read is left out', async () => {
    const metrics = t.app.get(Metrics);
    expect(() => metrics.registerOutbox('webhooks', async () => ({ pending: 0, oldestAgeSeconds: 0 }))).toThrow(
      /already/,
    );
    metrics.registerOutbox('sms', async () => ({ pending: 3, oldestAgeSeconds: 12.5 }));
    metrics.registerOutbox('broken', () => Promise.reject(new Error('the table is gone')));
    const samples = await scrape(t, TOKEN);
    expect(valueOf(samples, 'authd_outbox_pending', { outbox: 'webhooks' })).toBe(0);
    expect(valueOf(samples, 'authd_outbox_pending', { outbox: 'sms' })).toBe(3);
    expect(valueOf(samples, 'authd_outbox_oldest_age_seconds', { outbox: 'sms' })).toBe(12.5);
    expect(samples.some((s) => s.name === 'authd_outbox_pending' && s.labels.outbox === 'mail')).toBe(true);
    expect(samples.some((s) => s.labels.outbox === 'broken')).toBe(false);
  });

  it('counts task runs by task and outcome', async () => {
    // A task only the runner runs here (the mail relay may run deliver-mail at any time).
    const before = await scrape(t, TOKEN);
    const outcome = await t.app.get(TaskRunner).run('purge-rate-limits');
    expect(outcome.status).toBe('done');
    const after = await scrape(t, TOKEN);
    const labels = { task: 'purge-rate-limits', outcome: 'done' };
    expect(valueOf(after, 'authd_task_runs_total', labels) - valueOf(before, 'authd_task_runs_total', labels)).toBe(1);
  });
});

describe('the outbox backlog in the metrics', () => {
  it('counts mail waiting in the outbox and the age of the oldest', async () => {
    // An app of its own: the SMTP server goes down at once while no connection is open to it.
    const t = await startTestApp({ env: { METRICS_TOKEN: TOKEN } });
    await t.mail.down();
    try {
      const before = await scrape(t, TOKEN);
      const pending = valueOf(before, 'authd_outbox_pending', { outbox: 'mail' });
      await t.app.get(TransactionHost).withTransaction(() =>
        t.app.get(OutboxService).enqueue('metrics@example.com', 'password-reset', {
          resetUrl: 'http://x/reset?token=t',
          expiresInMinutes: 60,
        }),
      );
      t.clock.advance(90_000);
      const after = await scrape(t, TOKEN);
      expect(valueOf(after, 'authd_outbox_pending', { outbox: 'mail' })).toBe(pending + 1);
      expect(valueOf(after, 'authd_outbox_oldest_age_seconds', { outbox: 'mail' })).toBeGreaterThanOrEqual(90);
    } finally {
      await t.mail.up();
      await t.close();
    }
  });
});

describe('GET /metrics on METRICS_PORT', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    t = await startTestApp({ env: { METRICS_PORT: String(port) } });
  });
  afterAll(() => t.close());

  it('serves the metrics on its own listener (127.0.0.1) without a token, and nothing else', async () => {
    await t.http.get('/health/live').expect(200);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const samples = parseMetrics(await res.text());
    expect(
      valueOf(samples, 'authd_http_request_duration_seconds_count', { route: '/health/live', status: '200' }),
    ).toBeGreaterThanOrEqual(1);
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).toBe(404);
  });

  it('leaves GET /metrics on the main port a 404, with or without a token', async () => {
    await t.http.get('/metrics').expect(404, NOT_FOUND);
    await t.http.get('/metrics').set(bearer(TOKEN)).expect(404, NOT_FOUND);
  });
});
