'use strict';
// The purge line of `npm run bench`: one account with 100k audit rows, 10k documents and 1k
// sessions, past its grace period, erased by `purge-deleted-accounts` (the CLI, as an operator runs
// it) while GET /me keeps being served; answers how long the purge took and GET /me's latency meanwhile.
const { spawn } = require('node:child_process');
const { join } = require('node:path');
const autocannon = require('autocannon');
const { Client } = require('pg');

const ROOT = join(__dirname, '..');

async function seedDoomedAccount(databaseUrl) {
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query('BEGIN');
    const {
      rows: [user],
    } = await db.query(
      `INSERT INTO users (email, name, email_verified_at, ever_verified, created_at, updated_at, deletion_scheduled_for)
       VALUES ('doomed@example.com', 'Doomed Account', now(), true, now() - interval '40 days', now(), now() - interval '1 hour')
       RETURNING id`,
    );
    const {
      rows: [heir],
    } = await db.query(`SELECT id FROM users WHERE email = 'bench0@example.com'`);
    const {
      rows: [org],
    } = await db.query(`INSERT INTO organizations (name, created_at) VALUES ('Doomed Co', now()) RETURNING id`);
    await db.query(
      `INSERT INTO org_members (org_id, user_id, role, created_at) VALUES ($1, $2, 'owner', now() - interval '1 day'), ($1, $3, 'member', now())`,
      [org.id, user.id, heir.id],
    );
    await db.query(
      `INSERT INTO documents (org_id, author_id, title, body, created_at)
       SELECT $1, $2, 'Document ' || n, repeat('text ', 40), now() FROM generate_series(1, 10000) n`,
      [org.id, user.id],
    );
    await db.query(
      `INSERT INTO sessions (user_id, token_hash, auth_method, ip, user_agent, device_name, created_at, last_active_at, expires_at, reauthenticated_at)
       SELECT $1, decode(md5('doomed' || n), 'hex'), 'password', '10.9.0.1', 'bench', 'Bench', now(), now(), now() + interval '1 day', now()
         FROM generate_series(1, 1000) n`,
      [user.id],
    );
    await db.query(
      `INSERT INTO audit_log (action, actor_id, actor_email, ip, user_agent, target, details, created_at)
       SELECT 'user.login', $1::uuid, 'doomed@example.com', '10.9.0.1', 'bench', 'user:' || $1::text, jsonb_build_object('n', n), now()
         FROM generate_series(1, 100000) n`,
      [user.id],
    );
    await db.query('COMMIT');
    await db.query('ANALYZE');
    return user.id;
  } finally {
    await db.end();
  }
}

function runTask(env, name) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const task = spawn(process.execPath, [join(ROOT, 'dist/src/cli.js'), 'task', name], {
      env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', TASKS_ENABLED: 'false', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    task.stdout.on('data', (chunk) => (out += chunk));
    task.once('exit', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code === 0) resolve({ seconds, out });
      else reject(new Error(`${name} exited with ${code}: ${out}`));
    });
  });
}

/** Seeds the account, then runs the purge while autocannon keeps GET /me busy; stops both together. */
async function measurePurge({ databaseUrl, env, meUrl, meRequests, connections }) {
  const userId = await seedDoomedAccount(databaseUrl);
  let load;
  const loaded = new Promise((resolve, reject) => {
    load = autocannon({ url: meUrl, requests: meRequests, connections, duration: 120 }, (e, r) =>
      e ? reject(e) : resolve(r),
    );
  });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const purge = await runTask({ ...env, DATABASE_URL: databaseUrl }, 'purge-deleted-accounts');
  load.stop();
  const me = await loaded;
  const db = new Client({ connectionString: databaseUrl });
  await db.connect();
  const {
    rows: [left],
  } = await db.query(
    `SELECT (SELECT count(*) FROM users WHERE id = $1)::int AS users,
            (SELECT count(*) FROM audit_log WHERE actor_id = $1)::int AS audit,
            (SELECT count(*) FROM documents WHERE author_id = $1)::int AS documents`,
    [userId],
  );
  await db.end();
  if (left.users + left.audit + left.documents !== 0) throw new Error(`the purge left rows: ${JSON.stringify(left)}`);
  return { seconds: purge.seconds, me };
}

module.exports = { measurePurge };
