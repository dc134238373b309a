'use strict';
// The ceiling: the best a bare node:http server does for the same work, against the same database,
// on the same machine. GET /me is the app's session lookup (token hash → session joined with its
// user) as a named prepared statement on a pool of the app's size; GET /health is the app's
// database ping. Each request gets an id and, like the app at its default info level, one JSON log
// line written through pino (the app's logger) to the same kind of destination.
const { createHash, randomUUID } = require('node:crypto');
const http = require('node:http');
const { performance } = require('node:perf_hooks');
const { Pool } = require('pg');
const pino = require('pino');

// The app's pool (src/database/data-source.ts) holds 20 connections.
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
// The app's logger options (src/common/logging.ts): ISO time, level label, the same redaction.
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
const RESOLVE = {
  name: 'resolve_session',
  text: `SELECT s.id, s.created_at, s.last_active_at, s.expires_at, s.reauthenticated_at, s.revoked_at,
                u.id AS user_id, u.email, u.name, u.email_verified_at, u.two_factor_enabled,
                u.password_hash IS NOT NULL AS has_password, u.sso_provider_id, u.created_at AS user_created_at,
                u.deletion_scheduled_for
           FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1`,
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
  if (!row || row.revoked_at) return send(res, 401, { statusCode: 401, error: 'unauthenticated' });
  send(res, 200, {
    id: row.user_id,
    email: row.email,
    name: row.name,
    emailVerified: row.email_verified_at !== null,
    twoFactorEnabled: row.two_factor_enabled,
    hasPassword: row.has_password,
    ssoProviderId: row.sso_provider_id,
    createdAt: row.user_created_at.toISOString(),
    deletionScheduledFor: row.deletion_scheduled_for?.toISOString() ?? null,
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
    if (path !== '/health') {
      const started = performance.now();
      res.once('finish', () => {
        logger.info(
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
