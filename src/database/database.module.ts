import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config';
import { dataSourceOptions } from './data-source';
import { Sql } from './sql';
import { TransactionHost } from './transactions';

/** The DataSource, propagating transactions, and Sql, the one way repositories reach it. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        if (!config.databaseUrl) throw new Error('the database URL must be resolved before the app starts');
        return dataSourceOptions(config.databaseUrl, undefined, {
          statementTimeoutMs: config.databaseStatementTimeoutMs,
          lockTimeoutMs: config.databaseLockTimeoutMs,
        });
      },
    }),
  ],
  providers: [TransactionHost, Sql],
  exports: [TransactionHost, Sql],
})
export class DatabaseModule {}
