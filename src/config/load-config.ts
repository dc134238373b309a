import { createPrivateKey, KeyObject, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import {
  AppConfig,
  LogLevel,
  MetricsListen,
  NodeEnv,
  PRODUCTION_PASSWORD_HASHING,
  SamlSpCredentials,
  Tracing,
  TrustProxy,
  WebAuthnSettings,
} from './app-config';
import { parseDuration } from './duration';

export type Env = Record<string, string | undefined>;

/** A configuration value that stops the start; the message is the one line an operator sees. */
export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const NODE_ENVS: NodeEnv[] = ['development', 'production', 'test'];
const KEY_FILE = 'encryption.key';

/**
 * Validates the environment into one typed configuration. Throws ConfigError naming the first bad
 * variable. In development (not production) a missing ENCRYPTION_KEY is generated into DATA_DIR
 * once and reused on later starts.
 */
export function loadConfig(env: Env): AppConfig {
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };

  const nodeEnv = oneOf('NODE_ENV', read('NODE_ENV') ?? 'development', NODE_ENVS);
  const isProduction = nodeEnv === 'production';

  const listenPort = port('PORT', read('PORT') ?? '3000');
  // Unset, APP_URL is the service itself on the port it listens on, so links and origins follow PORT.
  const appUrl = origin('APP_URL', read('APP_URL') ?? `http://localhost:${listenPort || 3000}`, true);
  const corsOrigins = list(read('CORS_ORIGINS')).map((value) => origin('CORS_ORIGINS', value, false));

  const databaseUrl = read('DATABASE_URL');
  if (databaseUrl !== undefined) url('DATABASE_URL', databaseUrl, ['postgres:', 'postgresql:']);
  if (isProduction && databaseUrl === undefined) {
    throw new ConfigError('DATABASE_URL', 'is required in production');
  }

  const dataDir = resolve(read('DATA_DIR') ?? './.data');

  const redisUrl = read('REDIS_URL');
  if (redisUrl !== undefined) url('REDIS_URL', redisUrl, ['redis:', 'rediss:']);
  const smtpUrl = read('SMTP_URL');
  if (smtpUrl !== undefined) url('SMTP_URL', smtpUrl, ['smtp:', 'smtps:']);

  const mailFrom = read('MAIL_FROM') ?? 'Auth <no-reply@localhost>';
  if (!/^[^<>]*<[^<>\s@]+@[^<>\s@]+>$|^[^<>\s@]+@[^<>\s@]+$/.test(mailFrom)) {
    throw new ConfigError('MAIL_FROM', `must be an address such as "Auth <no-reply@example.com>", got "${mailFrom}"`);
  }

  const keyText = read('ENCRYPTION_KEY');
  let encryptionKey: Buffer;
  let encryptionKeyFile: string | undefined;
  if (keyText !== undefined) {
    encryptionKey = key('ENCRYPTION_KEY', keyText);
  } else if (isProduction) {
    throw new ConfigError('ENCRYPTION_KEY', 'is required in production (32 random bytes, base64)');
  } else {
    encryptionKeyFile = join(dataDir, KEY_FILE);
    encryptionKey = developmentKey(dataDir);
  }
  const previousKeyText = read('ENCRYPTION_KEY_PREVIOUS');
  const encryptionKeyPrevious =
    previousKeyText === undefined ? undefined : key('ENCRYPTION_KEY_PREVIOUS', previousKeyText);
  if (encryptionKeyPrevious?.equals(encryptionKey)) {
    throw new ConfigError('ENCRYPTION_KEY_PREVIOUS', 'must be another key than ENCRYPTION_KEY (or be unset)');
  }

  return new AppConfig({
    nodeEnv,
    port: listenPort,
    appUrl,
    trustedOrigins: trustedOrigins(appUrl, corsOrigins, isProduction),
    databaseUrl,
    dataDir,
    redisUrl,
    smtpUrl,
    mailFrom,
    encryptionKey,
    encryptionKeyPrevious,
    encryptionKeyFile,
    trustProxy: trustProxy('TRUST_PROXY', read('TRUST_PROXY') ?? 'false'),
    sessionIdleTimeoutMs: duration('SESSION_IDLE_TIMEOUT', read('SESSION_IDLE_TIMEOUT') ?? '30m'),
    sessionAbsoluteTimeoutMs: duration('SESSION_ABSOLUTE_TIMEOUT', read('SESSION_ABSOLUTE_TIMEOUT') ?? '24h'),
    sessionTouchIntervalMs: duration('SESSION_TOUCH_INTERVAL', read('SESSION_TOUCH_INTERVAL') ?? '60s'),
    stepUpWindowMs: duration('STEP_UP_WINDOW', read('STEP_UP_WINDOW') ?? '5m'),
    verificationTokenTtlMs: duration('VERIFICATION_TOKEN_TTL', read('VERIFICATION_TOKEN_TTL') ?? '24h'),
    passwordResetTokenTtlMs: duration('PASSWORD_RESET_TOKEN_TTL', read('PASSWORD_RESET_TOKEN_TTL') ?? '1h'),
    unverifiedAccountTtlMs: duration('UNVERIFIED_ACCOUNT_TTL', read('UNVERIFIED_ACCOUNT_TTL') ?? '7d'),
    deletionGracePeriodMs: duration('DELETION_GRACE_PERIOD', read('DELETION_GRACE_PERIOD') ?? '30d'),
    databaseStatementTimeoutMs: duration('DB_STATEMENT_TIMEOUT', read('DB_STATEMENT_TIMEOUT') ?? '10s'),
    databaseLockTimeoutMs: duration('DB_LOCK_TIMEOUT', read('DB_LOCK_TIMEOUT') ?? '3s'),
    tasksEnabled: boolean('TASKS_ENABLED', read('TASKS_ENABLED') ?? 'true'),
    webhookAllowPrivate: boolean('WEBHOOK_ALLOW_PRIVATE', read('WEBHOOK_ALLOW_PRIVATE') ?? 'false'),
    dnsServers: list(read('DNS_SERVERS')).map((value) => dnsServer('DNS_SERVERS', value)),
    samlSp: samlSp(read('SAML_SP_PRIVATE_KEY'), read('SAML_SP_CERT')),
    webauthn: webauthn(appUrl, read('WEBAUTHN_RP_ID'), read('WEBAUTHN_ORIGINS'), isProduction),
    accessTokenTtlMs: duration('ACCESS_TOKEN_TTL', read('ACCESS_TOKEN_TTL') ?? '5m'),
    accessTokenAudience: audience('ACCESS_TOKEN_AUDIENCE', read('ACCESS_TOKEN_AUDIENCE') ?? appUrl),
    logLevel: oneOf('LOG_LEVEL', read('LOG_LEVEL') ?? (nodeEnv === 'test' ? 'silent' : 'info'), LOG_LEVELS),
    // Not an environment variable: every deployment hashes at the baseline. Tests lower it in code.
    passwordHashing: PRODUCTION_PASSWORD_HASHING,
    metricsToken: metricsToken('METRICS_TOKEN', read('METRICS_TOKEN')),
    metricsListen: metricsListen('METRICS_PORT', read('METRICS_PORT'), listenPort),
    tracing: tracing('OTEL_EXPORTER_OTLP_ENDPOINT', read('OTEL_EXPORTER_OTLP_ENDPOINT')),
  });
}

/**
 * OTEL_EXPORTER_OTLP_ENDPOINT alone, for the tracer that starts before anything else is loaded
 * (loadConfig reads and reports it again with the rest).
 */
export function loadTracingConfig(env: Env): Tracing | undefined {
  const value = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  return tracing('OTEL_EXPORTER_OTLP_ENDPOINT', value === '' ? undefined : value);
}

/** A bearer token worth the name: 16 characters or more, nothing a header would mangle. Never echoed. */
function metricsToken(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^[\x21-\x7e]{16,512}$/.test(value)) {
    throw new ConfigError(name, 'must be 16 to 512 printable characters without spaces (e.g. `openssl rand -hex 32`)');
  }
  return value;
}

/**
 * `port` (on 127.0.0.1: private unless said otherwise) or `host:port` (`0.0.0.0:9464`,
 * `[::]:9464`, a private interface's address) to let a scraper on another host reach it.
 */
function metricsListen(name: string, value: string | undefined, mainPort: number): MetricsListen | undefined {
  if (value === undefined) return undefined;
  const match = /^(?:(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):)?(\d{1,5})$/.exec(value);
  const host = match ? (match[1] ?? match[2] ?? '127.0.0.1') : '';
  const port = match ? Number(match[3]) : NaN;
  if (!match || isIP(host) === 0 || !(port >= 1 && port <= 65535)) {
    throw new ConfigError(name, `must be a port from 1 to 65535, or address:port (e.g. 0.0.0.0:9464), got "${value}"`);
  }
  if (port === mainPort) throw new ConfigError(name, `must differ from PORT (${mainPort})`);
  return { host, port };
}

function tracing(name: string, value: string | undefined): Tracing | undefined {
  if (value === undefined) return undefined;
  const parsed = url(name, value, ['http:', 'https:']);
  if (parsed.search || parsed.hash) throw new ConfigError(name, 'must not carry a query or a fragment');
  return { endpoint: value.replace(/\/+$/, '') };
}

/**
 * APP_URL's origin first, then CORS_ORIGINS. Outside production a loopback origin brings its twin
 * (localhost and 127.0.0.1, same scheme and port): the browser treats them as two origins, people
 * type either.
 */
function trustedOrigins(appUrl: string, corsOrigins: string[], isProduction: boolean): string[] {
  const origins = [appUrl, ...corsOrigins].map((value) => new URL(value).origin);
  if (!isProduction) {
    for (const value of [...origins]) {
      const parsed = new URL(value);
      const twin = { localhost: '127.0.0.1', '127.0.0.1': 'localhost' }[parsed.hostname];
      if (twin === undefined) continue;
      parsed.hostname = twin;
      origins.push(parsed.origin);
    }
  }
  return [...new Set(origins)];
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${value}"`);
  }
  return value as T;
}

function duration(name: string, value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) {
    throw new ConfigError(name, `must be a positive duration such as 30s, 30m, 24h or 7d, got "${value}"`);
  }
  return ms;
}

/**
 * A JWT audience (RFC 7519 StringOrURI): printable, without spaces, at most 255 characters; one with a
 * colon must parse as a URI, as the JWT specification asks.
 */
function audience(name: string, value: string): string {
  // eslint-disable-next-line no-control-regex
  if (value.length > 255 || /[\s\u0000-\u001f\u007f]/.test(value)) {
    throw new ConfigError(name, `must be one audience, without spaces, at most 255 characters, got "${value}"`);
  }
  if (value.includes(':') && !URL.canParse(value)) {
    throw new ConfigError(name, `must be a URI when it holds a colon, got "${value}"`);
  }
  return value;
}

function port(name: string, value: string): number {
  const number = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(number >= 0 && number <= 65535)) {
    throw new ConfigError(name, `must be a port number from 0 to 65535, got "${value}"`);
  }
  return number;
}

function boolean(name: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new ConfigError(name, `must be true or false, got "${value}"`);
}

function url(name: string, value: string, protocols: string[]): URL {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    // The value may hold a password: name the variable, not the value.
    throw new ConfigError(name, 'is not a valid URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.map((p) => p.replace(':', '://')).join(' or ')}`);
  }
  return parsed;
}

/** An http(s) origin; APP_URL may carry a path, CORS origins may not. */
function origin(name: string, value: string, allowPath: boolean): string {
  const parsed = (() => {
    try {
      return new URL(value);
    } catch {
      throw new ConfigError(name, `must be an http or https URL, got "${value}"`);
    }
  })();
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError(name, `must be an http or https URL, got "${value}"`);
  }
  if (parsed.username || parsed.password || parsed.search || parsed.hash) {
    throw new ConfigError(name, `must not carry credentials, a query or a fragment, got "${value}"`);
  }
  if (!allowPath && parsed.pathname !== '/') {
    throw new ConfigError(name, `must be origins (scheme, host and port) only, got "${value}"`);
  }
  return allowPath ? `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}` : parsed.origin;
}

function key(name: string, value: string): Buffer {
  const bytes = /^[A-Za-z0-9+/_-]+={0,2}$/.test(value) ? Buffer.from(value, 'base64') : Buffer.alloc(0);
  if (bytes.length !== 32) {
    throw new ConfigError(name, 'must be 32 bytes encoded in base64 (e.g. `openssl rand -base64 32`)');
  }
  return bytes;
}

function trustProxy(name: string, value: string): TrustProxy {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  const entries = list(value);
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address);
    const maxBits = family === 6 ? 128 : 32;
    const bitsOk = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= maxBits);
    if (family === 0 || !bitsOk || extra !== undefined) {
      throw new ConfigError(name, `must be true, false, a hop count or proxy addresses/CIDRs, got "${entry}"`);
    }
  }
  if (entries.length === 0) throw new ConfigError(name, 'must not be empty');
  return entries;
}

/**
 * `ip`, `ip:port`, `[ipv6]:port` or a bare IPv6 address: the forms the resolver takes. A host name
 * cannot name a resolver (it would need one to be found).
 */
function dnsServer(name: string, value: string): string {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]+))(?::(\d{1,5}))?$/.exec(value);
  const address = match ? (match[1] ?? match[2]) : value;
  const ok = match ? (match[1] ? isIP(address) === 6 : isIP(address) === 4) : isIP(value) === 6;
  if (!ok || (match?.[3] !== undefined && Number(match[3]) > 65535)) {
    throw new ConfigError(name, `must be comma-separated IP addresses with an optional :port, got "${value}"`);
  }
  return value;
}

/**
 * Both or neither. An environment variable often carries a PEM's line breaks as `\n`; both forms
 * are read. The messages never repeat the key.
 */
function samlSp(keyText: string | undefined, certText: string | undefined): SamlSpCredentials | undefined {
  if (keyText === undefined && certText === undefined) return undefined;
  if (keyText === undefined) throw new ConfigError('SAML_SP_PRIVATE_KEY', 'is required when SAML_SP_CERT is set');
  if (certText === undefined) throw new ConfigError('SAML_SP_CERT', 'is required when SAML_SP_PRIVATE_KEY is set');
  const pem = (text: string) => text.replace(/\\n/g, '\n');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem(keyText));
  } catch {
    throw new ConfigError('SAML_SP_PRIVATE_KEY', 'must be an unencrypted PEM private key (PKCS#8 or PKCS#1)');
  }
  // XML signatures of AuthnRequests are RSA-SHA256.
  if (privateKey.asymmetricKeyType !== 'rsa') {
    throw new ConfigError(
      'SAML_SP_PRIVATE_KEY',
      `must be an RSA key, got ${privateKey.asymmetricKeyType ?? 'another kind'}`,
    );
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem(certText));
  } catch {
    throw new ConfigError('SAML_SP_CERT', 'must be a PEM certificate (-----BEGIN CERTIFICATE-----)');
  }
  if (!cert.checkPrivateKey(privateKey)) {
    throw new ConfigError('SAML_SP_CERT', 'is not the certificate of SAML_SP_PRIVATE_KEY');
  }
  return { privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, cert: cert.toString() };
}

/**
 * The relying party id is a domain: browsers refuse an IP address as one. Unset, it is APP_URL's
 * host; outside production a loopback address there stands for `localhost` (its twin origin is
 * accepted, and trusted by the cookie rules too), so a development APP_URL of 127.0.0.1 still
 * starts. An origin outside the RP id's domain could never complete a ceremony: refused at start.
 */
function webauthn(
  appUrl: string,
  rpIdText: string | undefined,
  originsText: string | undefined,
  isProduction: boolean,
): WebAuthnSettings {
  const app = new URL(appUrl);
  const appHost = app.hostname.replace(/^\[|\]$/g, '');
  let rpId: string;
  if (rpIdText !== undefined) {
    rpId = rpIdText.toLowerCase();
    if (isIP(rpId.replace(/^\[|\]$/g, '')) !== 0) {
      throw new ConfigError('WEBAUTHN_RP_ID', `must be a domain name, not an IP address, got "${rpIdText}"`);
    }
    if (!/^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/.test(rpId)) {
      throw new ConfigError('WEBAUTHN_RP_ID', `must be a domain name without scheme, port or path, got "${rpIdText}"`);
    }
  } else if (isIP(appHost) === 0) {
    rpId = appHost;
  } else if (!isProduction && (appHost === '127.0.0.1' || appHost === '::1')) {
    rpId = 'localhost';
  } else {
    throw new ConfigError(
      'WEBAUTHN_RP_ID',
      `is required: APP_URL's host ${appHost} is an IP address, which cannot be a passkey relying party`,
    );
  }
  const within = (origin: string) => {
    const host = new URL(origin).hostname;
    return host === rpId || host.endsWith(`.${rpId}`);
  };
  const extra = list(originsText).map((value) => origin('WEBAUTHN_ORIGINS', value, false));
  for (const value of extra) {
    if (!within(value)) {
      throw new ConfigError('WEBAUTHN_ORIGINS', `must be origins within the RP id ${rpId}, got "${value}"`);
    }
  }
  const origins = [app.origin, ...extra];
  if (rpId === 'localhost' && !within(app.origin)) {
    const twin = new URL(app.origin);
    twin.hostname = 'localhost';
    origins.push(twin.origin);
  }
  return { rpId, origins: [...new Set(origins)] };
}

function developmentKey(dataDir: string): Buffer {
  const file = join(dataDir, KEY_FILE);
  if (existsSync(file)) return key(`ENCRYPTION_KEY (generated in ${file})`, readFileSync(file, 'utf8').trim());
  mkdirSync(dataDir, { recursive: true });
  const generated = randomBytes(32);
  // 'wx' never overwrites a key another process wrote meanwhile; read back whichever won.
  try {
    writeFileSync(file, generated.toString('base64') + '\n', { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return key(`ENCRYPTION_KEY (generated in ${file})`, readFileSync(file, 'utf8').trim());
}
