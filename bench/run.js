'use strict';
// `npm run bench`: GET /health, authenticated GET /me over many sessions, login, /me while logins
// run, and the ceiling (bench/ceiling.js), all on this machine in one run against one database;
// then whether a login for an unknown email takes about as long as one with a wrong password, and
// one SCIM directory's sequential requests per second (bench/scim.js). BENCH_ONLY=scim runs that alone.
// DATABASE_URL when set (a bench database is created beside it), else an embedded PostgreSQL.
const { fork, spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { chmodSync, closeSync, mkdtempSync, openSync, rmSync, statSync } = require('node:fs');
const { createServer } = require('node:net');
const { tmpdir } = require('node:os');
const { performance } = require('node:perf_hooks');
const { join } = require('node:path');
const autocannon = require('autocannon');
const { Client } = require('pg');
const { measurePurge } = require('./purge');
const { measureScim } = require('./scim');

const ROOT = join(__dirname, '..');
const DURATION = Number(process.env.BENCH_SECONDS ?? 15);
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 50);
const CONNECTIONS = 20;
/** Logins timed for each of the two answers that must not tell an account apart. */
const TIMING_SAMPLES = 20;
/** The login limit allows 10 failures per account: each of these accounts takes 5 of the samples. */
const TIMING_ACCOUNTS = 4;
const PASSWORD = 'Bench-Passphrase-2024!';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function waitFor(url) {
  for (let i = 0; i < 300; i++) {
    if (
      await fetch(url).then(
        (r) => r.status < 500,
        () => false,
      )
    )
      return;
    await sleep(100);
  }
  throw new Error(`${url} did not come up`);
}

function run(options) {
  return new Promise((resolve, reject) =>
    autocannon({ duration: DURATION, connections: CONNECTIONS, ...options }, (e, r) => (e ? reject(e) : resolve(r))),
  );
}

function summary(name, result) {
  const errors = result.non2xx + result.errors + result.timeouts;
  return { name, rps: Math.round(result.requests.average), p50: result.latency.p50, p99: result.latency.p99, errors };
}

async function writes(admin, database) {
  const { rows } = await admin.query(
    'SELECT tup_inserted + tup_updated + tup_deleted AS n FROM pg_stat_database WHERE datname = $1',
    [database],
  );
  return Number(rows[0].n);
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * An unknown email must cost a login what a wrong password costs (PasswordService.verifyNothing),
 * or response times would tell which addresses have accounts. Sequential logins on a quiet server,
 * the two kinds alternating, each from its own address; the ratio of the medians is the measure.
 */
async function loginTiming(base) {
  const post = (path, body, ip) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
      body: JSON.stringify(body),
    });
  const accounts = [];
  for (let i = 0; i < TIMING_ACCOUNTS; i++) {
    const email = `timing${i}@example.com`;
    const res = await post('/auth/signup', { email, password: PASSWORD }, `10.4.0.${i}`);
    if (res.status !== 201) throw new Error(`signup answered ${res.status}: ${await res.text()}`);
    accounts.push(email);
  }
  const time = async (body, ip) => {
    const started = performance.now();
    const res = await post('/auth/login', body, ip);
    await res.arrayBuffer();
    if (res.status !== 401) throw new Error(`a wrong login answered ${res.status}`);
    return performance.now() - started;
  };
  // The first unknown email also makes the service's dummy hash: that login is left out of the measure.
  await time({ email: 'ghost@example.com', password: 'Wrong-password' }, '10.5.1.0');
  const wrong = [];
  const unknown = [];
  for (let i = 0; i < TIMING_SAMPLES; i++) {
    const ip = `10.5.0.${i}`;
    wrong.push(await time({ email: accounts[i % accounts.length], password: `Wrong-${i}-password` }, ip));
    unknown.push(await time({ email: `ghost${i}@example.com`, password: `Wrong-${i}-password` }, ip));
  }
  return { wrong: median(wrong), unknown: median(unknown) };
}

/** Microsoft Entra ID's gallery asks a SCIM endpoint for at least 25 requests a second. */
function reportScim(scim) {
  const ok = scim.perSecond >= 25;
  console.log(
    `\nSCIM, one directory's sequential requests: ${scim.perSecond.toFixed(1)}/s ` +
      `(${scim.requests} in ${scim.seconds.toFixed(1)} s; target ≥ 25)`,
  );
  console.log(`${ok ? 'PASS' : 'FAIL'}: one directory sustains at least 25 SCIM requests a second`);
}

async function main() {
  let baseUrl = process.env.DATABASE_URL;
  let embedded;
  let embeddedRoot;
  if (!baseUrl) {
    const { startEmbeddedPostgres } = require(join(ROOT, 'dist/src/dev/embedded-postgres'));
    embeddedRoot = mkdtempSync(join(tmpdir(), 'authd-bench-'));
    chmodSync(embeddedRoot, 0o755); // reachable by the postgres user when run as root
    const directory = join(embeddedRoot, 'postgres');
    embedded = await startEmbeddedPostgres({
      directory,
      database: 'postgres',
      persistent: false,
      log: () => undefined,
    });
    baseUrl = embedded.url;
  }
  const database = `authd_bench_${Date.now()}`;
  const admin = new Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(baseUrl);
  url.pathname = `/${database}`;
  const databaseUrl = url.toString();

  const appPort = await freePort();
  const ceilingPort = await freePort();
  // Production defaults, as a user runs it: NODE_ENV=production, info logs (one JSON line per
  // request) written to a file. The ceiling logs the same way to a file of its own.
  const logDir = mkdtempSync(join(tmpdir(), 'authd-bench-logs-'));
  const appLog = openSync(join(logDir, 'app.log'), 'a');
  const ceilingLog = openSync(join(logDir, 'ceiling.log'), 'a');
  const env = {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    TASKS_ENABLED: 'false',
    // Logins come "from" many addresses, so the per-IP login limit is not what is measured: the
    // bench stands in for the one proxy in front, and the address it forwards is the client's.
    TRUST_PROXY: '1',
  };
  const app = spawn(process.execPath, [join(ROOT, 'dist/src/main.js')], {
    env: { ...env, DATABASE_URL: databaseUrl, PORT: String(appPort) },
    stdio: ['ignore', appLog, 'inherit'],
  });
  const ceiling = fork(join(__dirname, 'ceiling.js'), {
    env: { DATABASE_URL: databaseUrl, PORT: String(ceilingPort), LOG_LEVEL: 'info' },
    stdio: ['ignore', ceilingLog, 'inherit', 'ipc'],
  });
  const exited = (child) =>
    new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
  const stop = async () => {
    app.kill('SIGTERM');
    ceiling.kill('SIGTERM');
    await Promise.all([exited(app), exited(ceiling)]);
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    await embedded?.stop();
    if (embeddedRoot) rmSync(embeddedRoot, { recursive: true, force: true });
    closeSync(appLog);
    closeSync(ceilingLog);
    rmSync(logDir, { recursive: true, force: true });
  };

  try {
    const base = `http://127.0.0.1:${appPort}`;
    await waitFor(`${base}/health`);
    if (process.env.BENCH_ONLY === 'scim') {
      reportScim(await measureScim({ base, databaseUrl }));
      return;
    }
    await waitFor(`http://127.0.0.1:${ceilingPort}/me`);

    // Sessions to rotate over: one user per session, each signing up from its own address.
    const tokens = [];
    for (let i = 0; i < SESSIONS; i++) {
      const res = await fetch(`${base}/auth/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.1.${i >> 8}.${i & 255}` },
        body: JSON.stringify({ email: `bench${i}@example.com`, password: PASSWORD }),
      });
      if (res.status !== 201) throw new Error(`signup answered ${res.status}: ${await res.text()}`);
      tokens.push((await res.json()).session.token);
    }
    // Logins go to an account of their own: its sessions come and go (the per-user cap revokes the
    // oldest), which must not touch the sessions /me rotates over.
    const signup = await fetch(`${base}/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.3.0.1' },
      body: JSON.stringify({ email: 'login@example.com', password: PASSWORD }),
    });
    if (signup.status !== 201) throw new Error(`signup answered ${signup.status}`);
    const loginIps = Array.from({ length: 50 }, (_, i) => `10.2.0.${i}`);
    let n = 0;
    const meRequests = [
      {
        setupRequest: (req) => ({
          ...req,
          headers: { ...req.headers, authorization: `Bearer ${tokens[n++ % tokens.length]}` },
        }),
      },
    ];
    const loginRequests = [
      {
        method: 'POST',
        setupRequest: (req) => ({
          ...req,
          headers: {
            ...req.headers,
            'content-type': 'application/json',
            'x-forwarded-for': loginIps[n++ % loginIps.length],
          },
          body: JSON.stringify({ email: 'login@example.com', password: PASSWORD }),
        }),
      },
    ];

    const ceilingBase = `http://127.0.0.1:${ceilingPort}`;
    // Warm up every path (JIT, pools, prepared statements, known login addresses).
    await run({ url: `${base}/health`, duration: 2 });
    await run({ url: `${ceilingBase}/health`, duration: 2 });
    await run({ url: `${base}/me`, requests: meRequests, duration: 2 });
    await run({ url: `${ceilingBase}/me`, requests: meRequests, duration: 2 });
    await run({ url: `${base}/auth/login`, requests: loginRequests, connections: 4, duration: 2 });

    const health = summary('GET /health', await run({ url: `${base}/health` }));
    const healthCeiling = summary(
      'ceiling: GET /health (node:http + pg ping)',
      await run({ url: `${ceilingBase}/health` }),
    );

    // Every session's touch is due when the run starts: the most writes a run of this length can see.
    const bench = new Client({ connectionString: databaseUrl });
    await bench.connect();
    await bench.query(`UPDATE sessions SET last_active_at = last_active_at - interval '61 seconds'`);
    await bench.end();
    await sleep(11_000); // PostgreSQL's statistics reach pg_stat_database within 10 s of a backend going idle
    const writesBefore = await writes(admin, database);
    const meResult = await run({ url: `${base}/me`, requests: meRequests });
    await sleep(11_000);
    const meWrites = (await writes(admin, database)) - writesBefore;
    const me = summary(`GET /me (${SESSIONS} sessions)`, meResult);
    const meCeiling = summary(
      'ceiling: GET /me (node:http + pg, prepared)',
      await run({ url: `${ceilingBase}/me`, requests: meRequests }),
    );
    const login = summary(
      'POST /auth/login',
      await run({ url: `${base}/auth/login`, requests: loginRequests, connections: 8 }),
    );
    const [meUnderLoginsResult] = await Promise.all([
      run({ url: `${base}/me`, requests: meRequests }),
      run({ url: `${base}/auth/login`, requests: loginRequests, connections: 8 }),
    ]);
    const meUnderLogins = summary('GET /me while logins run', meUnderLoginsResult);
    const purge = await measurePurge({
      databaseUrl,
      env,
      meUrl: `${base}/me`,
      meRequests,
      connections: CONNECTIONS,
    });
    const meUnderPurge = summary('GET /me while an account is purged', purge.me);

    const results = [health, healthCeiling, me, meCeiling, login, meUnderLogins, meUnderPurge];
    console.log(
      '\n' +
        'route'.padEnd(46) +
        'req/s'.padStart(8) +
        'p50 ms'.padStart(9) +
        'p99 ms'.padStart(9) +
        'errors'.padStart(8),
    );
    for (const r of results) {
      console.log(
        r.name.padEnd(46) +
          String(r.rps).padStart(8) +
          String(r.p50).padStart(9) +
          String(r.p99).padStart(9) +
          String(r.errors).padStart(8),
      );
    }
    const figures = {
      meVsCeiling: me.rps / meCeiling.rps,
      healthVsCeiling: health.rps / healthCeiling.rps,
      meP99UnderLogins: meUnderLogins.p99 / me.p99,
      writesPerSession: meWrites / SESSIONS,
      purgeSeconds: purge.seconds,
      meP99UnderPurge: meUnderPurge.p99 / me.p99,
    };
    console.log(`\nGET /me ÷ ceiling: ${figures.meVsCeiling.toFixed(2)} (target ≥ 0.6)`);
    console.log(`GET /health ÷ ceiling's ping: ${figures.healthVsCeiling.toFixed(2)} (target ≥ 0.6)`);
    console.log(`GET /me p99 while logins run ÷ alone: ${figures.meP99UnderLogins.toFixed(2)} (target ≤ 2)`);
    console.log(
      `database writes per session during GET /me: ${figures.writesPerSession.toFixed(2)} (${meWrites} rows in ` +
        `${meResult.requests.total} requests over ${SESSIONS} sessions, each touch due at the start; target ≤ 1)`,
    );
    console.log(
      `purge: one account with 100k audit rows, 10k documents, 1k sessions erased in ${purge.seconds.toFixed(1)} s ` +
        `(the CLI process, start to exit; target < 30 s); GET /me p99 meanwhile ${meUnderPurge.p99} ms ` +
        `(${figures.meP99UnderPurge.toFixed(2)}× alone)`,
    );
    console.log(
      `log lines written: app ${statSync(join(logDir, 'app.log')).size} bytes, ceiling ${statSync(join(logDir, 'ceiling.log')).size} bytes`,
    );

    const scim = await measureScim({ base, databaseUrl });
    reportScim(scim);
    figures.scimRequestsPerSecond = scim.perSecond;

    const timing = await loginTiming(base);
    const timingRatio = timing.unknown / timing.wrong;
    const timingOk = timingRatio > 0.5 && timingRatio < 2;
    console.log(
      `\nlogin, unknown email ÷ wrong password (medians of ${TIMING_SAMPLES}: ` +
        `${timing.unknown.toFixed(1)} ms ÷ ${timing.wrong.toFixed(1)} ms): ${timingRatio.toFixed(2)} (expected 0.5–2)`,
    );
    console.log(`${timingOk ? 'PASS' : 'FAIL'}: an unknown email and a wrong password take about the same time`);
    console.log(`\nBENCH_JSON ${JSON.stringify({ results, figures, timingRatio })}`);
  } finally {
    await stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
