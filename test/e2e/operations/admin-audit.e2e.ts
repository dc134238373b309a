import { AuditService } from '../../../src/audit/audit.service';
import { createAdminKey, TestAdminKey } from '../../support/admin';
import { startTestApp, TestApp } from '../../support/test-app';
import { bearer, logIn, signUpVerified } from '../../support/users';

interface AuditRow {
  id: string;
  action: string;
  actorId: string | null;
  ip: string | null;
  userAgent: string | null;
  target: string | null;
  details: Record<string, unknown> | null;
  createdAt: string;
}

interface AuditPage {
  data: AuditRow[];
  nextCursor: string | null;
}

/** The audit log, readable at last: filters, keyset pages, newest first. */
describe('admin API: audit log', () => {
  let t: TestApp;
  let auditor: TestAdminKey;

  beforeAll(async () => {
    t = await startTestApp();
    auditor = await createAdminKey(t, 'audit:read');
  });
  afterAll(() => t.close());

  const page = async (query: string): Promise<AuditPage> =>
    (await t.http.get(`/admin/audit?${query}`).set(bearer(auditor.key)).expect(200)).body;

  /** Every row a filter selects, page by page, following nextCursor. */
  const all = async (query: string, limit: number, between?: () => Promise<unknown>) => {
    const rows: AuditRow[] = [];
    let cursor: string | null = null;
    do {
      const res: AuditPage = await page(`${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      rows.push(...res.data);
      cursor = res.nextCursor;
      await between?.();
    } while (cursor);
    return rows;
  };

  it('answers rows newest first with the contract fields; a user filter finds what they did and what was done to them', async () => {
    const user = await signUpVerified(t);
    t.clock.advance(1000);
    await logIn(t, user.email, { headers: { 'User-Agent': 'audit-test-agent' } });
    const rows = await all(`userId=${user.id}`, 2);
    expect(rows.map((row) => row.action)).toEqual(['user.login', 'user.email_verified', 'user.signup']);
    expect(rows[0]).toEqual({
      id: expect.stringMatching(/^\d+$/),
      action: 'user.login',
      actorId: user.id,
      ip: expect.any(String),
      userAgent: 'audit-test-agent',
      target: expect.stringMatching(/^session:/),
      details: null,
      createdAt: t.clock.now().toISOString(),
    });
    const ids = rows.map((row) => BigInt(row.id));
    expect([...ids].sort((a, b) => (a > b ? -1 : 1))).toEqual(ids);
    // Rows naming them only in the details count too.
    const other = await signUpVerified(t);
    await t.app.get(AuditService).record({
      action: 'org.member_added',
      actor: { id: other.id, email: other.email },
      target: 'org:11111111-1111-4111-8111-111111111111',
      details: { userId: user.id },
    });
    expect((await page(`userId=${user.id}&limit=1`)).data[0]).toMatchObject({
      action: 'org.member_added',
      actorId: other.id,
    });
  });

  it('pages without gaps or duplicates while rows are written between pages', async () => {
    const user = await signUpVerified(t);
    for (let i = 0; i < 8; i++) await logIn(t, user.email);
    const before = await all(`userId=${user.id}`, 100);
    expect(before.length).toBe(10);
    const seen = await all(`userId=${user.id}`, 3, () => logIn(t, user.email));
    expect(seen.map((row) => row.id)).toEqual(before.map((row) => row.id));
    // The rows written meanwhile are newer than the first page and lead a fresh read.
    const fresh = await page(`userId=${user.id}&limit=100`);
    expect(fresh.data).toHaveLength(before.length + 4);
    expect(fresh.data.slice(4).map((row) => row.id)).toEqual(before.map((row) => row.id));
  });

  it('filters by organization, action and time window', async () => {
    const owner = await signUpVerified(t);
    const org = await t.http.post('/orgs').set(bearer(owner.token)).send({ name: 'Audited' }).expect(201);
    await t.http.patch(`/orgs/${org.body.id}`).set(bearer(owner.token)).send({ name: 'Audited 2' }).expect(200);
    const orgRows = await all(`orgId=${org.body.id}`, 100);
    expect(orgRows.map((row) => row.action)).toEqual(['org.renamed', 'org.created']);

    const start = t.clock.now();
    t.clock.advance(60_000);
    const late = await signUpVerified(t);
    t.clock.advance(30_000);
    const middle = t.clock.now();
    t.clock.advance(30_000);
    await logIn(t, late.email);
    const window = await all(
      `userId=${late.id}&since=${encodeURIComponent(middle.toISOString())}&until=${encodeURIComponent(
        new Date(t.clock.now().getTime() + 1).toISOString(),
      )}`,
      100,
    );
    expect(window.map((row) => row.action)).toEqual(['user.login']);
    const untilMiddle = await all(`userId=${late.id}&until=${encodeURIComponent(middle.toISOString())}`, 100);
    expect(untilMiddle.map((row) => row.action)).toEqual(['user.email_verified', 'user.signup']);
    expect(await all(`userId=${late.id}&until=${encodeURIComponent(start.toISOString())}`, 100)).toEqual([]);
    const logins = await all(`userId=${late.id}&action=user.login`, 100);
    expect(logins.map((row) => row.action)).toEqual(['user.login']);
  });

  it('shows admin calls with the key as actor', async () => {
    await page('limit=1');
    const [row] = (await page(`action=admin.request&limit=1`)).data;
    expect(row).toMatchObject({
      actorId: null,
      details: { adminKeyId: auditor.id, method: 'GET', route: '/admin/audit', status: 200 },
    });
  });

  it('refuses bad filters, a limit over 100 and a cursor it did not give with 400', async () => {
    for (const query of [
      'userId=not-a-uuid',
      'orgId=42',
      'action=DROP TABLE',
      'action=login',
      'since=yesterday',
      'until=2026-13-01T00:00:00Z',
      'since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z',
      'limit=101',
      'limit=-1',
      'cursor=abc',
      `cursor=${Buffer.from('["0"]').toString('base64url')}`,
      `cursor=${Buffer.from('["99999999999999999999"]').toString('base64url')}`,
      `cursor=${Buffer.from('[1]').toString('base64url')}`,
      'actorEmail=a@example.com',
    ]) {
      const res = await t.http.get(`/admin/audit?${query}`).set(bearer(auditor.key));
      expect([query, res.status, res.body.error]).toEqual([query, 400, 'validation_failed']);
    }
  });

  it('needs audit:read', async () => {
    const reader = await createAdminKey(t, 'users:read,users:write');
    const res = await t.http.get('/admin/audit').set(bearer(reader.key)).expect(403);
    expect(res.body.error).toBe('insufficient_scope');
  });
});
