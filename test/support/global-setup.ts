import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startEmbeddedPostgres } from '../../src/dev/embedded-postgres';

/**
 * One PostgreSQL server for the run: DATABASE_URL's when set (CI), else an embedded one in a
 * temporary directory. Workers clone their databases from a template migrated once (database.ts).
 */
export default async function globalSetup(): Promise<void> {
  process.env.TEST_RUN_ID = randomBytes(4).toString('hex');
  if (process.env.DATABASE_URL) {
    process.env.TEST_ADMIN_URL = process.env.DATABASE_URL;
    return;
  }
  // Under /tmp, opened up so that the postgres user reaches it when the tests run as root.
  const root = mkdtempSync(join(tmpdir(), 'authd-test-'));
  chmodSync(root, 0o755);
  process.env.TEST_PG_ROOT = root;
  const directory = join(root, 'postgres');
  const server = await startEmbeddedPostgres({
    directory,
    database: 'postgres',
    persistent: false,
    // Thrown away at the end of the run: no fsync, so cloning a database per app costs no disk waits.
    durable: false,
    log: () => undefined,
  });
  process.env.TEST_ADMIN_URL = server.url;
  (globalThis as { embeddedPostgres?: typeof server }).embeddedPostgres = server;
}
