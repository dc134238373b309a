import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { generateSync } from 'otplib';
import { Cipher, keyCheckValue } from '../../../src/common/crypto';
import { SealedDataRegistry } from '../../../src/common/sealed-data';
import { TransactionHost } from '../../../src/database/transactions';
import { EncryptionKeys } from '../../../src/encryption';
import { OutboxService } from '../../../src/mail';
import { createTestDatabase, TestDatabase } from '../../support/database';
import { assertBuilt, freePort, runNode, Server, startServer } from '../../support/processes';
import { SmtpCapture } from '../../support/smtp';
import { startTestApp, TestApp } from '../../support/test-app';
import { bearer, enableTotp, PASSWORD, signUp, signUpVerified } from '../../support/users';

const KEY_A = Buffer.alloc(32, 0xa1);
const KEY_B = Buffer.alloc(32, 0xb2);
const A = KEY_A.toString('base64');
const B = KEY_B.toString('base64');

/**
 * Every `bytea` column that holds no `Cipher.seal` output and no `Cipher.tag` output: plain hashes,
 * public keys and the check value itself. A new `bytea` column goes either in a module's
 * `@SealedData` declaration or here, with its reason.
 */
const NOT_SEALED_BYTEA = [
  'admin_keys.key_hash', // SHA-256 of the key
  'api_keys.key_hash', // SHA-256 of the key
  'email_sign_in_codes.token_hash', // SHA-256 of the link token
  'encryption_key_check.check_value', // HMAC under the key of a fixed text
  'oidc_requests.binding_hash', // SHA-256 of the browser binding
  'oidc_requests.state_hash', // SHA-256 of the state
  'org_invitations.token_hash', // SHA-256 of the token
  'passkeys.public_key', // a public key
  'password_reset_tokens.token_hash', // SHA-256 of the token
  'recovery_codes.code_hash', // SHA-256 of the code
  'saml_requests.binding_hash', // SHA-256 of the browser binding
  'scim_tokens.token_hash', // SHA-256 of the token
  'sessions.previous_token_hash', // SHA-256 of the token
  'sessions.token_hash', // SHA-256 of the token
  'user_addresses.address_hash', // SHA-256 of the address
  'verification_tokens.token_hash', // SHA-256 of the token
  'webauthn_challenges.challenge_hash', // SHA-256 of the challenge
];

async function byteaColumns(t: TestApp): Promise<string[]> {
  const rows: Array<{ column: string }> = await t.dataSource.query(
    `SELECT c.table_name || '.' || c.column_name AS column
       FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND c.data_type = 'bytea'
      ORDER BY 1`,
  );
  return rows.map((row) => row.column);
}

describe('sealed data: every module declares its sealed columns', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('claims every bytea column as sealed, tagged or not sealed, and nothing else', async () => {
    const entries = t.app.get(SealedDataRegistry).list();
    for (const entry of entries) expect(typeof entry.handler.reseal).toBe('function');
    const declared = entries.flatMap((entry) => [...entry.sealed, ...entry.tags, ...entry.shortLivedTags]);
    expect(declared).toEqual(
      expect.arrayContaining([
        'mail_outbox.payload',
        'mail_outbox.recipient_tag',
        'totp_factors.secret',
        'oidc_connections.client_secret',
        'email_sign_in_codes.code_hash',
      ]),
    );
    expect(new Set(declared).size).toBe(declared.length);
    const columns = await byteaColumns(t);
    const claimed = new Set([...declared, ...NOT_SEALED_BYTEA]);
    expect(columns.filter((column) => !claimed.has(column))).toEqual([]);
    expect([...claimed].filter((column) => !columns.includes(column))).toEqual([]);
    expect(declared.filter((column) => NOT_SEALED_BYTEA.includes(column))).toEqual([]);
  });

  it('finds no sealed value in a column not declared sealed', async () => {
    // Sealed values of every kind the routes make: queued mail, a TOTP secret.
    const user = await signUpVerified(t);
    await enableTotp(t, user.token);
    await t.mail.down();
    await signUp(t);
    await t.mail.up();
    const prefix = t.app.get(Cipher).currentPrefix;
    const sealed = new Set(t.app.get(SealedDataRegistry).sealedColumns());
    const holding: string[] = [];
    for (const column of await byteaColumns(t)) {
      const [table, name] = column.split('.');
      const [{ n }] = await t.dataSource.query(
        `SELECT count(*)::int AS n FROM "${table}" WHERE substring("${name}" from 1 for 5) = $1`,
        [prefix],
      );
      if (n > 0) holding.push(column);
    }
    expect(holding.sort()).toEqual(['mail_outbox.payload', 'totp_factors.secret']);
    expect(holding.every((column) => sealed.has(column))).toBe(true);
  });

  it('records the running key for a database sealed before check values, and says so', async () => {
    const logs: string[] = [];
    const database = await createTestDatabase();
    const first = await startTestApp({ database });
    try {
      // A TOTP secret: sealed, and kept (delivered mail is scrubbed).
      const user = await signUpVerified(first);
      await enableTotp(first, user.token);
    } finally {
      await first.close();
    }
    // As a database from before this table: sealed data, no check value.
    const admin = new Client({ connectionString: database.url });
    await admin.connect();
    try {
      await admin.query('DELETE FROM encryption_key_check');
      const upgraded = await startTestApp({ database, logs, env: { LOG_LEVEL: 'info' } });
      const current = upgraded.app.get(Cipher).checkValues.current;
      await upgraded.close();
      const { rows } = await admin.query('SELECT check_value FROM encryption_key_check');
      expect(rows.map((row) => (row.check_value as Buffer).equals(current))).toEqual([true]);
      expect(logs.filter((line) => line.includes('predates them'))).toHaveLength(1);
    } finally {
      await admin.end();
      await database.drop();
    }
  });

  it('finds, during a rotation, the mail queued for an erased address under the previous key', async () => {
    const database = await createTestDatabase();
    const old = await startTestApp({ database, env: { ENCRYPTION_KEY: A } });
    const rotating = await startTestApp({ database, env: { ENCRYPTION_KEY: B, ENCRYPTION_KEY_PREVIOUS: A } });
    try {
      // Neither instance can deliver it: it stays queued.
      await old.mail.down();
      await rotating.mail.down();
      const queued = await signUp(old);
      const unsent = async () =>
        (
          await rotating.dataSource.query(
            'SELECT count(*)::int AS n FROM mail_outbox WHERE sent_at IS NULL AND recipient_tag IS NOT NULL',
          )
        )[0].n as number;
      expect(await unsent()).toBe(1);
      // Its tag is A's, which B alone would not find.
      const [{ tag }] = await rotating.dataSource.query(
        'SELECT recipient_tag AS tag FROM mail_outbox WHERE sent_at IS NULL',
      );
      const hash = createHash('sha256').update(queued.email.toLowerCase(), 'utf8').digest('hex');
      expect((tag as Buffer).equals(new Cipher(KEY_B).tag(hash, 'mail-recipient'))).toBe(false);
      await rotating.app
        .get(TransactionHost)
        .withTransaction(() => rotating.app.get(OutboxService).forgetUnsentTo([queued.email]));
      expect(await unsent()).toBe(0);
    } finally {
      await rotating.close();
      await old.close();
      await database.drop();
    }
  });

  it('refuses, in process too, a key whose check value is not the recorded one', async () => {
    const other = await startTestApp({ env: { ENCRYPTION_KEY: A } });
    try {
      await other.dataSource.query('UPDATE encryption_key_check SET check_value = $1', [keyCheckValue(KEY_B)]);
      await expect(other.app.get(EncryptionKeys).verifyAtStart()).rejects.toThrow(
        /^ENCRYPTION_KEY is not the key this database's data was sealed with/,
      );
    } finally {
      await other.close();
    }
  });
});

/** The built service with one key, then another: `npm start` and `npm run task`, as operators run them. */
describe('the encryption key of the built service', () => {
  const servers: Server[] = [];
  const databases: TestDatabase[] = [];
  let mail: SmtpCapture;
  beforeAll(async () => {
    assertBuilt();
    mail = await SmtpCapture.start();
  });
  afterEach(async () => {
    servers.splice(0).forEach((server) => server.child.kill('SIGKILL'));
    await Promise.all(databases.splice(0).map((database) => database.drop()));
  });
  afterAll(() => mail.down());

  const freshDatabase = async () => {
    const database = await createTestDatabase();
    databases.push(database);
    return database;
  };
  const envOf = (database: TestDatabase, keys: Record<string, string>) => ({
    DATABASE_URL: database.url,
    SMTP_URL: mail.url,
    TASKS_ENABLED: 'false',
    ...keys,
  });
  const start = async (env: Record<string, string>) => {
    const port = await freePort();
    const server = await startServer({ ...env, APP_URL: `http://localhost:${port}` }, port);
    servers.push(server);
    return { server, url: `http://127.0.0.1:${port}` };
  };
  const query = async <Row>(database: TestDatabase, text: string, values: unknown[] = []): Promise<Row[]> => {
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      return (await client.query(text, values)).rows as Row[];
    } finally {
      await client.end();
    }
  };
  const recorded = async (database: TestDatabase) =>
    (await query<{ check_value: Buffer }>(database, 'SELECT check_value FROM encryption_key_check')).map(
      (row) => row.check_value,
    );
  /** The one line a refused start writes: it names the variable and the remedy, never a key. */
  const expectRefusal = (result: { code: number | null; stdout: string; stderr: string }) => {
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toEqual([expect.stringContaining('ENCRYPTION_KEY')]);
    expect(lines[0]).toContain("this database's data was sealed with");
    expect(lines[0]).toContain('ENCRYPTION_KEY_PREVIOUS');
    expect(lines[0]).not.toContain(A);
    expect(lines[0]).not.toContain(B);
    expect(result.stdout).not.toContain('listening on port');
  };

  it('records the first key, and refuses another key at start and in the CLI with one line', async () => {
    const database = await freshDatabase();
    const first = await start(envOf(database, { ENCRYPTION_KEY: A }));
    expect(first.server.output()).toContain('recorded the check value of ENCRYPTION_KEY');
    expect(await first.server.stop()).toBe(0);
    expect(await recorded(database)).toEqual([keyCheckValue(KEY_A)]);

    const port = await freePort();
    const [server, task, list, withUnrelatedPrevious] = await Promise.all([
      runNode('main.js', [], { ...envOf(database, { ENCRYPTION_KEY: B }), PORT: String(port) }),
      runNode('cli.js', ['task', 'deliver-mail'], envOf(database, { ENCRYPTION_KEY: B })),
      runNode('cli.js', ['task'], envOf(database, { ENCRYPTION_KEY: B })),
      runNode('main.js', [], {
        ...envOf(database, { ENCRYPTION_KEY: B, ENCRYPTION_KEY_PREVIOUS: Buffer.alloc(32, 0xc3).toString('base64') }),
        PORT: '0',
      }),
    ]);
    expectRefusal(server);
    expect(server.stderr).toMatch(/^ENCRYPTION_KEY is not the key/);
    expectRefusal(task);
    expect(task.stdout).not.toContain('"status"');
    expectRefusal(list);
    expectRefusal(withUnrelatedPrevious);
    expect(withUnrelatedPrevious.stderr).toMatch(/^neither ENCRYPTION_KEY nor ENCRYPTION_KEY_PREVIOUS is the key/);
    // Nothing was served, and the recorded value is the first key's still.
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    expect(await recorded(database)).toEqual([keyCheckValue(KEY_A)]);
  });

  it('records one value when two instances with different keys start at once on an empty table', async () => {
    const database = await freshDatabase();
    const outcomes = await Promise.allSettled([
      start(envOf(database, { ENCRYPTION_KEY: A })),
      start(envOf(database, { ENCRYPTION_KEY: B })),
    ]);
    const started = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect([started.length, refused.length]).toEqual([1, 1]);
    expect(String((refused[0] as PromiseRejectedResult).reason)).toContain(
      "ENCRYPTION_KEY is not the key this database's data was sealed with",
    );
    const winner = outcomes[0].status === 'fulfilled' ? KEY_A : KEY_B;
    expect(await recorded(database)).toEqual([keyCheckValue(winner)]);
  });

  it('rotates: B beside A opens what A sealed, the reseal moves everything to B, then B alone serves and A refuses', async () => {
    const database = await freshDatabase();
    const queued = address('queued').toLowerCase();
    const held = address('held').toLowerCase();
    const totpUser = address('totp').toLowerCase();
    const code = (secret: string, stepOffset: number) =>
      generateSync({ secret, epoch: Math.floor(Date.now() / 1000) + stepOffset * 30 });

    // Key A: a TOTP secret, and two mails that cannot go out (the SMTP server is down).
    const a = await start(envOf(database, { ENCRYPTION_KEY: A }));
    const signedUp = await post(a.url, '/auth/signup', { email: totpUser, password: PASSWORD });
    const token = signedUp.session!.token;
    const link = await mail.waitFor((m) => m.to === totpUser, 1, 15_000);
    await post(a.url, '/auth/verify-email', { token: /verify-email\?token=([\w-]+)/.exec(link[0].text)![1] });
    const setup = await post(a.url, '/me/2fa/totp/setup', {}, token);
    // The previous time step, so that later sign-ins use newer ones.
    await post(a.url, '/me/2fa/totp/enable', { code: code(setup.secret!, -1) }, token);
    await mail.down();
    await post(a.url, '/auth/signup', { email: queued, password: PASSWORD });
    await post(a.url, '/auth/signup', { email: held, password: PASSWORD });
    // Every mail not sent has failed once (the two verifications, and any notice of the TOTP change).
    await waitFor(async () => {
      const [{ unsent, untried }] = await query<{ unsent: number; untried: number }>(
        database,
        `SELECT count(*)::int AS unsent, count(*) FILTER (WHERE last_error IS NULL)::int AS untried
           FROM mail_outbox WHERE sent_at IS NULL`,
      );
      return unsent >= 2 && untried === 0;
    });
    expect(await a.server.stop()).toBe(0);
    const prefixA = new Cipher(KEY_A).currentPrefix;
    const prefixB = new Cipher(KEY_B).currentPrefix;
    const sealedPrefixes = async () =>
      (
        await query<{ prefix: Buffer }>(
          database,
          `SELECT substring(payload from 1 for 5) AS prefix FROM mail_outbox WHERE payload IS NOT NULL
           UNION ALL SELECT substring(secret from 1 for 5) FROM totp_factors`,
        )
      ).map((row) => row.prefix.toString('hex'));
    const underA = await sealedPrefixes();
    expect(underA.length).toBeGreaterThanOrEqual(3);
    expect(new Set(underA)).toEqual(new Set([prefixA.toString('hex')]));

    // B with A as the previous key: the mail sealed under A goes out, the TOTP secret sealed under A signs in.
    await mail.up();
    mail.rejectRecipients.set(held, 450);
    await query(database, 'UPDATE mail_outbox SET next_attempt_at = now() WHERE sent_at IS NULL');
    const rotating = await start(envOf(database, { ENCRYPTION_KEY: B, ENCRYPTION_KEY_PREVIOUS: A }));
    await query(database, 'NOTIFY mail_outbox');
    await mail.waitFor((m) => m.to === queued && m.subject.includes('Verify'), 1, 15_000);
    await waitFor(
      async () =>
        (
          await query<{ n: number }>(
            database,
            'SELECT count(*)::int AS n FROM mail_outbox WHERE sent_at IS NULL AND attempts >= 2',
          )
        )[0].n === 1,
    );
    await post(rotating.url, '/auth/login', {
      email: totpUser,
      password: PASSWORD,
      totpCode: code(setup.secret!, 0),
    });
    // What the rotating instance seals is under B.
    const fresh = await post(rotating.url, '/auth/signup', { email: address('fresh'), password: PASSWORD });
    expect(fresh.user?.id).toEqual(expect.any(String));

    // The reseal, while the server runs: everything under B, the check value B's.
    const reseal = await runNode(
      'cli.js',
      ['task', 'reseal-encrypted-data'],
      { ...envOf(database, { ENCRYPTION_KEY: B, ENCRYPTION_KEY_PREVIOUS: A }), LOG_LEVEL: 'silent' },
      60_000,
    );
    expect(reseal.code).toBe(0);
    expect(JSON.parse(reseal.stdout)).toMatchObject({
      task: 'reseal-encrypted-data',
      status: 'done',
      result: { resealed: 2, remaining: 0, unreadable: 0, keyRecorded: true },
    });
    expect(new Set(await sealedPrefixes())).toEqual(new Set([prefixB.toString('hex')]));
    expect(await recorded(database)).toEqual([keyCheckValue(KEY_B)]);
    // The held mail's recipient tag was recomputed under B: an erasure under B alone finds it.
    const [{ tag }] = await query<{ tag: Buffer }>(
      database,
      'SELECT recipient_tag AS tag FROM mail_outbox WHERE sent_at IS NULL AND attempts >= 2',
    );
    const addressHash = createHash('sha256').update(held, 'utf8').digest('hex');
    expect(tag.equals(new Cipher(KEY_B).tag(addressHash, 'mail-recipient'))).toBe(true);
    // Idempotent: a second run finds nothing to do.
    const again = await runNode(
      'cli.js',
      ['task', 'reseal-encrypted-data'],
      { ...envOf(database, { ENCRYPTION_KEY: B, ENCRYPTION_KEY_PREVIOUS: A }), LOG_LEVEL: 'silent' },
      60_000,
    );
    expect(JSON.parse(again.stdout)).toMatchObject({ result: { resealed: 0, remaining: 0, keyRecorded: true } });
    expect(await rotating.server.stop()).toBe(0);

    // B alone: the resealed mail goes out, the resealed TOTP secret signs in.
    mail.rejectRecipients.delete(held);
    await query(database, 'UPDATE mail_outbox SET next_attempt_at = now() WHERE sent_at IS NULL');
    const onlyB = await start(envOf(database, { ENCRYPTION_KEY: B }));
    await query(database, 'NOTIFY mail_outbox');
    await mail.waitFor((m) => m.to === held && m.subject.includes('Verify'), 1, 15_000);
    await post(onlyB.url, '/auth/login', {
      email: totpUser,
      password: PASSWORD,
      totpCode: code(setup.secret!, 1),
    });
    expect(await onlyB.server.stop()).toBe(0);

    // A alone: refused.
    expectRefusal(await runNode('main.js', [], { ...envOf(database, { ENCRYPTION_KEY: A }), PORT: '0' }));
  }, 120_000);
});

let addresses = 0;
function address(prefix: string): string {
  addresses += 1;
  return `${prefix}${addresses}-${Date.now().toString(36)}@example.com`;
}

/** The fields of the answers the spec reads. */
interface Answer {
  session?: { token: string };
  user?: { id: string };
  secret?: string;
}

async function post(base: string, path: string, body: Record<string, unknown>, token?: string): Promise<Answer> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? bearer(token) : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`POST ${path} answered ${response.status}: ${text}`);
  return text ? (JSON.parse(text) as Answer) : {};
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
