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
export { ConfigError, loadConfig, loadTracingConfig } from './load-config';
export type { Env } from './load-config';
export { parseDuration } from './duration';

import { loadConfig, loadTracingConfig } from './load-config';
import { AppConfig } from './app-config';

/** The one place the process environment is read. */
export function loadConfigFromEnv(): AppConfig {
  return loadConfig(process.env);
}

/** OTEL_EXPORTER_OTLP_ENDPOINT from the environment, read before the rest (see src/tracing.ts). */
export function loadTracingConfigFromEnv(): ReturnType<typeof loadTracingConfig> {
  return loadTracingConfig(process.env);
}
