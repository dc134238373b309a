import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { AdminKeysService, parseAdminKeyRequest } from './admin/admin-keys.service';
import { AppModule } from './app.module';
import { DomainError } from './common/errors';
import { createLogger, JsonLogger } from './common/logging';
import { AppConfig, ConfigError, loadConfigFromEnv } from './config';
import { ADMIN_SCOPES, AdminScope } from './http';
import { createDataSource, runMigrations } from './database';
import { openDatabase } from './dev/open-database';
import { MailDelivery } from './mail';
import { TaskRunner, UnknownTaskError } from './tasks';

const USAGE = `usage:
  npm run task                                 list the scheduled tasks
  npm run task -- <name>                       run one scheduled task now
  npm run migration:run                        apply pending migrations
  npm run migration:generate -- migrations/Name  write a migration for the entity changes
  npm run migration:revert                     undo the last migration
  npm run admin -- keys:create --name NAME --scopes SCOPE[,SCOPE…]
                                               make an admin key (printed once); scopes: ${ADMIN_SCOPES.join(',')}
  npm run admin -- keys:list                   list the admin keys (never the keys themselves)
  npm run admin -- keys:revoke ID              revoke an admin key at once`;

class UsageError extends Error {}

/** What `npm run admin -- …` asks for, checked before anything is opened. */
type AdminCommand =
  | { action: 'keys:create'; name: string; scopes: AdminScope[] }
  | { action: 'keys:list' }
  | { action: 'keys:revoke'; id: string };

function parseAdminCommand(args: string[]): AdminCommand {
  const [action, ...rest] = args;
  const options = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(rest[i]);
    if (!match) positional.push(rest[i]);
    else if (match[2] !== undefined) options.set(match[1], match[2]);
    else if (i + 1 < rest.length && !rest[i + 1].startsWith('--')) options.set(match[1], rest[++i]);
    else options.set(match[1], '');
  }
  const allow = (...names: string[]) => {
    const unknown = [...options.keys()].find((option) => !names.includes(option));
    if (unknown) throw new UsageError(`unknown option --${unknown} for admin ${action}`);
  };
  switch (action) {
    case 'keys:create': {
      allow('name', 'scopes');
      if (positional.length > 0) throw new UsageError(`unexpected "${positional[0]}": give --name and --scopes`);
      return { action, ...parseAdminKeyRequest(options.get('name'), options.get('scopes')) };
    }
    case 'keys:list':
      allow();
      return { action };
    case 'keys:revoke':
      allow();
      if (positional.length !== 1) throw new UsageError('name the key to revoke: npm run admin -- keys:revoke ID');
      return { action, id: positional[0] };
    default:
      throw new UsageError(action ? `unknown admin command "${action}"` : 'no admin command given');
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, argument] = argv;
  const admin = command === 'admin' ? parseAdminCommand(argv.slice(1)) : undefined;
  const config = loadConfigFromEnv().with({ tasksEnabled: false });
  const log = createLogger(config);
  const database = await openDatabase(config, (message) => log.info(message));
  const url = database.config.databaseUrl!;
  try {
    switch (command) {
      case 'task':
        await runMigrations(url);
        // An operator's run may be long (a backlog): without the serving app's statement and lock timeouts.
        if (argument) {
          await runTask(database.config.with({ databaseStatementTimeoutMs: 0, databaseLockTimeoutMs: 0 }), argument);
        } else await listTasks(database.config);
        break;
      case 'admin':
        await runMigrations(url);
        await runAdmin(database.config, admin!);
        break;
      case 'migration:run':
        print({ applied: await runMigrations(url) });
        break;
      case 'migration:generate':
        if (!argument) throw new UsageError('name the migration, e.g. migrations/AddUsers');
        await runMigrations(url);
        print(await generateMigration(url, argument));
        break;
      case 'migration:revert':
        print(await revertMigration(url));
        break;
      default:
        throw new UsageError(command ? `unknown command "${command}"` : 'no command given');
    }
  } finally {
    await database.close();
  }
}

/** One line a task: name, schedule (cron, seconds first), what it does. */
async function listTasks(config: AppConfig): Promise<void> {
  const app = await NestFactory.createApplicationContext(AppModule.register(config), { bufferLogs: true });
  app.useLogger(new JsonLogger(createLogger(config)));
  try {
    const tasks = [...app.get(TaskRunner).list()].sort((a, b) => a.name.localeCompare(b.name));
    const width = Math.max(...tasks.map((task) => task.name.length));
    const scheduleWidth = Math.max(...tasks.map((task) => task.schedule.length));
    const lines = tasks.map(
      (task) => `${task.name.padEnd(width)}  ${task.schedule.padEnd(scheduleWidth)}  ${task.description}`,
    );
    process.stdout.write(`${lines.join('\n')}\nrun one with: npm run task -- <name>\n`);
  } finally {
    await app.close();
  }
}

async function runTask(config: AppConfig, name: string): Promise<void> {
  const app = await NestFactory.createApplicationContext(AppModule.register(config), { bufferLogs: true });
  app.useLogger(new JsonLogger(createLogger(config)));
  try {
    const outcome = await app.get(TaskRunner).run(name);
    // Mail the task queued leaves with it, not at the next server's convenience.
    const mail = await app.get(MailDelivery).deliverDue();
    print(name === 'deliver-mail' ? outcome : { ...outcome, mail });
  } finally {
    await app.close();
  }
}

async function runAdmin(config: AppConfig, command: AdminCommand): Promise<void> {
  const app = await NestFactory.createApplicationContext(AppModule.register(config), { bufferLogs: true });
  app.useLogger(new JsonLogger(createLogger(config)));
  try {
    const keys = app.get(AdminKeysService);
    switch (command.action) {
      case 'keys:create': {
        const created = await keys.create(command);
        print(created);
        process.stderr.write('Keep the key now: it is shown this once and only its hash is stored.\n');
        break;
      }
      case 'keys:list':
        print(await keys.list());
        break;
      case 'keys:revoke':
        print({ revoked: (await keys.revoke(command.id)).id });
        break;
    }
  } finally {
    await app.close();
  }
}

async function generateMigration(url: string, path: string): Promise<{ written?: string; changes: number }> {
  const dataSource = createDataSource(url, 2);
  await dataSource.initialize();
  try {
    const { upQueries, downQueries } = await dataSource.driver.createSchemaBuilder().log();
    if (upQueries.length === 0) return { changes: 0 };
    const timestamp = Date.now();
    const name = basename(path).replace(/[^A-Za-z0-9]/g, '');
    const file = `${path.replace(/[^/]+$/, '')}${timestamp}-${name}.ts`;
    const lines = (queries: typeof upQueries) =>
      queries
        .map((query) => {
          const sql = query.query.replace(/[`\\]/g, '\\$&').replace(/\$\{/g, '\\${');
          const parameters = query.parameters?.length ? `, ${JSON.stringify(query.parameters)}` : '';
          return `    await queryRunner.query(\`${sql}\`${parameters});`;
        })
        .join('\n');
    writeFileSync(
      file,
      `import { MigrationInterface, QueryRunner } from 'typeorm';

export class ${name}${timestamp} implements MigrationInterface {
  name = '${name}${timestamp}';

  public async up(queryRunner: QueryRunner): Promise<void> {
${lines(upQueries)}
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
${lines([...downQueries].reverse())}
  }
}
`,
    );
    return { written: file, changes: upQueries.length };
  } finally {
    await dataSource.destroy();
  }
}

async function revertMigration(url: string): Promise<{ reverted: number }> {
  const dataSource = createDataSource(url, 2);
  await dataSource.initialize();
  try {
    const applied = async () => Number((await dataSource.query('SELECT count(*)::int AS n FROM migrations'))[0].n);
    const before = await applied();
    await dataSource.undoLastMigration({ transaction: 'each' });
    return { reverted: before - (await applied()) };
  } finally {
    await dataSource.destroy();
  }
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof UsageError) process.stderr.write(`${error.message}\n${USAGE}\n`);
    else if (error instanceof ConfigError || error instanceof UnknownTaskError || error instanceof DomainError)
      process.stderr.write(`${error.message}\n`);
    else process.stderr.write(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    const usage = error instanceof UsageError || (error instanceof DomainError && error.code === 'validation_failed');
    process.exit(usage ? 2 : 1);
  },
);
