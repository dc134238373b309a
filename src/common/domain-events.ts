import { Injectable } from '@nestjs/common';

/** What one module tells the others, and what it carries. */
export interface DomainEventMap {
  /** The user's address changed: links mailed to the old one must stop working. */
  'user.email_changed': { userId: string };
}

type Handler<K extends keyof DomainEventMap> = (payload: DomainEventMap[K]) => Promise<void>;

/**
 * Cross-module reactions without modules reaching into each other's tables. Handlers run one after
 * another, awaited, in the emitter's transaction: they commit or roll back with the change.
 */
@Injectable()
export class DomainEvents {
  private readonly handlers = new Map<keyof DomainEventMap, Array<Handler<keyof DomainEventMap>>>();

  on<K extends keyof DomainEventMap>(event: K, handler: Handler<K>): void {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), handler as Handler<keyof DomainEventMap>]);
  }

  async emit<K extends keyof DomainEventMap>(event: K, payload: DomainEventMap[K]): Promise<void> {
    for (const handler of this.handlers.get(event) ?? []) await handler(payload);
  }
}
