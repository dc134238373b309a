import { rmSync } from 'node:fs';
import { Client } from 'pg';

export default async function globalTeardown(): Promise<void> {
  const admin = new Client({ connectionString: process.env.TEST_ADMIN_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [
      `authd\\_%\\_${process.env.TEST_RUN_ID}%`,
    ]);
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  await (globalThis as { embeddedPostgres?: { stop(): Promise<void> } }).embeddedPostgres?.stop();
  if (process.env.TEST_PG_ROOT) rmSync(process.env.TEST_PG_ROOT, { recursive: true, force: true });
}
