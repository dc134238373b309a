'use strict';
// The ceiling for GET /me: a bare node:http server doing the same token-hash lookup, joined with
// the user, against the same database, with nothing else (no framework, no guards, no logging).
const { createHash } = require('node:crypto');
const http = require('node:http');
const { Pool } = require('pg');

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
const SQL = `SELECT s.id, s.last_active_at, s.expires_at, s.revoked_at, u.id AS user_id, u.email, u.name
               FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1`;

http
  .createServer(async (req, res) => {
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (req.url !== '/me' || !token) {
      res.writeHead(401).end();
      return;
    }
    try {
      const { rows } = await pool.query(SQL, [createHash('sha256').update(token).digest()]);
      if (!rows[0] || rows[0].revoked_at) {
        res.writeHead(401).end();
        return;
      }
      const body = JSON.stringify({ id: rows[0].user_id, email: rows[0].email, name: rows[0].name });
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    } catch {
      res.writeHead(500).end();
    }
  })
  .listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
