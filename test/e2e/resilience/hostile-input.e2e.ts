import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { startTestApp, TestApp } from '../../support/test-app';
import { PASSWORD, uniqueEmail } from '../../support/users';

/** `{"name": [[[…]]]}` with `depth` levels in all, the body's own object included. */
function nested(depth: number, key = 'name'): string {
  return `{"${key}":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
}

describe('Hostile input: 400 with the error body, never a 500', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const json = (path: string, body: string | Buffer) =>
    t.http
      .post(path)
      .set('Content-Type', 'application/json')
      .serialize((x) => x)
      .send(body);

  it.each(['/auth/signup', '/auth/login', '/auth/password/forgot', '/auth/password/reset'])(
    'refuses JSON nested 5000 deep on %s with 400 validation_failed, before validation',
    async (path) => {
      const res = await json(path, nested(5000)).expect(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'validation_failed',
        message: expect.any(String),
        details: [{ field: '', problems: ['the body must not nest deeper than 32 levels'] }],
      });
    },
  );

  it('reads 32 levels, refuses 33, and counts no bracket inside a string', async () => {
    const at32 = await json('/auth/password/forgot', nested(32, 'email')).expect(400);
    expect(at32.body.details[0]).toMatchObject({ field: 'email' });
    const at33 = await json('/auth/password/forgot', nested(33, 'email')).expect(400);
    expect(at33.body.details).toEqual([{ field: '', problems: [expect.stringContaining('32 levels')] }]);
    const inString = await json('/auth/password/forgot', `{"email":"${'[{'.repeat(100)}\\"[[[@example.com"}`);
    expect(inString.status).toBe(400);
    expect(inString.body.details[0].field).toBe('email');
  });

  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ])('inflates a %s body, and answers one that is not compressed with 400', async (encoding, compress) => {
    const body = JSON.stringify({ email: uniqueEmail(), password: 'wrong-password' });
    const inflated = await json('/auth/login', compress(body)).set('Content-Encoding', encoding).expect(401);
    expect(inflated.body.error).toBe('invalid_credentials');
    for (const path of ['/auth/signup', '/auth/login', '/auth/password/forgot']) {
      const res = await json(path, body).set('Content-Encoding', encoding).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'validation_failed', message: expect.any(String) });
    }
  });

  it.each([
    ['signup', '/auth/signup', { email: 'a\ud800@example.com', password: PASSWORD }, 'email'],
    ['forgot', '/auth/password/forgot', { email: 'a\udfff@example.com' }, 'email'],
    ['login', '/auth/login', { email: 'a@example.com', password: `x\ud800` }, 'password'],
    ['a name', '/auth/signup', { email: 'b@example.com', password: PASSWORD, name: '\ud83d' }, 'name'],
    ['a key', '/auth/password/forgot', { email: 'c@example.com', '\udc00': 1 }, '\udc00'],
  ])('refuses a lone surrogate in %s with 400 validation_failed', async (_, path, body, field) => {
    const res = await json(path, JSON.stringify(body)).expect(400);
    expect(res.body).toMatchObject({ error: 'validation_failed', details: [{ field }] });
  });

  it('takes characters outside the BMP (surrogate pairs) as they are', async () => {
    const email = uniqueEmail();
    const res = await json('/auth/signup', JSON.stringify({ email, password: PASSWORD, name: 'Ana 😀' })).expect(201);
    expect(res.body.user.name).toBe('Ana 😀');
  });
});
