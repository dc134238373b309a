import type { PoolConfig } from 'pg';

/**
 * Limits PostgreSQL enforces on every pooled connection (pg's client settings, sent at connect): a
 * statement running or waiting for a lock longer is cancelled, and the request answers 503 instead
 * of hanging. The serving app sets them; migrations and `npm run task` run without (0: no limit).
 */
export interface DatabaseTimeouts {
  statementTimeoutMs: number;
  lockTimeoutMs: number;
}

/** The serving app's pool of connections (Sql's). */
export function poolConfig(url: string, timeouts: DatabaseTimeouts): PoolConfig {
  return {
    connectionString: url,
    application_name: 'authd',
    max: 20,
    connectionTimeoutMillis: 5000,
    statement_timeout: timeouts.statementTimeoutMs,
    lock_timeout: timeouts.lockTimeoutMs,
    // A transaction left open by a stuck request must not hold its locks for longer either.
    idle_in_transaction_session_timeout: timeouts.statementTimeoutMs,
  };
}
