import { TransactionHost } from '../../../src/database/transactions';
import { MailDelivery, OutboxService } from '../../../src/mail';
import { MAX_ATTEMPTS } from '../../../src/mail/mail-delivery.service';
import { TaskRunner } from '../../../src/tasks';
import { startTestApp, TestApp } from '../../support/test-app';

const RESET_URL = 'http://localhost:3000/reset-password?token=secret-token-value';

describe('mail outbox', () => {
  let t: TestApp;
  let outbox: OutboxService;
  let txHost: TransactionHost;

  const queue = (to: string, inTransaction?: () => Promise<void>) =>
    txHost.withTransaction(async () => {
      await outbox.enqueue(to, 'password-reset', { resetUrl: RESET_URL, expiresInMinutes: 60 });
      await inTransaction?.();
    });
  const rows = () =>
    t.dataSource.query<
      Array<{ payload: Buffer | null; attempts: number; sent_at: Date | null; last_error: string | null }>
    >('SELECT payload, attempts, sent_at, last_error FROM mail_outbox ORDER BY id');

  let logs: string[];

  beforeEach(async () => {
    logs = [];
    t = await startTestApp({ env: { LOG_LEVEL: 'warn' }, logs });
    outbox = t.app.get(OutboxService);
    txHost = t.app.get(TransactionHost);
  });
  afterEach(() => t.close());

  it('sends a committed mail right after commit, with an HTML and a text part, and scrubs it', async () => {
    await queue('alice@example.com');
    const [mail] = await t.mail.waitFor((m) => m.to === 'alice@example.com', 1, 1000);
    expect(mail.subject).toContain('Reset');
    expect(mail.text).toContain(RESET_URL);
    expect(mail.html.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&')).toContain(`href="${RESET_URL}"`);
    const [row] = await waitForRow(
      () => rows(),
      (r) => r.sent_at !== null,
    );
    expect(row.payload).toBeNull();
  });

  it('sends nothing for a rolled-back transaction', async () => {
    await expect(queue('bob@example.com', async () => Promise.reject(new Error('rollback')))).rejects.toThrow(
      'rollback',
    );
    await t.app.get(MailDelivery).deliverDue();
    expect(await rows()).toHaveLength(0);
    expect(t.mail.messages).toHaveLength(0);
  });

  it('never keeps the mail in clear', async () => {
    await t.mail.down();
    await queue('carol@example.com');
    await waitForRow(
      () => rows(),
      // The failure is recorded (not merely the claim).
      (r) => r.last_error !== null,
    );
    const dump = JSON.stringify(await t.dataSource.query('SELECT * FROM mail_outbox'));
    const [row] = await rows();
    expect(row.payload).toBeInstanceOf(Buffer);
    for (const clear of ['secret-token-value', 'carol@example.com', 'Reset your password']) {
      expect(dump).not.toContain(clear);
      expect(row.payload!.toString('latin1')).not.toContain(clear);
    }
  });

  it('loses nothing while SMTP is down and delivers every mail once when it is back', async () => {
    await t.mail.down();
    const recipients = Array.from({ length: 25 }, (_, i) => `user${i}@example.com`);
    for (const to of recipients) await queue(to);
    await waitForRow(
      () => rows(),
      // The failure is recorded (not merely the claim).
      (r) => r.last_error !== null,
      recipients.length,
    );
    const pending = await rows();
    expect(pending.every((r) => r.sent_at === null && r.last_error !== null)).toBe(true);

    // Back up; nothing is due until the backoff has passed.
    await t.mail.up();
    const runner = t.app.get(TaskRunner);
    const early = await runner.run('deliver-mail');
    expect(early).toMatchObject({ status: 'done', result: { sent: 0 } });

    t.clock.advance(60_000);
    // Two deliverers at once (say, two instances' relays) still send each mail once.
    const delivery = t.app.get(MailDelivery);
    const [a, b] = await Promise.all([delivery.deliverDue(), delivery.deliverDue()]);
    expect(a.sent + b.sent).toBe(recipients.length);
    const again = await runner.run('deliver-mail');
    expect(again).toMatchObject({ status: 'done', result: { sent: 0, failed: 0 } });

    expect(t.mail.messages.map((m) => m.to).sort()).toEqual([...recipients].sort());
    expect((await rows()).every((r) => r.sent_at !== null && r.payload === null)).toBe(true);
  });

  it('backs off between failed attempts', async () => {
    await t.mail.down();
    await queue('dave@example.com');
    await waitForRow(
      () => rows(),
      (r) => r.last_error !== null,
    );
    const delivery = t.app.get(MailDelivery);
    t.clock.advance(29_000);
    expect(await delivery.deliverDue()).toEqual({ sent: 0, failed: 0 });
    t.clock.advance(2_000);
    expect(await delivery.deliverDue()).toEqual({ sent: 0, failed: 1 });
    // The second failure waits twice as long.
    t.clock.advance(59_000);
    expect(await delivery.deliverDue()).toEqual({ sent: 0, failed: 0 });
    t.clock.advance(2_000);
    await t.mail.up();
    expect(await delivery.deliverDue()).toEqual({ sent: 1, failed: 0 });
  });

  const failures = () =>
    t.dataSource.query<Array<{ payload: Buffer | null; attempts: number; failed_at: Date | null; last_error: string }>>(
      'SELECT payload, attempts, failed_at, last_error FROM mail_outbox ORDER BY id',
    );

  it('gives a mail up after a permanent refusal (5xx) and never tries it again', async () => {
    t.mail.rejectRecipients.set('gone@example.com', 550);
    await queue('gone@example.com');
    const [row] = await waitForRow(failures, (r) => r.failed_at !== null);
    expect(row).toMatchObject({ attempts: 1, payload: null });
    expect(row.last_error).toContain('550');
    t.mail.rejectRecipients.clear();
    t.clock.advance(24 * 3600_000);
    expect(await t.app.get(MailDelivery).deliverDue()).toEqual({ sent: 0, failed: 0 });
    expect(t.mail.messages).toHaveLength(0);
    expect((await failures())[0].attempts).toBe(1);
    expect(logs.join('\n')).toMatch(/mail refused for good/);
    expect(logs.join('\n')).not.toContain('secret-token-value');
  });

  it('keeps retrying a temporary refusal (4xx) until it goes through', async () => {
    t.mail.rejectRecipients.set('busy@example.com', 450);
    await queue('busy@example.com');
    await waitForRow(
      () => rows(),
      (r) => r.last_error !== null,
    );
    const delivery = t.app.get(MailDelivery);
    t.clock.advance(31_000);
    expect(await delivery.deliverDue()).toEqual({ sent: 0, failed: 1 });
    expect((await failures())[0].failed_at).toBeNull();
    t.mail.rejectRecipients.clear();
    t.clock.advance(61_000);
    expect(await delivery.deliverDue()).toEqual({ sent: 1, failed: 0 });
  });

  it(`gives a mail up after ${MAX_ATTEMPTS} failed attempts`, async () => {
    await t.mail.down();
    await queue('nobody-home@example.com');
    await waitForRow(
      () => rows(),
      (r) => r.last_error !== null,
    );
    const delivery = t.app.get(MailDelivery);
    for (let attempt = 2; attempt <= MAX_ATTEMPTS; attempt++) {
      t.clock.advance(3600_000);
      expect(await delivery.deliverDue()).toEqual({ sent: 0, failed: 1 });
    }
    const [row] = await failures();
    expect(row).toMatchObject({ attempts: MAX_ATTEMPTS, payload: null });
    expect(row.failed_at).not.toBeNull();
    await t.mail.up();
    t.clock.advance(3600_000);
    expect(await delivery.deliverDue()).toEqual({ sent: 0, failed: 0 });
    expect(t.mail.messages).toHaveLength(0);
    expect(logs.join('\n')).toMatch(/given up after too many attempts/);
    // Given-up rows go with the delivered ones.
    t.clock.advance(8 * 24 * 3600_000);
    expect(await t.app.get(TaskRunner).run('deliver-mail')).toMatchObject({ result: { pruned: 1 } });
  });

  it('prunes delivered rows after a week', async () => {
    await queue('erin@example.com');
    await t.mail.waitFor((m) => m.to === 'erin@example.com');
    await waitForRow(
      () => rows(),
      (r) => r.sent_at !== null,
    );
    const runner = t.app.get(TaskRunner);
    expect(await runner.run('deliver-mail')).toMatchObject({ result: { pruned: 0 } });
    t.clock.advance(8 * 24 * 3600_000);
    expect(await runner.run('deliver-mail')).toMatchObject({ result: { pruned: 1 } });
    expect(await rows()).toHaveLength(0);
  });
});

async function waitForRow<T>(
  read: () => Promise<T[]>,
  predicate: (row: T) => boolean,
  count = 1,
  timeoutMs = 5000,
): Promise<T[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = (await read()).filter(predicate);
    if (found.length >= count) return found;
    if (Date.now() > deadline) throw new Error(`expected ${count} row(s) to match within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
