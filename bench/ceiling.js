'use strict';
// The ceiling: the best a bare node:http server does for the same work, against the same database,
// on the same machine. GET /me is the app's session lookup (src/sessions/sessions.repository.ts
// RESOLVE_SQL, with the user columns of src/users/user-view-join.ts) as a named prepared statement
// on a pool of the app's size, answering the app's User object (src/users/user.dto.ts); GET /health
// is the app's database ping. Each request gets an id and, like the app at its default info level,
// one JSON log line (none for /health) written the way the app writes its own request line
// (src/common/logging.ts requestLogger): through a child of the app's logger without redaction.
const { createHash, randomUUID } = require('node:crypto');
const http = require('node:http');
const { performance } = require('node:perf_hooks');
const { Pool } = require('pg');
const { join } = require('node:path');
const pino = require('pino');
// The users module's columns, from the build the bench runs (`npm run bench` builds first).
const { USER_VIEW_COLUMNS } = require(join(__dirname, '../dist/src/users/user-view-join'));

// The app's pool (src/database/pool.ts) holds 20 connections.
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
// The app's logger options (src/common/logging.ts createLogger): ISO time, level label, redaction
// for every line but the request line, which goes through a child logger that drops it.
const logger = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
  redact: {
    paths: ['password', 'newPassword', 'token', 'totpCode', 'code', 'secret', 'key', 'cookie', 'authorization'].flatMap(
      (field) => [field, `*.${field}`],
    ),
    censor: '[redacted]',
  },
});
const lines = logger.child({}, { redact: [] });
// RESOLVE_SQL of src/sessions/sessions.repository.ts, under the app's statement name.
const RESOLVE = {
  name: 'resolve_session',
  text: `
  SELECT s.id, s.created_at, s.last_active_at, s.expires_at, s.reauthenticated_at, s.revoked_at,
         s.rotation_required, ${USER_VIEW_COLUMNS}
    FROM sessions s JOIN users u ON u.id = s.user_id
   WHERE s.token_hash = $1`,
};
const PING = { name: 'ping', text: 'SELECT 1' };

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}

async function me(req, res) {
  const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (!token) return send(res, 401, { statusCode: 401, error: 'unauthenticated' });
  const { rows } = await pool.query({ ...RESOLVE, values: [createHash('sha256').update(token).digest()] });
  const row = rows[0];
  if (!row || row.revoked_at || Date.now() >= row.expires_at.getTime()) {
    return send(res, 401, { statusCode: 401, error: 'unauthenticated' });
  }
  // The app's User object (UserDto.of), field for field.
  send(res, 200, {
    id: row.u_id,
    email: row.u_email,
    name: row.u_name,
    emailVerified: row.u_email_verified_at !== null,
    twoFactorEnabled: row.u_two_factor_enabled,
    hasPassword: row.u_has_password,
    hasPasskey: row.u_has_passkey,
    ssoProviderId: row.u_sso_provider_id,
    createdAt: row.u_created_at.toISOString(),
    deletionScheduledFor: row.u_deletion_scheduled_for?.toISOString() ?? null,
  });
}

async function health(res) {
  await pool.query(PING);
  send(res, 200, { status: 'ok', db: 'up' });
}

http
  .createServer(async (req, res) => {
    const id = randomUUID();
    res.setHeader('X-Request-Id', id);
    const path = req.url.split('?')[0];
    if (path !== '/health' && lines.isLevelEnabled('info')) {
      const started = performance.now();
      res.once('finish', () => {
        lines.info(
          {
            req: { id, method: req.method, path },
            res: { statusCode: res.statusCode },
            responseTime: Math.round(performance.now() - started),
          },
          `${req.method} ${res.statusCode}`,
        );
      });
    }
    try {
      if (path === '/me') await me(req, res);
      else if (path === '/health') await health(res);
      else send(res, 404, { statusCode: 404, error: 'not_found' });
    } catch {
      send(res, 500, { statusCode: 500, error: 'internal_error' });
    }
  })
  .listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
