'use strict';
// `npm run bench`: the hot path, GET /health and authenticated GET /me over many sessions, each beside
// the ceiling (bench/ceiling.js) in BENCH_RUNS runs that alternate app and ceiling; sign-ins per
// second and per core, /me while logins run, the purge of a large account, one SCIM directory's
// sequential requests per second (bench/scim.js), and whether a login for an unknown email takes
// about as long as one with a wrong password; all on this machine against one database.
// `npm run bench -- --instances N` also starts N instances of the service on that database and
// compares GET /me spread over them with GET /me on one. BENCH_ONLY=scim runs the SCIM line alone.
// DATABASE_URL when set (a bench database is created beside it), else an embedded PostgreSQL.
const { fork, spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const { chmodSync, closeSync, mkdtempSync, openSync, rmSync, statSync } = require('node:fs');
const { createServer } = require('node:net');
const { availableParallelism, tmpdir } = require('node:os');
const { performance } = require('node:perf_hooks');
const { join } = require('node:path');
const autocannon = require('autocannon');
const { Client } = require('pg');
const { measurePurge } = require('./purge');
const { measureScim } = require('./scim');

const ROOT = join(__dirname, '..');
/** Seconds of each measurement (each run of the repeated ones, the login ones, the instances). */
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
/** How often the hot path (and the instances comparison) is measured, app and ceiling alternating. */
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 5));
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 50);
const CONNECTIONS = 20;
/** Concurrent logins: enough to keep every argon2 thread busy. */
const LOGIN_CONNECTIONS = 8;
const CORES = availableParallelism();
/** `--instances N` (or `--instances=N`, or BENCH_INSTANCES): how many instances to compare with one. */
const INSTANCES = (() => {
  const args = process.argv.slice(2);
  const at = args.findIndex((a) => a === '--instances' || a.startsWith('--instances='));
  const value =
    at === -1 ? process.env.BENCH_INSTANCES : args[at].includes('=') ? args[at].split('=')[1] : args[at + 1];
  const n = value === undefined ? 1 : Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--instances takes a whole number ≥ 1, not ${value}`);
  return n;
})();
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

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The median and the spread of several runs' values: `4210 (3980–4490)`; one value alone. */
function spread(values, digits = 0) {
  const f = (v) => v.toFixed(digits);
  if (values.length === 1) return f(values[0]);
  return `${f(median(values))} (${f(Math.min(...values))}–${f(Math.max(...values))})`;
}

/** Several runs of one route: the median req/s and p99 with their spread, and the errors of all. */
function aggregate(name, runs) {
  return {
    name,
    rps: median(runs.map((r) => r.rps)),
    p99: median(runs.map((r) => r.p99)),
    rpsRuns: runs.map((r) => r.rps),
    p99Runs: runs.map((r) => r.p99),
    p50Runs: runs.map((r) => r.p50),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
  };
}

/**
 * GET /me spread over several instances at once: one autocannon per instance, the connections
 * split between them; the req/s summed, the p99 the worst of theirs.
 */
async function runSpread(name, bases, requests) {
  const results = await Promise.all(
    bases.map((b, i) =>
      run({
        url: `${b}/me`,
        requests,
        connections: Math.floor(CONNECTIONS / bases.length) + (i < CONNECTIONS % bases.length ? 1 : 0),
      }),
    ),
  );
  const parts = results.map((r) => summary(name, r));
  return {
    name,
    rps: parts.reduce((sum, r) => sum + r.rps, 0),
    p50: Math.max(...parts.map((r) => r.p50)),
    p99: Math.max(...parts.map((r) => r.p99)),
    errors: parts.reduce((sum, r) => sum + r.errors, 0),
  };
}

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

/** One row of the table: a route's req/s, p50 and p99 (median and spread when it ran several times). */
function row(name, rps, p50, p99, errors) {
  return name.padEnd(46) + rps.padStart(20) + p50.padStart(14) + p99.padStart(16) + String(errors).padStart(8);
}

function printTable(repeated, once) {
  console.log(
    '\n' +
      'route'.padEnd(46) +
      'req/s'.padStart(20) +
      'p50 ms'.padStart(14) +
      'p99 ms'.padStart(16) +
      'errors'.padStart(8),
  );
  for (const r of repeated) console.log(row(r.name, spread(r.rpsRuns), spread(r.p50Runs), spread(r.p99Runs), r.errors));
  for (const r of once) console.log(row(r.name, String(r.rps), String(r.p50), String(r.p99), r.errors));
}

async function main() {
  const started = performance.now();
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

  // Production defaults, as a user runs it: NODE_ENV=production, info logs (one JSON line per
  // request) written to a file. The ceiling logs the same way to a file of its own.
  const logDir = mkdtempSync(join(tmpdir(), 'authd-bench-logs-'));
  const logs = [];
  const logFile = (name) => {
    const fd = openSync(join(logDir, name), 'a');
    logs.push(fd);
    return fd;
  };
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
  const children = new Set();
  const exited = (child) =>
    new Promise((resolve) =>
      child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', resolve),
    );
  /** An instance of the built service on the bench database: same env, its own port and log file. */
  const startApp = (port, log) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist/src/main.js')], {
      env: { ...env, DATABASE_URL: databaseUrl, PORT: String(port) },
      stdio: ['ignore', logFile(log), 'inherit'],
    });
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };
  const stopChildren = async (list) => {
    for (const child of list) child.kill('SIGTERM');
    await Promise.all(list.map(exited));
  };
  const appPort = await freePort();
  const ceilingPort = await freePort();
  startApp(appPort, 'app.log');
  const ceiling = fork(join(__dirname, 'ceiling.js'), {
    env: { DATABASE_URL: databaseUrl, PORT: String(ceilingPort), LOG_LEVEL: 'info' },
    stdio: ['ignore', logFile('ceiling.log'), 'inherit', 'ipc'],
  });
  children.add(ceiling);
  ceiling.once('exit', () => children.delete(ceiling));
  let stopping;
  const stop = () =>
    (stopping ??= (async () => {
      await stopChildren([...children]);
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
      await admin.end();
      await embedded?.stop();
      if (embeddedRoot) rmSync(embeddedRoot, { recursive: true, force: true });
      for (const fd of logs) closeSync(fd);
      rmSync(logDir, { recursive: true, force: true });
    })());
  // Interrupted, the bench still stops what it started and drops its database.
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      console.error(`bench: ${signal}, stopping`);
      stop().finally(() => process.exit(130));
    });
  }

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

    // The ceiling answers the app's User object: a GET /me of each must carry the same fields.
    const auth = { authorization: `Bearer ${tokens[0]}` };
    const [appMe, ceilingMe] = await Promise.all(
      [base, `http://127.0.0.1:${ceilingPort}`].map((b) => fetch(`${b}/me`, { headers: auth }).then((r) => r.json())),
    );
    const keys = (o) => Object.keys(o).sort().join(',');
    if (keys(appMe) !== keys(ceilingMe)) {
      throw new Error(`the ceiling's /me (${keys(ceilingMe)}) is not the app's User object (${keys(appMe)})`);
    }

    const ceilingBase = `http://127.0.0.1:${ceilingPort}`;
    // Warm up every path (JIT, pools, prepared statements, known login addresses).
    await run({ url: `${base}/health`, duration: 2 });
    await run({ url: `${ceilingBase}/health`, duration: 2 });
    await run({ url: `${base}/me`, requests: meRequests, duration: 2 });
    await run({ url: `${ceilingBase}/me`, requests: meRequests, duration: 2 });
    await run({ url: `${base}/auth/login`, requests: loginRequests, connections: 4, duration: 2 });

    // The hot path, RUNS times: app and ceiling back to back within each run, which of the two goes
    // first alternating from run to run, so a slow moment of the machine falls on both alike.
    const runs = [];
    let meWrites;
    let meRequestsTotal;
    for (let i = 0; i < RUNS; i++) {
      const pair = async (appSide, ceilingSide) => {
        if (i % 2 === 0) return [await appSide(), await ceilingSide()];
        const c = await ceilingSide();
        return [await appSide(), c];
      };
      const [health, healthCeiling] = await pair(
        async () => summary('GET /health', await run({ url: `${base}/health` })),
        async () => summary('ceiling: GET /health', await run({ url: `${ceilingBase}/health` })),
      );
      const [me, meCeiling] = await pair(
        async () => {
          if (i > 0) return summary('GET /me', await run({ url: `${base}/me`, requests: meRequests }));
          // The first run also counts the database writes: every session's touch is due when it
          // starts, the most writes a run of this length can see.
          const bench = new Client({ connectionString: databaseUrl });
          await bench.connect();
          await bench.query(`UPDATE sessions SET last_active_at = last_active_at - interval '61 seconds'`);
          await bench.end();
          await sleep(11_000); // PostgreSQL's statistics reach pg_stat_database within 10 s of a backend going idle
          const writesBefore = await writes(admin, database);
          const result = await run({ url: `${base}/me`, requests: meRequests });
          await sleep(11_000);
          meWrites = (await writes(admin, database)) - writesBefore;
          meRequestsTotal = result.requests.total;
          return summary('GET /me', result);
        },
        async () => summary('ceiling: GET /me', await run({ url: `${ceilingBase}/me`, requests: meRequests })),
      );
      runs.push({ health, healthCeiling, me, meCeiling });
      console.log(
        `run ${i + 1}/${RUNS}: /health ${health.rps} vs ${healthCeiling.rps} req/s, ` +
          `/me ${me.rps} vs ${meCeiling.rps} req/s (app vs ceiling)`,
      );
    }
    const health = aggregate(
      'GET /health',
      runs.map((r) => r.health),
    );
    const healthCeiling = aggregate(
      'ceiling: GET /health (node:http + pg ping)',
      runs.map((r) => r.healthCeiling),
    );
    const me = aggregate(
      `GET /me (${SESSIONS} sessions)`,
      runs.map((r) => r.me),
    );
    const meCeiling = aggregate(
      'ceiling: GET /me (node:http + pg, prepared)',
      runs.map((r) => r.meCeiling),
    );
    const meRatios = runs.map((r) => r.me.rps / r.meCeiling.rps);
    const healthRatios = runs.map((r) => r.health.rps / r.healthCeiling.rps);

    // Several instances on the one database: GET /me spread over N of them against one alone,
    // alternating within each run like the hot path.
    let instances;
    if (INSTANCES > 1) {
      const extra = [];
      const bases = [base];
      for (let i = 1; i < INSTANCES; i++) {
        const port = await freePort();
        extra.push(startApp(port, `app${i}.log`));
        bases.push(`http://127.0.0.1:${port}`);
      }
      try {
        await Promise.all(bases.map((b) => waitFor(`${b}/health`)));
        for (const b of bases.slice(1)) await run({ url: `${b}/me`, requests: meRequests, duration: 2 });
        const one = [];
        const many = [];
        for (let i = 0; i < RUNS; i++) {
          const single = async () =>
            one.push(summary('GET /me, 1 instance', await run({ url: `${base}/me`, requests: meRequests })));
          const spreadOver = async () =>
            many.push(await runSpread(`GET /me, ${INSTANCES} instances`, bases, meRequests));
          if (i % 2 === 0) {
            await single();
            await spreadOver();
          } else {
            await spreadOver();
            await single();
          }
          console.log(
            `instances run ${i + 1}/${RUNS}: GET /me ${one[i].rps} req/s on 1, ${many[i].rps} on ${INSTANCES}`,
          );
        }
        instances = {
          one: aggregate('GET /me, 1 instance', one),
          many: aggregate(`GET /me, ${INSTANCES} instances (summed)`, many),
          ratios: many.map((m, i) => m.rps / one[i].rps),
        };
      } finally {
        await stopChildren(extra);
      }
    }

    // Sign-ins at the service's argon2id cost (its default: 19 MiB, 2 passes, 1 lane), then GET /me
    // while as many run.
    const loginResult = await run({
      url: `${base}/auth/login`,
      requests: loginRequests,
      connections: LOGIN_CONNECTIONS,
    });
    const login = summary(`POST /auth/login (${LOGIN_CONNECTIONS} connections)`, loginResult);
    const signInsPerSecond = loginResult['2xx'] / loginResult.duration;
    const [meUnderLoginsResult] = await Promise.all([
      run({ url: `${base}/me`, requests: meRequests }),
      run({ url: `${base}/auth/login`, requests: loginRequests, connections: LOGIN_CONNECTIONS }),
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

    const repeated = [health, healthCeiling, me, meCeiling, ...(instances ? [instances.one, instances.many] : [])];
    printTable(repeated, [login, meUnderLogins, meUnderPurge]);
    console.log(
      `(${RUNS} run${RUNS === 1 ? '' : 's'} of ${DURATION} s: the median, then the spread min–max; ` +
        `the last rows ran once)`,
    );
    const figures = {
      meVsCeiling: median(meRatios),
      meVsCeilingRuns: meRatios,
      healthVsCeiling: median(healthRatios),
      healthVsCeilingRuns: healthRatios,
      signInsPerSecond,
      signInsPerCore: signInsPerSecond / CORES,
      cores: CORES,
      meP99UnderLogins: meUnderLogins.p99 / me.p99,
      writesPerSession: meWrites / SESSIONS,
      purgeSeconds: purge.seconds,
      meP99UnderPurge: meUnderPurge.p99 / me.p99,
    };
    console.log(`\nGET /me ÷ ceiling: ${spread(meRatios, 2)} (target ≥ 0.7)`);
    console.log(`GET /health ÷ ceiling's ping: ${spread(healthRatios, 2)} (target ≥ 0.7)`);
    if (instances) {
      figures.instances = INSTANCES;
      figures.instancesVsOne = median(instances.ratios);
      figures.instancesVsOneRuns = instances.ratios;
      console.log(
        `GET /me on ${INSTANCES} instances ÷ on 1: ${spread(instances.ratios, 2)} ` +
          `(${spread(instances.many.rpsRuns)} vs ${spread(instances.one.rpsRuns)} req/s; ${CORES} cores; ` +
          `target ≥ 1: more instances must not lose throughput)`,
      );
    }
    console.log(
      `sign-ins: ${signInsPerSecond.toFixed(1)}/s, ${figures.signInsPerCore.toFixed(1)} per core ` +
        `(${CORES} cores, argon2id at the service's cost; Keycloak publishes ~15 per vCPU at its default)`,
    );
    console.log(
      `GET /me p99 while logins run ÷ alone: ${figures.meP99UnderLogins.toFixed(2)} ` +
        `(${meUnderLogins.p99} ms ÷ the median ${me.p99} ms; target ≤ 2)`,
    );
    console.log(
      `database writes per session during GET /me: ${figures.writesPerSession.toFixed(2)} (${meWrites} rows in ` +
        `${meRequestsTotal} requests over ${SESSIONS} sessions, each touch due at the start; target ≤ 1)`,
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
    const results = [...repeated, login, meUnderLogins, meUnderPurge];
    console.log(`\nbench took ${((performance.now() - started) / 1000).toFixed(0)} s`);
    console.log(`\nBENCH_JSON ${JSON.stringify({ runs: RUNS, seconds: DURATION, results, figures, timingRatio })}`);
  } finally {
    await stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
