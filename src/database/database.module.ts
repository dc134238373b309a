import { Global, Module } from '@nestjs/common';
import { Sql } from './sql';
import { TransactionHost } from './transactions';

/** Sql, the one way repositories reach PostgreSQL, on its pool; and the transactions it propagates. */
@Global()
@Module({
  providers: [Sql, TransactionHost],
  exports: [Sql, TransactionHost],
})
export class DatabaseModule {}
