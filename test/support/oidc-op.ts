import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type * as Jose from 'jose' with { 'resolution-mode': 'import' };
import type Provider from 'oidc-provider' with { 'resolution-mode': 'import' };

// ES modules only: loaded the way the app loads its own (src/sso/oidc/esm.ts).
const loadJose = () => import('jose');
const loadProvider = async () => (await import('oidc-provider')).default;

/** What the OP says about the person who signs in at it. */
export interface OpAccount {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  groups?: string[] | string;
}

/** Rewrites the ID token the token endpoint answers: the claims, and how (whether) it is signed. */
export type IdTokenForgery = (
  claims: Record<string, unknown>,
  keys: { privateKey: KeyObject; publicKeyPem: string; kid: string },
) => Promise<string> | string;

/**
 * A real OpenID Provider (panva's oidc-provider) on a loopback port, for the sign-in specs. The
 * browser's stop at the OP is automatic: whoever `account` names is signed in and consents.
 * In front of it, a small proxy (the issuer's address) may rewrite the ID token of the next token
 * responses (`forgeIdToken`), to play an OP or a network that lies.
 */
export class TestOp {
  account: OpAccount = { sub: 'nobody' };
  /** The auth_time the next login reports (seconds), instead of now: an OP that ignores prompt=login. */
  loginTimestamp?: number;
  forgeIdToken?: IdTokenForgery;
  /** The token endpoint's requests as the OP received them (to see the client authentication). */
  readonly tokenRequests: Array<{ authorization?: string; body: string }> = [];

  private constructor(
    readonly issuer: string,
    readonly clientId: string,
    readonly clientSecret: string,
    private provider: Provider,
    private readonly upstream: Server,
    private readonly front: Server,
    private readonly privateKey: KeyObject,
    private readonly publicKeyPem: string,
    readonly kid: string,
  ) {}

  static async start(options: {
    redirectUris: string[];
    tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
  }): Promise<TestOp> {
    const front = createServer();
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    const issuer = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const kid = 'test-key-1';
    const jwk = { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
    const OidcProvider = await loadProvider();
    const clientId = 'authd-test-client';
    const clientSecret = 'a-client-secret-of-some-length-0123456789';
    // The OP's callbacks reach the instance made below.
    const ref: { op?: TestOp } = {};
    const redirectUris = [...options.redirectUris];
    const build = () =>
      new OidcProvider(issuer, {
        clients: [
          {
            client_id: clientId,
            client_secret: clientSecret,
            redirect_uris: redirectUris,
            grant_types: ['authorization_code'],
            response_types: ['code'],
            token_endpoint_auth_method: options.tokenEndpointAuthMethod ?? 'client_secret_basic',
          },
        ],
        jwks: { keys: [jwk as Jose.JWK] },
        claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
        scopes: ['openid', 'email', 'profile', 'groups'],
        // The claims go in the ID token itself (not only userinfo), as many enterprise OPs do.
        conformIdTokenClaims: false,
        features: { devInteractions: { enabled: false } },
        pkce: { required: () => true },
        findAccount: (_ctx, sub) => ({
          accountId: sub,
          claims: () => {
            const account = ref.op!.account;
            if (account.sub !== sub) return { sub };
            return { ...account };
          },
        }),
        interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
        renderError: (ctx, out) => {
          ctx.type = 'json';
          ctx.body = out;
        },
      });
    // Behind the proxy: the endpoints it publishes are at the proxy's address (X-Forwarded-Host).
    const behindProxy = () => Object.assign(build(), { proxy: true });
    const provider = behindProxy();
    provider.on('server_error', (_ctx, error) => console.error('test OP error', error));
    const upstream = createServer((req, res) => void ref.op!.serveOp(req, res));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const publicKeyPem = publicKey.export({ format: 'pem', type: 'spki' }) as string;
    const op = new TestOp(issuer, clientId, clientSecret, provider, upstream, front, privateKey, publicKeyPem, kid);
    ref.op = op;
    op.rebuild = (uri: string) => {
      redirectUris.push(uri);
      op.provider = behindProxy();
    };
    front.on('request', (req, res) => void ref.op!.proxy(req, res));
    return op;
  }

  private rebuild: (redirectUri: string) => void = () => undefined;

  /** Registers one more redirect URI for the client (the OP starts afresh: its sessions are gone). */
  allowRedirectUri(uri: string): void {
    this.rebuild(uri);
  }

  /** The OP itself, with the interaction pages it leaves to its host: sign in `account`, consent to everything. */
  private async serveOp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (req.url?.startsWith('/interaction/')) {
        const details = await this.provider.interactionDetails(req, res);
        if (details.prompt.name === 'login') {
          const login = { accountId: this.account.sub, ...(this.loginTimestamp ? { ts: this.loginTimestamp } : {}) };
          await this.provider.interactionFinished(req, res, { login }, { mergeWithLastSubmission: false });
          return;
        }
        const grant = details.grantId
          ? (await this.provider.Grant.find(details.grantId))!
          : new this.provider.Grant({ accountId: details.session!.accountId, clientId: this.clientId });
        grant.addOIDCScope(String(details.params.scope));
        const missing = details.prompt.details.missingOIDCClaims as string[] | undefined;
        if (missing) grant.addOIDCClaims(missing);
        const grantId = await grant.save();
        await this.provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
        return;
      }
      this.provider.callback()(req, res);
    } catch (error) {
      res.statusCode = 500;
      res.end(String(error));
    }
  }

  /** The issuer's address: passes everything to the OP, and may rewrite a token response's ID token. */
  private async proxy(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && name !== 'host' && name !== 'connection') headers[name] = String(value);
    }
    headers['x-forwarded-host'] = req.headers.host ?? '';
    headers['x-forwarded-proto'] = 'http';
    const isToken = req.method === 'POST' && req.url?.startsWith('/token');
    if (isToken) this.tokenRequests.push({ authorization: req.headers.authorization, body: body.toString() });
    const upstreamUrl = `http://127.0.0.1:${(this.upstream.address() as AddressInfo).port}${req.url}`;
    const answer = await fetch(upstreamUrl, {
      method: req.method,
      headers,
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
      redirect: 'manual',
    });
    let out = Buffer.from(await answer.arrayBuffer());
    if (isToken && answer.status === 200 && this.forgeIdToken) {
      const json = JSON.parse(out.toString()) as { id_token: string };
      const jose = await loadJose();
      const claims = jose.decodeJwt(json.id_token) as Record<string, unknown>;
      json.id_token = await this.forgeIdToken(claims, {
        privateKey: this.privateKey,
        publicKeyPem: this.publicKeyPem,
        kid: this.kid,
      });
      out = Buffer.from(JSON.stringify(json));
    }
    const outHeaders: Record<string, string | string[]> = {};
    answer.headers.forEach((value, name) => {
      if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(name)) {
        outHeaders[name] = value;
      }
    });
    const cookies = answer.headers.getSetCookie();
    if (cookies.length) outHeaders['set-cookie'] = cookies;
    res.writeHead(answer.status, { ...outHeaders, 'content-length': String(out.length) });
    res.end(out);
  }

  /** Signs claims with the OP's own key (RS256), as a token the OP could have issued. */
  async sign(claims: Record<string, unknown>, header: Partial<Jose.JWTHeaderParameters> = {}): Promise<string> {
    const jose = await loadJose();
    return new jose.SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: this.kid, ...header })
      .sign(this.privateKey);
  }

  /** The claims signed with HMAC-SHA256 keyed by the OP's public key (which anyone has): a classic forgery. */
  async signHs256WithPublicKey(claims: Record<string, unknown>): Promise<string> {
    const jose = await loadJose();
    return new jose.SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: this.kid })
      .sign(new TextEncoder().encode(this.publicKeyPem));
  }

  /** The public key, as PEM text (what an HS256 forgery uses as its "secret"). */
  get publicPem(): string {
    return this.publicKeyPem;
  }

  async close(): Promise<void> {
    await Promise.all([
      new Promise((resolve) => this.front.close(resolve)),
      new Promise((resolve) => this.upstream.close(resolve)),
    ]);
  }
}

/**
 * A browser between the app and the OP: cookies kept per origin, redirects at the OP followed by
 * hand until it sends the browser back to the app's callback.
 */
export class OpBrowser {
  private readonly opCookies = new Map<string, string>();

  /** Follows the OP's redirects from the authorization URL; answers the callback URL it ends at. */
  async authorize(authorizationUrl: string, appUrl: string): Promise<URL> {
    let url = new URL(authorizationUrl);
    for (let hops = 0; hops < 10; hops++) {
      if (url.href.startsWith(appUrl)) return url;
      const cookie = [...this.opCookies].map(([name, value]) => `${name}=${value}`).join('; ');
      const res = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} });
      for (const line of res.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const index = pair.indexOf('=');
        this.opCookies.set(pair.slice(0, index), pair.slice(index + 1));
      }
      const location = res.headers.get('location');
      if (!location) throw new Error(`the OP answered ${res.status} without a redirect: ${await res.text()}`);
      url = new URL(location, url);
    }
    throw new Error('too many redirects at the OP');
  }
}
