import { existsSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import type { Browser, CDPSession, Page } from 'puppeteer-core';
import { launch } from 'puppeteer-core';
import { DomainError } from '../../../src/common/errors';
import { PasskeysService } from '../../../src/passkeys/passkeys.service';
import { TaskRunner } from '../../../src/tasks';
import type { AssertionCheck } from '../../../src/passkeys/passkeys.service';
import { startTestApp, TestApp } from '../../support/test-app';
import { bearer, confirmPassword, enableTotp, signUp, SignedUp, uniqueEmail } from '../../support/users';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(existsSync);
if (!CHROMIUM) {
  process.stderr.write('passkeys: no Chromium binary (apt-get install -y chromium); the ceremonies are skipped\n');
}
const inBrowser = CHROMIUM ? describe : describe.skip;

type Json = Record<string, unknown>;
/** An AuthenticationResponseJSON as the page answers it. */
type Answer = Json & { response: Json };

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * `navigator.credentials.create()` in the page with the API's options, answered as
 * RegistrationResponseJSON (or `{ error }` with the DOMException's name). Runs in the browser:
 * everything it uses is defined inside.
 */
function createInPage(options: Json): Promise<Json> {
  const decode = (text: string) =>
    Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const encode = (buffer: ArrayBuffer) =>
    btoa(String.fromCharCode(...new Uint8Array(buffer)))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '');
  const o = options as unknown as PublicKeyCredentialCreationOptionsJSON;
  const publicKey: PublicKeyCredentialCreationOptions = {
    ...(o as unknown as PublicKeyCredentialCreationOptions),
    challenge: decode(o.challenge),
    user: { ...o.user, id: decode(o.user.id) },
    excludeCredentials: (o.excludeCredentials ?? []).map((c) => ({
      ...c,
      id: decode(c.id),
    })) as PublicKeyCredentialDescriptor[],
  };
  return navigator.credentials.create({ publicKey }).then(
    (created) => {
      const credential = created as PublicKeyCredential;
      const response = credential.response as AuthenticatorAttestationResponse;
      return {
        id: credential.id,
        rawId: encode(credential.rawId),
        type: credential.type,
        response: {
          clientDataJSON: encode(response.clientDataJSON),
          attestationObject: encode(response.attestationObject),
          transports: response.getTransports(),
        },
        clientExtensionResults: credential.getClientExtensionResults(),
        authenticatorAttachment: credential.authenticatorAttachment,
      };
    },
    (error: DOMException) => ({ error: error.name }),
  );
}

/** `navigator.credentials.get()` in the page, answered as AuthenticationResponseJSON. */
function getInPage(options: Json): Promise<Json> {
  const decode = (text: string) =>
    Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const encode = (buffer: ArrayBuffer) =>
    btoa(String.fromCharCode(...new Uint8Array(buffer)))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '');
  const o = options as unknown as PublicKeyCredentialRequestOptionsJSON;
  const publicKey: PublicKeyCredentialRequestOptions = {
    ...(o as unknown as PublicKeyCredentialRequestOptions),
    challenge: decode(o.challenge),
    allowCredentials: (o.allowCredentials ?? []).map((c) => ({
      ...c,
      id: decode(c.id),
    })) as PublicKeyCredentialDescriptor[],
  };
  return navigator.credentials.get({ publicKey }).then(
    (got) => {
      const credential = got as PublicKeyCredential;
      const response = credential.response as AuthenticatorAssertionResponse;
      return {
        id: credential.id,
        rawId: encode(credential.rawId),
        type: credential.type,
        response: {
          clientDataJSON: encode(response.clientDataJSON),
          authenticatorData: encode(response.authenticatorData),
          signature: encode(response.signature),
          ...(response.userHandle ? { userHandle: encode(response.userHandle) } : {}),
        },
        clientExtensionResults: credential.getClientExtensionResults(),
        authenticatorAttachment: credential.authenticatorAttachment,
      };
    },
    (error: DOMException) => ({ error: error.name }),
  );
}

/** The whole registration as a web page does it: options, the authenticator, the answer, with fetch. */
function registerInPage({ token, name }: { token: string; name: string }): Promise<{ status: number; body: Json }> {
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
  return (async () => {
    const started = await fetch('/me/passkeys/options', {
      method: 'POST',
      headers: { Authorization: headers.Authorization },
    });
    const { challengeId, options } = (await started.json()) as { challengeId: string; options: Json };
    const response = await (window as unknown as { createInPage: (o: Json) => Promise<Json> }).createInPage(options);
    const finished = await fetch('/me/passkeys', {
      method: 'POST',
      headers,
      body: JSON.stringify({ challengeId, response, name }),
    });
    return { status: finished.status, body: (await finished.json()) as Json };
  })();
}

describe('passkeys', () => {
  let t: TestApp;
  let appUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    // An IP address cannot be a relying party: the service is reached as localhost.
    appUrl = `http://localhost:${port}`;
    t = await startTestApp({ env: { APP_URL: appUrl } });
    await t.app.listen({ port, host: '127.0.0.1' });
  });
  afterAll(() => t.close());

  async function signUpVerified(): Promise<SignedUp> {
    const user = await signUp(t, uniqueEmail('passkey'));
    const mails = await t.mail.waitFor((m) => m.to === user.email && m.subject.includes('Verify'));
    const token = /verify-email\?token=([A-Za-z0-9_-]+)/.exec(mails.at(-1)!.text)![1];
    await t.http.post('/auth/verify-email').send({ token }).expect(200);
    return user;
  }

  it('answers registration options only to a verified, recently confirmed session', async () => {
    const unverified = await signUp(t, uniqueEmail('passkey'));
    await t.http
      .post('/me/passkeys/options')
      .set(bearer(unverified.token))
      .expect(403, /email_not_verified/);
    const user = await signUpVerified();
    const { body } = await t.http.post('/me/passkeys/options').set(bearer(user.token)).expect(200);
    expect(body).toEqual({ challengeId: expect.any(String), options: expect.any(Object) });
    expect(body.options).toMatchObject({
      rp: { id: 'localhost', name: 'Auth' },
      user: { name: user.email, id: Buffer.from(user.id.replace(/-/g, ''), 'hex').toString('base64url') },
      attestation: 'none',
      timeout: 300_000,
      excludeCredentials: [],
      authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
    });
    // Kept hashed, for 5 minutes, bound to the user.
    const [row] = await t.dataSource.query('SELECT * FROM webauthn_challenges WHERE id = $1', [body.challengeId]);
    expect(row).toMatchObject({ purpose: 'registration', user_id: user.id, session_id: null, used_at: null });
    expect(row.expires_at.getTime() - t.clock.now().getTime()).toBe(300_000);
    expect(JSON.stringify(row)).not.toContain(body.options.challenge);
    await t.http.post('/me/passkeys/options').set(bearer(user.token)).send({ extra: 1 }).expect(400);
    // Past the step-up window the route asks for a confirmation.
    t.clock.advance(6 * 60_000);
    await t.http
      .post('/me/passkeys/options')
      .set(bearer(user.token))
      .expect(403, /step_up_required/);
  });

  it('refuses with 400 passkey_invalid a challenge that is not this user’s, unknown, or expired', async () => {
    const user = await signUpVerified();
    const other = await signUpVerified();
    const { body } = await t.http.post('/me/passkeys/options').set(bearer(other.token)).expect(200);
    const answer = { id: 'x', rawId: 'x', type: 'public-key', response: {}, clientExtensionResults: {} };
    const refused = await t.http
      .post('/me/passkeys')
      .set(bearer(user.token))
      .send({ challengeId: body.challengeId, response: answer })
      .expect(400);
    expect(refused.body).toMatchObject({ statusCode: 400, error: 'passkey_invalid' });
    // Refused for the wrong user, the challenge is still the other's to spend; a bad answer spends it.
    const [row] = await t.dataSource.query('SELECT used_at FROM webauthn_challenges WHERE id = $1', [body.challengeId]);
    expect(row.used_at).toBeNull();
    await t.http
      .post('/me/passkeys')
      .set(bearer(other.token))
      .send({ challengeId: body.challengeId, response: answer })
      .expect(400, /passkey_invalid/);
    const [spent] = await t.dataSource.query('SELECT used_at FROM webauthn_challenges WHERE id = $1', [
      body.challengeId,
    ]);
    expect(spent.used_at).not.toBeNull();
    await t.http
      .post('/me/passkeys')
      .set(bearer(user.token))
      .send({ challengeId: '0f8fad5b-d9cb-469f-a165-70867728950e', response: answer })
      .expect(400, /passkey_invalid/);
    await t.http
      .post('/me/passkeys')
      .set(bearer(user.token))
      .send({ challengeId: 'nope', response: answer })
      .expect(400, /validation_failed/);
  });

  it('signs out the sessions the removed password opened elsewhere, as a password change does', async () => {
    const user = await signUpVerified();
    const elsewhere = await t.http
      .post('/auth/login')
      .send({ email: user.email, password: 'Correct-Horse-Battery-42' })
      .expect(200);
    // A passkey as registration leaves it (the ceremonies themselves are tested in Chromium below).
    await t.dataSource.query('UPDATE users SET has_passkey = true WHERE id = $1', [user.id]);
    const token = await confirmPassword(t, user.token);
    await t.http.delete('/me/password').set(bearer(token)).expect(204);
    await t.http.get('/me').set(bearer(token)).expect(200);
    expect((await t.http.get('/me').set(bearer(elsewhere.body.session.token)).expect(401)).body.error).toBe(
      'session_expired',
    );
  });

  inBrowser('ceremonies in Chromium with a virtual authenticator', () => {
    let browser: Browser;
    let page: Page;
    let cdp: CDPSession;
    let user: SignedUp;
    let credentialId: string;
    let passkeyId: string;

    beforeAll(async () => {
      browser = await launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
      page = await browser.newPage();
      cdp = await page.createCDPSession();
      await cdp.send('WebAuthn.enable');
      await cdp.send('WebAuthn.addVirtualAuthenticator', {
        options: {
          protocol: 'ctap2',
          transport: 'internal',
          hasResidentKey: true,
          hasUserVerification: true,
          isUserVerified: true,
        },
      });
      // WebAuthn needs the relying party's origin: any page of the service will do.
      await page.goto(`${appUrl}/health`);
      await page.evaluate(`window.createInPage = ${createInPage.toString()}`);
    });
    afterAll(() => browser?.close());

    /** An assertion for fresh request options: signed in (step-up) with `token`, else a sign-in. */
    async function assertion(token?: string): Promise<{ challengeId: string; options: Json; response: Answer }> {
      const started = t.http.post('/auth/passkey/options');
      const { body } = await (token ? started.set(bearer(token)) : started).expect(200);
      const response = await page.evaluate(getInPage, body.options);
      expect(response.error).toBeUndefined();
      return { challengeId: body.challengeId, options: body.options, response: response as Answer };
    }

    async function refusal(check: AssertionCheck): Promise<unknown> {
      return t.app
        .get(PasskeysService)
        .verifyAssertion(check)
        .then(
          () => 'accepted',
          (error: unknown) => (error instanceof DomainError ? `${error.status} ${error.code}` : error),
        );
    }

    it('registers a passkey from the page, mails the account, and lists it without its key', async () => {
      user = await signUpVerified();
      const { status, body } = await page.evaluate(registerInPage, { token: user.token, name: 'Test laptop' });
      expect(status).toBe(201);
      expect(body).toEqual({
        id: expect.any(String),
        name: 'Test laptop',
        createdAt: t.clock.now().toISOString(),
        lastUsedAt: null,
        backedUp: false,
      });
      passkeyId = body.id as string;
      await t.mail.waitFor((m) => m.to === user.email && m.subject.includes('Passkey added'));
      const mail = t.mail.messages.find((m) => m.to === user.email && m.subject.includes('Passkey added'))!;
      expect(mail.text).toContain('Test laptop');

      const [row] = await t.dataSource.query('SELECT * FROM passkeys WHERE id = $1', [passkeyId]);
      credentialId = row.credential_id;
      expect(row).toMatchObject({ user_id: user.id, counter: expect.any(String), transports: ['internal'] });
      expect(row.public_key.length).toBeGreaterThan(32);
      const [audit] = await t.dataSource.query(
        `SELECT * FROM audit_log WHERE action = 'passkey.added' AND actor_id = $1`,
        [user.id],
      );
      expect(audit.target).toBe(`passkey:${passkeyId}`);

      const list = await t.http.get('/me/passkeys').set(bearer(user.token)).expect(200);
      expect(list.body).toEqual([body]);
      const publicKey = Buffer.from(row.public_key).toString('base64url');
      expect(JSON.stringify(list.body)).not.toContain(publicKey);
      expect(JSON.stringify(list.body)).not.toContain(credentialId);
    });

    it('excludes the passkeys already registered from a second registration', async () => {
      const { body } = await t.http.post('/me/passkeys/options').set(bearer(user.token)).expect(200);
      expect(body.options.excludeCredentials).toEqual([
        { id: credentialId, type: 'public-key', transports: ['internal'] },
      ]);
      // The authenticator already holds one of them: the browser refuses to make another.
      const answer = await page.evaluate(createInPage, body.options);
      expect(answer).toEqual({ error: 'InvalidStateError' });
    });

    it('renames a passkey of the caller only', async () => {
      const renamed = await t.http
        .patch(`/me/passkeys/${passkeyId}`)
        .set(bearer(user.token))
        .send({ name: 'Work laptop' })
        .expect(200);
      expect(renamed.body).toMatchObject({ id: passkeyId, name: 'Work laptop' });
      const stranger = await signUp(t, uniqueEmail('passkey'));
      await t.http
        .patch(`/me/passkeys/${passkeyId}`)
        .set(bearer(stranger.token))
        .send({ name: 'Mine now' })
        .expect(404, /not_found/);
      await t.http.patch(`/me/passkeys/${passkeyId}`).set(bearer(user.token)).send({ name: '   ' }).expect(400);
      await t.http.patch('/me/passkeys/not-an-id').set(bearer(user.token)).send({ name: 'x' }).expect(404);
      const list = await t.http.get('/me/passkeys').set(bearer(user.token)).expect(200);
      expect(list.body.map((p: Json) => p.name)).toEqual(['Work laptop']);
    });

    it('offers a discoverable sign-in without a session, and the session’s passkeys with one', async () => {
      const anonymous = await t.http.post('/auth/passkey/options').expect(200);
      expect(anonymous.body.options).toMatchObject({
        rpId: 'localhost',
        userVerification: 'required',
        allowCredentials: [],
      });
      const signedIn = await t.http.post('/auth/passkey/options').set(bearer(user.token)).expect(200);
      expect(signedIn.body.options.allowCredentials).toEqual([
        { id: credentialId, type: 'public-key', transports: ['internal'] },
      ]);
      const rows = await t.dataSource.query(
        'SELECT id, purpose, user_id, session_id FROM webauthn_challenges WHERE id = ANY($1::uuid[]) ORDER BY purpose',
        [[anonymous.body.challengeId, signedIn.body.challengeId]],
      );
      expect(rows).toEqual([
        { id: anonymous.body.challengeId, purpose: 'sign-in', user_id: null, session_id: null },
        { id: signedIn.body.challengeId, purpose: 'step-up', user_id: user.id, session_id: user.sessionId },
      ]);
      // A dead token is as good as none: the options are a sign-in's.
      const dead = await t.http.post('/auth/passkey/options').set(bearer('not-a-session')).expect(200);
      expect(dead.body.options.allowCredentials).toEqual([]);
    });

    it('verifies a sign-in assertion once, records its use, and refuses its replay', async () => {
      const { challengeId, response } = await assertion();
      expect(response.response.userHandle).toBe(Buffer.from(user.id.replace(/-/g, ''), 'hex').toString('base64url'));
      t.clock.advance(1_000);
      const service = t.app.get(PasskeysService);
      expect(await service.verifyAssertion({ purpose: 'sign-in', challengeId, response })).toEqual({
        userId: user.id,
        passkeyId,
      });
      const list = await t.http.get('/me/passkeys').set(bearer(user.token)).expect(200);
      expect(list.body[0].lastUsedAt).toBe(t.clock.now().toISOString());
      expect(await refusal({ purpose: 'sign-in', challengeId, response })).toBe('401 passkey_invalid');
      expect(await service.countForUser(user.id)).toBe(1);
      expect(await service.hasPasskey(user.id)).toBe(true);
    });

    it('refuses a tampered, expired or wrong-purpose assertion, and one whose counter went backwards', async () => {
      // Another origin in the signed client data: the signature no longer matches either.
      const forged = await assertion();
      const clientData = JSON.parse(
        Buffer.from(forged.response.response.clientDataJSON as string, 'base64url').toString(),
      );
      const elsewhere = { ...clientData, origin: 'https://evil.example' };
      const tampered = {
        ...forged.response,
        response: {
          ...forged.response.response,
          clientDataJSON: Buffer.from(JSON.stringify(elsewhere)).toString('base64url'),
        },
      };
      expect(await refusal({ purpose: 'sign-in', challengeId: forged.challengeId, response: tampered })).toBe(
        '401 passkey_invalid',
      );
      // A bad signature over genuine client data.
      const resigned = await assertion();
      const signature = Buffer.from(resigned.response.response.signature as string, 'base64url');
      signature[signature.length - 1] ^= 1;
      const badSignature = {
        ...resigned.response,
        response: { ...resigned.response.response, signature: signature.toString('base64url') },
      };
      expect(await refusal({ purpose: 'sign-in', challengeId: resigned.challengeId, response: badSignature })).toBe(
        '401 passkey_invalid',
      );
      // A sign-in challenge cannot confirm a session, and an expired one signs nothing in.
      const signIn = await assertion();
      expect(
        await refusal({
          purpose: 'step-up',
          challengeId: signIn.challengeId,
          response: signIn.response,
          sessionId: user.sessionId,
          userId: user.id,
        }),
      ).toBe('401 passkey_invalid');
      const late = await assertion();
      t.clock.advance(5 * 60_000 + 1);
      expect(await refusal({ purpose: 'sign-in', challengeId: late.challengeId, response: late.response })).toBe(
        '401 passkey_invalid',
      );
      // The authenticator counts; a stored count at or past its next one means a clone.
      const cloned = await assertion();
      await t.dataSource.query('UPDATE passkeys SET counter = 1000000 WHERE id = $1', [passkeyId]);
      expect(await refusal({ purpose: 'sign-in', challengeId: cloned.challengeId, response: cloned.response })).toBe(
        '401 passkey_invalid',
      );
      await t.dataSource.query('UPDATE passkeys SET counter = 0 WHERE id = $1', [passkeyId]);
      // Nonsense answers are refused the same way, never a 500.
      const fresh = await assertion();
      for (const response of [null, 'text', {}, { id: credentialId }, { ...fresh.response, response: null }]) {
        expect(await refusal({ purpose: 'sign-in', challengeId: fresh.challengeId, response })).toBe(
          '401 passkey_invalid',
        );
      }
      expect(await refusal({ purpose: 'sign-in', challengeId: 'not-a-uuid', response: fresh.response })).toBe(
        '401 passkey_invalid',
      );
    });

    it('confirms only the session its step-up challenge was issued to', async () => {
      const otherSession = await t.http
        .post('/auth/login')
        .send({ email: user.email, password: 'Correct-Horse-Battery-42' })
        .expect(200);
      const stepUp = await assertion(user.token);
      expect(
        await refusal({
          purpose: 'step-up',
          challengeId: stepUp.challengeId,
          response: stepUp.response,
          sessionId: otherSession.body.session.id,
          userId: user.id,
        }),
      ).toBe('401 passkey_invalid');
      // Refused for another session, the challenge is still its own session's.
      expect(
        await t.app.get(PasskeysService).verifyAssertion({
          purpose: 'step-up',
          challengeId: stepUp.challengeId,
          response: stepUp.response,
          sessionId: user.sessionId,
          userId: user.id,
        }),
      ).toEqual({ userId: user.id, passkeyId });
      // Another account's passkey confirms nobody else.
      const other = await assertion(otherSession.body.session.token);
      const stranger = await signUp(t, uniqueEmail('passkey'));
      expect(
        await refusal({
          purpose: 'step-up',
          challengeId: other.challengeId,
          response: other.response,
          sessionId: otherSession.body.session.id,
          userId: stranger.id,
        }),
      ).toBe('401 passkey_invalid');
    });

    it('signs in with the passkey alone over HTTP: no email typed, no authenticator code, listed as a passkey session', async () => {
      expect((await t.http.get('/me').set(bearer(user.token)).expect(200)).body.hasPasskey).toBe(true);
      // Two-factor on: the passkey is both factors, so no code is asked.
      await enableTotp(t, (user.token = await confirmPassword(t, user.token)));
      const { challengeId, response } = await assertion();
      const signedIn = await t.http.post('/auth/passkey/login').send({ challengeId, response }).expect(200);
      expect(signedIn.body.user).toMatchObject({ id: user.id, email: user.email, hasPasskey: true });
      expect(String(signedIn.headers['set-cookie'])).toContain(signedIn.body.session.token);
      const sessions = await t.http.get('/me/sessions').set(bearer(signedIn.body.session.token)).expect(200);
      expect(sessions.body.find((s: Json) => s.current)).toMatchObject({ authMethod: 'passkey' });
      const [audit] = await t.dataSource.query(`SELECT * FROM audit_log WHERE action = 'user.login' AND target = $1`, [
        `session:${signedIn.body.session.id}`,
      ]);
      expect(audit.actor_id).toBe(user.id);
      // Replayed, the same answer signs nothing in, and the failure is recorded.
      const replay = await t.http.post('/auth/passkey/login').send({ challengeId, response }).expect(401);
      expect(replay.body).toMatchObject({ statusCode: 401, error: 'passkey_invalid' });
      const failures = await t.dataSource.query(
        `SELECT details FROM audit_log WHERE action = 'user.login_failed' AND details->>'reason' = 'passkey_invalid'`,
      );
      expect(failures.length).toBeGreaterThan(0);
      await t.http
        .post('/auth/passkey/login')
        .send({ challengeId: 'nope', response })
        .expect(400, /validation_failed/);
    });

    it('confirms a step-up with a passkey over HTTP, which the 403 lists among the methods', async () => {
      t.clock.advance(6 * 60_000);
      const refused = await t.http.post('/me/passkeys/options').set(bearer(user.token)).expect(403);
      expect(refused.body.methods).toEqual(['password', 'totp', 'passkey']);
      const { challengeId, response } = await assertion(user.token);
      // A passkey confirms alone.
      await t.http
        .post('/auth/confirm')
        .set(bearer(user.token))
        .send({ password: 'Correct-Horse-Battery-42', passkey: { challengeId, response } })
        .expect(400, /validation_failed/);
      const confirmed = await t.http
        .post('/auth/confirm')
        .set(bearer(user.token))
        .send({ passkey: { challengeId, response } })
        .expect(200);
      expect(confirmed.body.session.token).not.toBe(user.token);
      user.token = confirmed.body.session.token;
      await t.http.post('/me/passkeys/options').set(bearer(user.token)).expect(200);
      // A sign-in challenge confirms nothing; nor does another session's answer.
      const signIn = await assertion();
      const wrong = await t.http
        .post('/auth/confirm')
        .set(bearer(user.token))
        .send({ passkey: { challengeId: signIn.challengeId, response: signIn.response } })
        .expect(401);
      expect(wrong.body.error).toBe('passkey_invalid');
      const [failed] = await t.dataSource.query(
        `SELECT details FROM audit_log WHERE action = 'user.step_up_failed' AND actor_id = $1`,
        [user.id],
      );
      expect(failed.details).toEqual({ reason: 'passkey_invalid' });
      await t.http.delete('/me/2fa/totp').set(bearer(user.token)).expect(204);
    });

    it('makes an account with a passkey passwordless, and gives it a password again', async () => {
      const stranger = await signUpVerified();
      const noPasskey = await t.http
        .delete('/me/password')
        .set(bearer(await confirmPassword(t, stranger.token)))
        .expect(409);
      expect(noPasskey.body.error).toBe('passkey_required');
      user.token = await confirmPassword(t, user.token);
      await t.http.delete('/me/password').set(bearer(user.token)).expect(204);
      expect((await t.http.get('/me').set(bearer(user.token)).expect(200)).body).toMatchObject({
        hasPassword: false,
        hasPasskey: true,
      });
      // The old password answers as a wrong one; a reset mails nothing.
      const login = await t.http
        .post('/auth/login')
        .send({ email: user.email, password: 'Correct-Horse-Battery-42' })
        .expect(401);
      expect(login.body.error).toBe('invalid_credentials');
      const mailsBefore = t.mail.messages.filter((m) => m.to === user.email).length;
      await t.http.post('/auth/password/forgot').send({ email: user.email }).expect(202);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(t.mail.messages.filter((m) => m.to === user.email && m.subject.includes('Reset'))).toHaveLength(0);
      expect(t.mail.messages.filter((m) => m.to === user.email).length).toBe(mailsBefore);
      // Its step-up is the passkey now; with it, a password can be set again.
      t.clock.advance(6 * 60_000);
      const refused = await t.http.post('/me/password').set(bearer(user.token)).send({ newPassword: 'x' }).expect(403);
      expect(refused.body.methods).toEqual(['passkey']);
      const { challengeId, response } = await assertion(user.token);
      user.token = (
        await t.http
          .post('/auth/confirm')
          .set(bearer(user.token))
          .send({ passkey: { challengeId, response } })
          .expect(200)
      ).body.session.token;
      const set = await t.http
        .post('/me/password')
        .set(bearer(user.token))
        .send({ newPassword: 'Correct-Horse-Battery-42' })
        .expect(200);
      user.token = set.body.session.token;
      await t.http.post('/auth/login').send({ email: user.email, password: 'Correct-Horse-Battery-42' }).expect(200);
    });

    it('exports the passkeys without their keys', async () => {
      user.token = await confirmPassword(t, user.token);
      const { body } = await t.http.get('/me/export').set(bearer(user.token)).expect(200);
      expect(body.passkeys).toEqual([
        {
          id: passkeyId,
          name: 'Work laptop',
          backedUp: false,
          deviceType: 'singleDevice',
          transports: ['internal'],
          createdAt: expect.any(String),
          lastUsedAt: expect.any(String),
        },
      ]);
      expect(JSON.stringify(body)).not.toContain(credentialId);
    });

    it('removes a passkey after a step-up, mails the account, and it signs nothing in afterwards', async () => {
      const stranger = await signUp(t, uniqueEmail('passkey'));
      await t.http.delete(`/me/passkeys/${passkeyId}`).set(bearer(stranger.token)).expect(404);
      t.clock.advance(6 * 60_000);
      await t.http
        .delete(`/me/passkeys/${passkeyId}`)
        .set(bearer(user.token))
        .expect(403, /step_up_required/);
      user.token = await confirmPassword(t, user.token);
      const pending = await assertion();
      await t.http.delete(`/me/passkeys/${passkeyId}`).set(bearer(user.token)).expect(204);
      await t.http.delete(`/me/passkeys/${passkeyId}`).set(bearer(user.token)).expect(404);
      const mails = await t.mail.waitFor((m) => m.to === user.email && m.subject.includes('Passkey removed'));
      expect(mails.at(-1)!.text).toContain('Work laptop');
      expect((await t.http.get('/me/passkeys').set(bearer(user.token)).expect(200)).body).toEqual([]);
      expect(await refusal({ purpose: 'sign-in', challengeId: pending.challengeId, response: pending.response })).toBe(
        '401 passkey_invalid',
      );
      expect(await t.app.get(PasskeysService).hasPasskey(user.id)).toBe(false);
      expect((await t.http.get('/me').set(bearer(user.token)).expect(200)).body.hasPasskey).toBe(false);
    });

    it('erases the passkeys and challenges of a deleted account', async () => {
      const leaving = await signUpVerified();
      const { status } = await page.evaluate(registerInPage, { token: leaving.token, name: 'Leaving' });
      expect(status).toBe(201);
      await t.http.post('/auth/passkey/options').set(bearer(leaving.token)).expect(200);
      const count = async () =>
        (
          await t.dataSource.query(
            `SELECT (SELECT count(*) FROM passkeys WHERE user_id = $1)::int AS passkeys,
                    (SELECT count(*) FROM webauthn_challenges WHERE user_id = $1)::int AS challenges`,
            [leaving.id],
          )
        )[0];
      expect(await count()).toEqual({ passkeys: 1, challenges: 2 });
      await t.http.delete('/me').set(bearer(leaving.token)).expect(202);
      t.clock.advance(31 * 24 * 3600_000);
      expect(await t.app.get(TaskRunner).run('purge-deleted-accounts')).toMatchObject({ status: 'done' });
      expect(await count()).toEqual({ passkeys: 0, challenges: 0 });
    });
  });
});
