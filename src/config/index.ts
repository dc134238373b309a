export { AppConfig } from './app-config';
export type {
  AppConfigValues,
  LogLevel,
  MetricsListen,
  NodeEnv,
  PasswordHashing,
  SamlSpCredentials,
  Tracing,
  TrustProxy,
  WebAuthnSettings,
} from './app-config';
export { ConfigModule } from './config.module';
export { ConfigError, loadConfig } from './load-config';
export type { Env } from './load-config';
export { parseDuration } from './duration';

import { loadConfig } from './load-config';
import { AppConfig } from './app-config';

/** The one place the process environment is read. */
export function loadConfigFromEnv(): AppConfig {
  return loadConfig(process.env);
}
