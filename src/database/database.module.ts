import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config';
import { dataSourceOptions } from './data-source';
import { HotPathQueries } from './hot-path-queries';
import { TransactionHost } from './transactions';

/** The DataSource, propagating transactions, and the pool for hot-path lookups. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        if (!config.databaseUrl) throw new Error('the database URL must be resolved before the app starts');
        return dataSourceOptions(config.databaseUrl);
      },
    }),
  ],
  providers: [TransactionHost, HotPathQueries],
  exports: [TransactionHost, HotPathQueries],
})
export class DatabaseModule {}
