import { TaskRunner } from '../../../src/tasks';
import { startTestApp, TestApp } from '../../support/test-app';
import { totpCode } from '../../support/totp';
import { bearer, PASSWORD, signUp, verificationToken } from '../../support/users';

describe('logs', () => {
  const logs: string[] = [];
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { LOG_LEVEL: 'trace' }, logs });
  });
  afterAll(() => t.close());

  it('are JSON lines with a request id, and never hold a password, token, cookie, code or mail body', async () => {
    const user = await signUp(t);
    const verifyToken = await verificationToken(t, user.email);
    await t.http.post('/auth/verify-email').send({ token: verifyToken }).expect(200);
    await t.http.get('/me').set('Cookie', `sid=${user.token}`).expect(200);
    const setup = await t.http.post('/me/2fa/totp/setup').set(bearer(user.token)).expect(200);
    const code = totpCode(setup.body.secret, t.clock);
    const enabled = await t.http.post('/me/2fa/totp/enable').set(bearer(user.token)).send({ code }).expect(200);
    await t.http.post('/auth/login').send({ email: user.email, password: 'Wrong-password-1' }).expect(401);
    await t.http.post('/auth/password/forgot').send({ email: user.email }).expect(202);
    const [reset] = await t.mail.waitFor((m) => m.to === user.email && m.subject.includes('Reset'));
    const resetToken = /token=([A-Za-z0-9_-]+)/.exec(reset.text)![1];
    const key = await t.http.post('/me/api-keys').set(bearer(user.token)).send({ name: 'k' }).expect(201);
    await t.http.get('/me?token=secret-in-query').set(bearer(key.body.key)).expect(200);
    await t.http.get('/crash-free-404').set('X-Request-Id', 'trace-me-42').expect(404);

    expect(logs.length).toBeGreaterThan(5);
    const entries = logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    const requests = entries.filter((e) => e.req);
    expect(requests.some((e) => (e.req as { id: string }).id === 'trace-me-42')).toBe(true);
    const all = logs.join('\n');
    const secrets = [
      PASSWORD,
      'Wrong-password-1',
      user.token,
      verifyToken,
      resetToken,
      setup.body.secret,
      code,
      key.body.key,
      ...enabled.body.recoveryCodes,
      'secret-in-query',
      'Reset your password',
    ];
    for (const secret of secrets) expect({ secret, found: all.includes(secret) }).toEqual({ secret, found: false });
  });

  it("keep Nest's routine lines and idle task runs at debug", async () => {
    const entries = logs.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.filter((e) => e.context === 'RouterExplorer').map((e) => e.level)).toContainEqual('debug');
    expect(entries.filter((e) => e.context === 'RouterExplorer' && e.level !== 'debug')).toEqual([]);
    const before = logs.length;
    await t.app.get(TaskRunner).run('purge-rate-limits');
    expect(logs.slice(before).map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ level: 'debug', task: 'purge-rate-limits', msg: 'task done' }),
    ]);
  });
});

describe('logs at info', () => {
  const logs: string[] = [];
  const printed: string[] = [];
  let t: TestApp;
  let write: jest.SpyInstance;
  beforeAll(async () => {
    // Development without SMTP_URL: mail is printed to the output instead of sent.
    write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    });
    t = await startTestApp({ env: { LOG_LEVEL: 'info', NODE_ENV: 'development', SMTP_URL: '' }, logs });
  });
  afterAll(async () => {
    try {
      await t?.close();
    } finally {
      // The specs after this one in the same Jest file write to the real output again.
      write.mockRestore();
    }
  });
  const entries = () => logs.map((line) => JSON.parse(line) as Record<string, unknown>);

  it("leave out Nest's routine start-up lines and the runs of tasks that did nothing", async () => {
    expect(entries().filter((e) => e.context === 'RouterExplorer' || e.context === 'InstanceLoader')).toEqual([]);
    const before = logs.length;
    const outcome = await t.app.get(TaskRunner).run('purge-rate-limits');
    expect(outcome).toMatchObject({ status: 'done', result: { deleted: 0 } });
    expect(logs.slice(before)).toEqual([]);
  });

  it('print a development mail readably: headers, a blank line, then the text body', async () => {
    const user = await signUp(t);
    await waitFor(() => printed.some((chunk) => chunk.includes(`To: ${user.email}`)));
    const mail = printed.find((chunk) => chunk.includes(`To: ${user.email}`))!;
    expect(mail).toMatch(
      new RegExp(
        `development mail \\(SMTP_URL is unset\\)\\nFrom: Auth <no-reply@localhost>\\nTo: ${user.email}\\nSubject: [^\\n]*Verify[^\\n]*\\nDate: [^\\n]+\\n\\n`,
      ),
    );
    expect(mail).toMatch(/\nhttp:\/\/localhost:3000\/verify-email\?token=[A-Za-z0-9_-]+\n/);
    expect(mail).not.toContain('\\n');
  });
});

async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
