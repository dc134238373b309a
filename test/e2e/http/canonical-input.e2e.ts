import * as argon2 from 'argon2';
import { CanonicalEmails1796100000000 } from '../../../migrations/1796100000000-CanonicalEmails';
import { LegacyEmailsNfc1796400000000 } from '../../../migrations/1796400000000-LegacyEmailsNfc';
import { startTestApp, TEST_PASSWORD_HASHING, TestApp } from '../../support/test-app';
import { bearer, confirmPassword, PASSWORD, signUp } from '../../support/users';

let counter = 0;
const unique = () => `canon${++counter}-${Date.now().toString(36)}`;

describe('one spelling per address and per password', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  describe('addresses', () => {
    it('stores an internationalised domain in IDNA ASCII: both spellings are one account', async () => {
      const local = unique();
      const user = await signUp(t, `${local}@Bücher.example`);
      expect(user.email).toBe(`${local}@xn--bcher-kva.example`);
      const again = await t.http
        .post('/auth/signup')
        .send({ email: `${local}@xn--bcher-kva.example`, password: PASSWORD })
        .expect(409);
      expect(again.body.error).toBe('email_taken');
      await t.http
        .post('/auth/login')
        .send({ email: `${local}@bücher.example`, password: PASSWORD })
        .expect(200);
    });

    it('takes NFC and NFD spellings of a domain as one address', async () => {
      const local = unique();
      await signUp(t, `${local}@b\u00fccher.example`);
      const nfd = await t.http
        .post('/auth/signup')
        .send({ email: `${local}@bu\u0308cher.example`, password: PASSWORD })
        .expect(409);
      expect(nfd.body.error).toBe('email_taken');
    });

    it.each([
      ['a control character', (l: string) => `${l}\u0001b@example.com`],
      ['a quoted local part with CR/LF', (l: string) => `"${l}\r\nx"@example.com`],
      ['a quoted local part with a space', (l: string) => `"${l} x"@example.com`],
      ['a non-ASCII local part', (l: string) => `${l}ü@example.com`],
      ['a lone surrogate', (l: string) => `${l}\ud800@example.com`],
      ['a domain that is no host name', (l: string) => `${l}@xn--.example`],
      ['a local part over 64 characters', () => `${'a'.repeat(65)}@example.com`],
    ])('refuses %s with 400 naming the field', async (_, make) => {
      const res = await t.http
        .post('/auth/signup')
        .send({ email: make(unique()), password: PASSWORD })
        .expect(400);
      expect(res.body.error).toBe('validation_failed');
      expect(res.body.details.map((d: { field: string }) => d.field)).toEqual(['email']);
    });

    it('refuses such an address as a new address too', async () => {
      const user = await signUp(t);
      const token = await confirmPassword(t, user.token);
      const res = await t.http.post('/me/email').set(bearer(token)).send({ email: `"x y"@example.com` }).expect(400);
      expect(res.body.error).toBe('validation_failed');
      expect(res.body.details[0].field).toBe('email');
    });
  });

  describe('rows stored before', () => {
    it('are rewritten to the canonical form unless another account holds it', async () => {
      const [a, b, c] = [unique(), unique(), unique()];
      const insert = (email: string) =>
        t.dataSource.query(`INSERT INTO users (email, created_at, updated_at) VALUES ($1, now(), now()) RETURNING id`, [
          email,
        ]) as Promise<Array<{ id: string }>>;
      const [{ id: idnId }] = await insert(`${a}@bücher.example`);
      const [{ id: nfdId }] = await insert(`${b}@bu\u0308cher.example`);
      const [{ id: clashId }] = await insert(`${c}@bücher.example`);
      await insert(`${c}@xn--bcher-kva.example`);
      const runner = t.dataSource.createQueryRunner();
      try {
        await new CanonicalEmails1796100000000().up(runner);
      } finally {
        await runner.release();
      }
      const emailOf = async (id: string) =>
        ((await t.dataSource.query('SELECT email FROM users WHERE id = $1', [id])) as Array<{ email: string }>)[0]
          .email;
      expect(await emailOf(idnId)).toBe(`${a}@xn--bcher-kva.example`);
      expect(await emailOf(nfdId)).toBe(`${b}@xn--bcher-kva.example`);
      expect(await emailOf(clashId)).toBe(`${c}@bücher.example`);
    });

    it('with no canonical form are kept, in NFC, so their owners still sign in and can move to a valid address', async () => {
      const local = unique();
      // A non-ASCII local part, no longer accepted, stored decomposed (NFD) before addresses were normalised.
      const stored = `jo\u0308rg-${local}@example.com`;
      const hash = await argon2.hash(PASSWORD, { type: argon2.argon2id, ...TEST_PASSWORD_HASHING });
      const [{ id }] = (await t.dataSource.query(
        `INSERT INTO users (email, password_hash, email_verified_at, created_at, updated_at)
         VALUES ($1, $2, now(), now(), now()) RETURNING id`,
        [stored, hash],
      )) as Array<{ id: string }>;
      const typed = stored.normalize('NFC');
      await t.http.post('/auth/login').send({ email: typed, password: PASSWORD }).expect(401);
      for (const migration of [new CanonicalEmails1796100000000(), new LegacyEmailsNfc1796400000000()]) {
        const runner = t.dataSource.createQueryRunner();
        try {
          await migration.up(runner);
        } finally {
          await runner.release();
        }
      }
      const [{ email }] = await t.dataSource.query('SELECT email FROM users WHERE id = $1', [id]);
      expect(email).toBe(typed);
      await t.http.post('/auth/login').send({ email: stored, password: PASSWORD }).expect(200);
      const login = await t.http.post('/auth/login').send({ email: typed, password: PASSWORD }).expect(200);
      const token = await confirmPassword(t, login.body.session.token);
      await t.http
        .post('/me/email')
        .set(bearer(token))
        .send({ email: `joerg-${local}@example.com` })
        .expect(200);
    });
  });

  describe('passwords', () => {
    // "Ångström-Kaffee-42": Å and ö precomposed (NFC) or as base letter + combining mark (NFD).
    const NFC = '\u00c5ngstr\u00f6m-Kaffee-Tasse-42';
    const NFD = 'A\u030angstro\u0308m-Kaffee-Tasse-42';

    it('a password set in NFD signs in with its NFC spelling', async () => {
      const email = `${unique()}@example.com`;
      await signUp(t, email, NFD);
      await t.http.post('/auth/login').send({ email, password: NFC }).expect(200);
      await t.http.post('/auth/login').send({ email, password: NFD }).expect(200);
    });

    it('a password set in NFC signs in with its NFD spelling', async () => {
      const email = `${unique()}@example.com`;
      await signUp(t, email, NFC);
      await t.http.post('/auth/login').send({ email, password: NFD }).expect(200);
    });

    it('a hash made before normalisation of an NFD password still signs in, and is made again from NFC', async () => {
      const email = `${unique()}@example.com`;
      const user = await signUp(t, email, NFC);
      const legacy = await argon2.hash(NFD, { type: argon2.argon2id, ...TEST_PASSWORD_HASHING });
      await t.dataSource.query('UPDATE users SET password_hash = $2 WHERE id = $1', [user.id, legacy]);
      // The old spelling only: the NFC form never matched this hash.
      await t.http.post('/auth/login').send({ email, password: NFC }).expect(401);
      await t.http.post('/auth/login').send({ email, password: NFD }).expect(200);
      const [{ password_hash: upgraded }] = await t.dataSource.query('SELECT password_hash FROM users WHERE id = $1', [
        user.id,
      ]);
      expect(upgraded).not.toBe(legacy);
      expect(await argon2.verify(upgraded, NFC)).toBe(true);
      await t.http.post('/auth/login').send({ email, password: NFC }).expect(200);
    });
  });
});
