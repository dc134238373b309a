export type NodeEnv = 'development' | 'production' | 'test';

/**
 * Which X-Forwarded-For hops are the deployment's own proxies: none, a count from the right, these
 * addresses/CIDRs, or (`true`) every proxy hop: the connecting peer and each further hop on a
 * loopback, private or link-local address.
 */
export type TrustProxy = boolean | number | string[];

/** The key and certificate the SAML service provider signs AuthnRequests with and publishes in its metadata. */
export interface SamlSpCredentials {
  /** PKCS#8 PEM. */
  privateKey: string;
  /** PEM. */
  cert: string;
}

/** The passkeys' relying party: its id (a domain, never an IP) and the origins whose ceremonies count. */
export interface WebAuthnSettings {
  rpId: string;
  /** APP_URL's origin first, then WEBAUTHN_ORIGINS. */
  origins: string[];
}

/** Where GET /metrics is served on a listener of its own (METRICS_PORT). */
export interface MetricsListen {
  host: string;
  port: number;
}

/** How tracing exports: unset, no tracing code is loaded. */
export interface Tracing {
  /** OTLP/HTTP base URL; traces go to `<endpoint>/v1/traces`. */
  endpoint: string;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** argon2id's cost for new password hashes (memory in KiB); a stored hash carries its own. */
export interface PasswordHashing {
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

/** OWASP's baseline for argon2id: 19 MiB, 2 iterations, 1 lane. */
export const PRODUCTION_PASSWORD_HASHING: PasswordHashing = Object.freeze({
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
});

export interface AppConfigValues {
  nodeEnv: NodeEnv;
  port: number;
  /** Public base URL without a trailing slash. */
  appUrl: string;
  /** Origins trusted for cookie-authenticated requests and CORS: APP_URL's origin first, then CORS_ORIGINS. */
  trustedOrigins: string[];
  /** Unset means: start the embedded PostgreSQL under dataDir. */
  databaseUrl: string | undefined;
  dataDir: string;
  redisUrl: string | undefined;
  smtpUrl: string | undefined;
  mailFrom: string;
  encryptionKey: Buffer;
  /** ENCRYPTION_KEY_PREVIOUS: the key being rotated away from (or to), which opens but never seals. */
  encryptionKeyPrevious: Buffer | undefined;
  /** Where the development key was generated; undefined when ENCRYPTION_KEY is set. */
  encryptionKeyFile: string | undefined;
  trustProxy: TrustProxy;
  sessionIdleTimeoutMs: number;
  sessionAbsoluteTimeoutMs: number;
  sessionTouchIntervalMs: number;
  stepUpWindowMs: number;
  verificationTokenTtlMs: number;
  passwordResetTokenTtlMs: number;
  unverifiedAccountTtlMs: number;
  deletionGracePeriodMs: number;
  /** How long one SQL statement may run, and wait for a lock, before PostgreSQL cancels it (503 then). */
  databaseStatementTimeoutMs: number;
  databaseLockTimeoutMs: number;
  tasksEnabled: boolean;
  /** Webhook URLs may resolve to loopback, private and link-local addresses (development, tests). */
  webhookAllowPrivate: boolean;
  dnsServers: string[];
  /** Unset: AuthnRequests go unsigned and the metadata publishes no key. */
  samlSp: SamlSpCredentials | undefined;
  webauthn: WebAuthnSettings;
  /** Lifetime of the JWTs from POST /auth/token. */
  accessTokenTtlMs: number;
  /** Their `aud` (APP_URL unless set). */
  accessTokenAudience: string;
  logLevel: LogLevel;
  passwordHashing: PasswordHashing;
  /** Opens GET /metrics on the main port to `Authorization: Bearer <token>`; unset, it answers 404 there. */
  metricsToken: string | undefined;
  metricsListen: MetricsListen | undefined;
  tracing: Tracing | undefined;
}

/** The validated configuration; also the injection token under which Nest provides it. */
export class AppConfig implements AppConfigValues {
  readonly nodeEnv: NodeEnv;
  readonly port: number;
  readonly appUrl: string;
  readonly trustedOrigins: string[];
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly redisUrl: string | undefined;
  readonly smtpUrl: string | undefined;
  readonly mailFrom: string;
  readonly encryptionKey: Buffer;
  readonly encryptionKeyPrevious: Buffer | undefined;
  readonly encryptionKeyFile: string | undefined;
  readonly trustProxy: TrustProxy;
  readonly sessionIdleTimeoutMs: number;
  readonly sessionAbsoluteTimeoutMs: number;
  readonly sessionTouchIntervalMs: number;
  readonly stepUpWindowMs: number;
  readonly verificationTokenTtlMs: number;
  readonly passwordResetTokenTtlMs: number;
  readonly unverifiedAccountTtlMs: number;
  readonly deletionGracePeriodMs: number;
  readonly databaseStatementTimeoutMs: number;
  readonly databaseLockTimeoutMs: number;
  readonly tasksEnabled: boolean;
  readonly webhookAllowPrivate: boolean;
  readonly dnsServers: string[];
  readonly samlSp: SamlSpCredentials | undefined;
  readonly webauthn: WebAuthnSettings;
  readonly accessTokenTtlMs: number;
  readonly accessTokenAudience: string;
  readonly logLevel: LogLevel;
  readonly passwordHashing: PasswordHashing;
  readonly metricsToken: string | undefined;
  readonly metricsListen: MetricsListen | undefined;
  readonly tracing: Tracing | undefined;

  constructor(values: AppConfigValues) {
    Object.assign(this, values);
    Object.freeze(this);
  }

  get isProduction(): boolean {
    return this.nodeEnv === 'production';
  }

  /** The name people know the service by: MAIL_FROM's display name ("Auth" in "Auth <no-reply@…>"). */
  get serviceName(): string {
    return /^\s*"?([^"<]+?)"?\s*</.exec(this.mailFrom)?.[1] ?? this.mailFrom;
  }

  /** Cookies are Secure (and the session cookie `__Host-` prefixed) only when APP_URL is https. */
  get secureCookies(): boolean {
    return this.appUrl.startsWith('https:');
  }

  with(changes: Partial<AppConfigValues>): AppConfig {
    return new AppConfig({ ...this, ...changes });
  }
}
