import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

/**
 * Transactions that propagate without threading an EntityManager through every signature: inside
 * withTransaction (or a method marked @Transactional()), `tx` is that transaction's manager, so
 * every repository taken from it joins. Outside, `tx` is the plain manager. The store is opened
 * only where a transaction starts; ordinary requests pay nothing for it (no middleware, no
 * interceptor on the hot path).
 */
@Injectable()
export class TransactionHost implements OnApplicationShutdown {
  private readonly store = new AsyncLocalStorage<EntityManager>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  get tx(): EntityManager {
    return this.store.getStore() ?? this.dataSource.manager;
  }

  /** Runs `work` outside any transaction the caller is in (work that outlives the caller's). */
  detached<T>(work: () => T): T {
    return this.store.exit(work);
  }

  /** Runs `work` in the current transaction, or in a new one that commits when it resolves. */
  withTransaction<T>(work: () => Promise<T>): Promise<T> {
    if (this.store.getStore()) return work();
    return this.dataSource.transaction((manager) => this.store.run(manager, work));
  }

  /**
   * An enabled store stays in Node's list of async-context stores, and every promise created in
   * the process then pays to propagate it: a closed app (a test's, a CLI task's) takes it out.
   */
  onApplicationShutdown(): void {
    this.store.disable();
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
