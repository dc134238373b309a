import { generateKeyPairSync } from 'node:crypto';
import { OidcRejection } from './errors';
import { loadJose } from './esm';
import { verifyIdToken, type IdTokenExpectations } from './id-token';

/** Our own ID token rules, apart from openid-client's: each forgery is refused here too. */
describe('verifyIdToken', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' };
  const now = new Date('2030-01-01T00:00:00Z');
  const seconds = now.getTime() / 1000;
  const claims = {
    iss: 'https://op.example.test',
    aud: 'client-1',
    sub: 'user-1',
    nonce: 'n-1',
    iat: seconds - 10,
    exp: seconds + 300,
  };
  const expected = (extra: Partial<IdTokenExpectations> = {}): IdTokenExpectations => ({
    issuer: claims.iss,
    clientId: claims.aud,
    nonce: claims.nonce,
    algorithms: ['RS256', 'HS256', 'none'],
    jwks: { keys: [jwk] },
    refetchJwks: () => Promise.resolve({ keys: [jwk] }),
    now,
    ...extra,
  });
  const sign = async (payload: Record<string, unknown>, kid = 'k1') => {
    const jose = await loadJose();
    return new jose.SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid }).sign(privateKey);
  };
  const refused = (token: string | Promise<string>, extra?: Partial<IdTokenExpectations>) =>
    expect(Promise.resolve(token).then((jwt) => verifyIdToken(jwt, expected(extra)))).rejects.toBeInstanceOf(
      OidcRejection,
    );

  it('accepts a token of the OP for this client and nonce', async () => {
    await expect(verifyIdToken(await sign(claims), expected())).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('refuses alg none and HS256, even where advertised', async () => {
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    await refused(`${b64({ alg: 'none' })}.${b64(claims)}.`);
    const jose = await loadJose();
    const pem = publicKey.export({ format: 'pem', type: 'spki' }) as string;
    await refused(new jose.SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(pem)));
  });

  it('refuses an algorithm the OP does not advertise', async () => {
    await refused(sign(claims), { algorithms: ['ES256'] });
  });

  it.each([
    ['iss', { iss: 'https://elsewhere.test' }],
    ['aud', { aud: 'client-2' }],
    ['azp with several audiences', { aud: ['client-1', 'client-2'] }],
    ['azp naming another client', { azp: 'client-2' }],
    ['nonce', { nonce: 'n-2' }],
    ['exp past the skew', { exp: seconds - 301 }],
    ['iat ahead of the skew', { iat: seconds + 301 }],
  ])('refuses a wrong %s', async (_name, change) => {
    await refused(sign({ ...claims, ...change }));
  });

  it('accepts several audiences when azp is this client', async () => {
    const token = await sign({ ...claims, aud: ['client-1', 'client-2'], azp: 'client-1' });
    await expect(verifyIdToken(token, expected())).resolves.toMatchObject({ azp: 'client-1' });
  });

  it('fetches the key set again once for an unknown kid', async () => {
    const refetch = jest.fn().mockResolvedValue({ keys: [{ ...jwk, kid: 'k2' }] });
    const token = await sign(claims, 'k2');
    await expect(verifyIdToken(token, expected({ jwks: { keys: [jwk] }, refetchJwks: refetch }))).resolves.toBeTruthy();
    expect(refetch).toHaveBeenCalledTimes(1);
    refetch.mockClear();
    await refused(sign(claims, 'k3'), { refetchJwks: refetch });
  });
});
