import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS_DIR } from './data-source';

let known: string[] | undefined;
/** The files are CommonJS modules once built (and under the tests' transform). */
const load: (path: string) => unknown = require;

/**
 * The names of the migrations this build carries, as TypeORM records them in the `migrations`
 * table (the instance's `name`, else the class name): the ones a database must have applied before
 * this build may serve it. Read once.
 */
export function knownMigrations(): string[] {
  known ??= readdirSync(MIGRATIONS_DIR)
    .filter((file) => /\.(js|ts)$/.test(file) && !file.endsWith('.d.ts'))
    .flatMap((file) => Object.values(load(join(MIGRATIONS_DIR, file)) as Record<string, unknown>))
    .filter((value): value is new () => { name?: string } => typeof value === 'function')
    .map((migration) => new migration().name ?? migration.name)
    .sort();
  return known;
}
