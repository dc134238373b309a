import { Injectable } from '@nestjs/common';
import { Sql } from './sql';

/**
 * Transactions that propagate without threading a connection through every signature: inside
 * withTransaction (or a method marked @Transactional()), every Sql call runs on that transaction's
 * connection, so every repository joins. Outside, calls take any connection of the pool. The store
 * is opened only where a transaction starts; ordinary requests pay nothing for it (no middleware,
 * no interceptor on the hot path).
 */
@Injectable()
export class TransactionHost {
  constructor(private readonly sql: Sql) {}

  /** Runs `work` outside any transaction the caller is in (work that outlives the caller's). */
  detached<T>(work: () => T): T {
    return this.sql.outside(work);
  }

  /** Runs `work` in the current transaction, or in a new one that commits when it resolves. */
  async withTransaction<T>(work: () => Promise<T>): Promise<T> {
    if (this.sql.inTransaction) return work();
    const connection = await this.sql.hold();
    let broken: unknown;
    try {
      await connection.query('BEGIN');
      const result = await this.sql.within(connection, work);
      await connection.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that cannot even roll back is in doubt: closed rather than pooled.
      await connection.query('ROLLBACK').catch((rollbackError: unknown) => (broken = rollbackError));
      throw error;
    } finally {
      connection.release(broken);
    }
  }
}

/**
 * Runs the method in a transaction (joining the caller's, if any). The class must hold its
 * TransactionHost as `txHost`, so each app instance uses its own database.
 */
export function Transactional(): MethodDecorator {
  return (_target, name, descriptor: PropertyDescriptor) => {
    const method = descriptor.value as (...args: unknown[]) => Promise<unknown>;
    descriptor.value = function (this: { txHost?: TransactionHost }, ...args: unknown[]) {
      if (!(this.txHost instanceof TransactionHost)) {
        throw new Error(`@Transactional() on ${String(name)} needs a TransactionHost injected as txHost`);
      }
      return this.txHost.withTransaction(() => method.apply(this, args));
    };
    return descriptor;
  };
}
