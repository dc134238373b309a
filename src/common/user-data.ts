import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';

/** An account being erased, as every module sees it while it forgets the user. */
export interface ErasedAccount {
  id: string;
  email: string;
  name: string | null;
  /**
   * A random UUID that stands for the account in what is kept (audit rows), the same everywhere,
   * so the trail stays coherent without naming anyone.
   */
  pseudonym: string;
  /**
   * SHA-256 of every address the account has had, the current one included, but those another
   * account has had too (what was written about such an address may be about that account):
   * what others wrote about an earlier address is found by these. `address_sha256` in SQL.
   */
  addressHashes: Buffer[];
}

/** The account whose data is exported, as it is now. */
export interface ExportedAccount {
  id: string;
  email: string;
  /**
   * Whether the account has proved its current address. What others sent to an address (an
   * invitation, an audit row naming it) is shown only to an account that proved it holds it.
   */
  emailVerified: boolean;
  /**
   * Since when the account holds its current address (null when not known): what was sent to the
   * address before was sent to whoever held it then, and is not shown.
   */
  emailHeldSince: Date | null;
}

/**
 * What every module that stores something about a user provides: its part of the export and its
 * part of the erasure. Deletion (and the cleanup of never-verified accounts) walk all of them in
 * one transaction, so no module can be forgotten; a test fails when a table has no handler.
 */
export interface UserDataHandler {
  /**
   * Everything this module keeps about the user, as the export's sections (e.g. `{ sessions: [...] }`);
   * absent where it keeps nothing a person could read (hashes, sealed mail).
   */
  export?(userId: string, account: ExportedAccount): Promise<Record<string, unknown>>;
  /** Erases (or anonymises, for shared data) everything this module keeps about these accounts. */
  erase(accounts: ErasedAccount[]): Promise<void>;
}

export interface UserDataOptions {
  /** The tables whose rows about a user this handler erases or anonymises. */
  tables: string[];
  /** Handlers erase in ascending order; the users row itself goes last. Default 0. */
  order?: number;
}

/** Marks a provider implementing UserDataHandler. */
export const UserData = DiscoveryService.createDecorator<UserDataOptions>();

export interface RegisteredUserData extends Required<UserDataOptions> {
  handler: UserDataHandler;
}

/** Every UserDataHandler of the app, in erasure order. */
@Injectable()
export class UserDataRegistry implements OnModuleInit {
  private handlers: RegisteredUserData[] = [];

  constructor(private readonly discovery: DiscoveryService) {}

  onModuleInit(): void {
    this.handlers = this.discovery
      .getProviders({ metadataKey: UserData.KEY })
      .filter((wrapper) => wrapper.instance)
      .map((wrapper) => {
        const options = this.discovery.getMetadataByDecorator(UserData, wrapper)!;
        return { order: 0, ...options, handler: wrapper.instance as UserDataHandler };
      })
      .sort((a, b) => a.order - b.order);
  }

  list(): readonly RegisteredUserData[] {
    return this.handlers;
  }

  /** Every module's sections, in one document. */
  async exportAll(account: ExportedAccount): Promise<Record<string, unknown>> {
    const document: Record<string, unknown> = {};
    for (const { handler } of this.handlers) Object.assign(document, await handler.export?.(account.id, account));
    return document;
  }

  /** Runs every module's erasure, in order, in the caller's transaction. */
  async eraseAll(accounts: ErasedAccount[]): Promise<void> {
    if (accounts.length === 0) return;
    for (const { handler } of this.handlers) await handler.erase(accounts);
  }
}
