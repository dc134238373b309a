import { DatabaseError } from 'pg';

/** PostgreSQL's foreign_key_violation: the row referred to is gone (e.g. an account erased meanwhile). */
export function isForeignKeyViolation(error: unknown): boolean {
  return error instanceof DatabaseError && error.code === '23503';
}

/** PostgreSQL's unique_violation, optionally on one named constraint. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  return (
    error instanceof DatabaseError &&
    error.code === '23505' &&
    (constraint === undefined || error.constraint === constraint)
  );
}

/**
 * Whether an error means the database cannot serve the request right now (it is down, restarting,
 * unreachable, out of connections, or cancelled a statement that ran or waited too long), as opposed
 * to a bug or a bad query. Such requests answer 503 service_unavailable with Retry-After; the same
 * request is expected to succeed later.
 *
 * Errors arrive from pg as they are: a DatabaseError for what the server answers, an Error with a
 * socket's code or one of pg's messages for a connection that broke or could not be had.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const { code, message, severity } = error as { code?: unknown; message?: unknown; severity?: unknown };
  if (
    typeof code === 'string' &&
    (UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08') || NETWORK_CODES.has(code))
  ) {
    return true;
  }
  // PostgreSQL reports FATAL only when it ends a session or refuses to start one: whatever the
  // SQLSTATE (55000 for a database that allows no connections, 28000 for a missing pg_hba entry,
  // 3D000 for a missing database), there is no connection to serve the request with.
  if (severity === 'FATAL') return true;
  return typeof message === 'string' && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message));
}

/** PostgreSQL SQLSTATEs (class 08, connection exceptions, is matched by prefix). */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown: the server is stopping or the backend was terminated
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or in recovery
  '53300', // too_many_connections
  '53000', // insufficient_resources: e.g. out of shared memory for a new connection
  '57014', // query_canceled: statement_timeout
  '55P03', // lock_not_available: lock_timeout
  '25P03', // idle_in_transaction_session_timeout
]);

/** Node's socket errors while connecting to or talking with the server. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** What pg says, without a code, when a connection breaks or cannot be had in time. */
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Client has encountered a connection error and is not queryable/,
  /^Client was closed and is not queryable/,
];
