import { createServer, get, Server as HttpServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, TestDatabase } from '../../support/database';
import { assertBuilt, freePort, Server, startServer } from '../../support/processes';
import { TEST_ENCRYPTION_KEY } from '../../support/test-app';
import { PASSWORD, uniqueEmail } from '../../support/users';

/** Loaded with --require: writes the files the process loaded, as it exits. */
const RECORD_LOADED_MODULES = `
process.on('exit', () => {
  require('node:fs').writeFileSync(process.env.LOADED_MODULES_FILE, JSON.stringify(Object.keys(require.cache)));
});
`;

interface OtlpSpan {
  traceId: string;
  spanId: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
}

/** A local OTLP/HTTP receiver: keeps the spans of every JSON trace export posted to /v1/traces. */
async function startReceiver(): Promise<{ url: string; spans: OtlpSpan[]; paths: string[]; close(): Promise<void> }> {
  const spans: OtlpSpan[] = [];
  const paths: string[] = [];
  const server: HttpServer = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      paths.push(`${request.method} ${request.url} ${request.headers['content-type']}`);
      const exported = JSON.parse(body) as {
        resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }>;
      };
      for (const resource of exported.resourceSpans)
        for (const scope of resource.scopeSpans) spans.push(...scope.spans);
      response.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    paths,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function signUp(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/auth/signup`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: uniqueEmail('ops'), password: PASSWORD }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { session: { token: string } }).session.token;
}

describe('the built service: shutdown and tracing', () => {
  let database: TestDatabase;
  let root: string;
  const servers: Server[] = [];
  const start = async (env: Record<string, string>) => {
    const port = await freePort();
    const server = await startServer(
      {
        DATABASE_URL: database.url,
        ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
        SMTP_URL: 'smtp://127.0.0.1:9',
        TASKS_ENABLED: 'false',
        LOG_LEVEL: 'silent',
        ...env,
      },
      port,
    );
    servers.push(server);
    return { server, port };
  };

  beforeAll(async () => {
    assertBuilt();
    database = await createTestDatabase();
    root = mkdtempSync(join(tmpdir(), 'authd-ops-'));
    writeFileSync(join(root, 'record-loaded-modules.cjs'), RECORD_LOADED_MODULES);
  });
  afterEach(() => servers.splice(0).forEach((server) => server.child.kill('SIGKILL')));
  afterAll(async () => {
    rmSync(root, { recursive: true, force: true });
    await database.drop();
  });

  jest.setTimeout(90_000);

  it('answers readiness 503 from SIGTERM on, live 200, while a request in flight finishes; then exits 0', async () => {
    const { server, port } = await start({ DB_LOCK_TIMEOUT: '30s', DB_STATEMENT_TIMEOUT: '30s' });
    const url = (path: string) => `http://127.0.0.1:${port}${path}`;
    const token = await signUp(port);
    expect((await fetch(url('/health/ready'))).status).toBe(200);

    // GET /me waits on a lock the test holds: a slow request in flight.
    const holder = new Client({ connectionString: database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE');
      const slow = fetch(url('/me'), { headers: { Authorization: `Bearer ${token}` } });
      await waitUntil(async () => {
        const { rows } = await holder.query(
          `SELECT count(*)::int AS waiting FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
        );
        return rows[0].waiting > 0;
      });

      const exited = server.stop();
      // The signal is handled at once: readiness turns within a poll or two, on new connections.
      let ready: { status: number; body: string } | undefined;
      await waitUntil(async () => {
        ready = await answerOf(url('/health/ready'));
        return ready.status === 503;
      });
      expect(JSON.parse(ready!.body)).toEqual({
        status: 'not_ready',
        db: 'up',
        migrations: 'applied',
        shuttingDown: true,
      });
      expect((await answerOf(url('/health/live'))).status).toBe(200);
      expect(server.child.exitCode).toBeNull();

      await holder.query('COMMIT');
      const me = await slow;
      expect(me.status).toBe(200);
      expect(await exited).toBe(0);
      // Once nothing is in flight the listener is closed.
      await expect(answerOf(url('/health/live'))).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      await holder.end();
    }
  });

  it('without OTEL_EXPORTER_OTLP_ENDPOINT loads no OpenTelemetry code', async () => {
    const loaded = join(root, 'loaded-without.json');
    const { server, port } = await start({
      NODE_OPTIONS: `--require ${join(root, 'record-loaded-modules.cjs')}`,
      LOADED_MODULES_FILE: loaded,
    });
    const token = await signUp(port);
    expect((await fetch(`http://127.0.0.1:${port}/me`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(
      200,
    );
    expect(await server.stop()).toBe(0);
    const modules = JSON.parse(readFileSync(loaded, 'utf8')) as string[];
    // The record is real: the app's own files and pg are in it.
    expect(modules.some((file) => file.endsWith(join('dist', 'src', 'main.js')))).toBe(true);
    expect(modules.some((file) => file.includes(join('node_modules', 'pg', '')))).toBe(true);
    // prom-client's process metrics use the OpenTelemetry API (a no-op without an SDK); nothing else.
    expect(modules.some((file) => file.includes(join('@opentelemetry', 'api', '')))).toBe(true);
    expect(
      modules.filter((file) => file.includes('@opentelemetry') && !file.includes(join('@opentelemetry', 'api', ''))),
    ).toEqual([]);
  });

  it('with OTEL_EXPORTER_OTLP_ENDPOINT exports traces of HTTP requests and their pg queries over OTLP/HTTP', async () => {
    const receiver = await startReceiver();
    try {
      const loaded = join(root, 'loaded-with.json');
      const { server, port } = await start({
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        NODE_OPTIONS: `--require ${join(root, 'record-loaded-modules.cjs')}`,
        LOADED_MODULES_FILE: loaded,
      });
      const token = await signUp(port);
      const me = await fetch(`http://127.0.0.1:${port}/me`, { headers: { Authorization: `Bearer ${token}` } });
      expect(me.status).toBe(200);
      // A link's one-time secret in a query string is no span's.
      const secret = 'LinkSecret' + Date.now().toString(36);
      await fetch(`http://127.0.0.1:${port}/verify-email?token=${secret}&x`, { redirect: 'manual' });
      // The spans still buffered are flushed as the process stops.
      expect(await server.stop()).toBe(0);

      expect(receiver.paths.length).toBeGreaterThan(0);
      expect(new Set(receiver.paths)).toEqual(new Set(['POST /v1/traces application/json']));
      const attribute = (span: OtlpSpan, key: string) => span.attributes.find((a) => a.key === key)?.value;
      const request = receiver.spans.find((span) => span.name === 'GET /me');
      expect(request).toBeDefined();
      // SERVER, with the route template as its route.
      expect(request!.kind).toBe(2);
      expect(attribute(request!, 'http.route')).toEqual({ stringValue: '/me' });
      // The session lookup of that request, in its trace.
      const queries = receiver.spans.filter(
        (span) => span.traceId === request!.traceId && span.name.startsWith('pg.query'),
      );
      expect(queries.length).toBeGreaterThan(0);
      // Statements only, never their parameters (the token's hash, addresses).
      for (const span of receiver.spans) expect(attribute(span, 'db.query.parameter.0')).toBeUndefined();
      expect(JSON.stringify(receiver.spans)).not.toContain(token);
      expect(JSON.stringify(receiver.spans)).not.toContain(secret);
      const link = receiver.spans.find((span) => attribute(span, 'url.path')?.stringValue === '/verify-email');
      expect(attribute(link!, 'url.query')).toEqual({ stringValue: 'token=REDACTED&x' });
      // The probes are left out.
      expect(
        receiver.spans.some((span) => String(attribute(span, 'url.path')?.stringValue).startsWith('/health')),
      ).toBe(false);
      const modules = JSON.parse(readFileSync(loaded, 'utf8')) as string[];
      expect(modules.some((file) => file.includes('@opentelemetry/instrumentation-pg'))).toBe(true);
    } finally {
      await receiver.close();
    }
  });
});

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('the condition was not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A GET on a connection of its own (the server closes idle ones while it drains). */
function answerOf(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}
