import { Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { UnreadableSealedValue } from './crypto';

/** What one pass over a module's sealed values did. */
export interface ResealCount {
  /** Values found sealed under another key than the current one (or tags kept beside them). */
  seen: number;
  /** Of those, sealed again under the current key (and their tags recomputed). */
  resealed: number;
  /** Of those, opened by no key of the keyring: left as they are. */
  unreadable: number;
}

/**
 * What every module that stores values sealed by `Cipher` (or tags made by `Cipher.tag`) provides,
 * so that `npm run task -- reseal-encrypted-data` moves all of them to the current key and no module
 * can be forgotten: a test fails when a `bytea` column of the schema is neither declared by a
 * handler nor listed as unsealed.
 */
export interface SealedDataHandler {
  /**
   * One pass: every value of the module's declared columns that is not sealed under the current key
   * (`Cipher.isCurrent` false; in SQL `substring(col from 1 for 5) <> cipher.currentPrefix`), sealed
   * again with `Cipher.reseal` and the tags kept beside it recomputed with `Cipher.tag`, in batches
   * (`resealInBatches`), each row written only if it still holds what was read (servers keep running).
   */
  reseal(): Promise<ResealCount>;
}

export interface SealedDataOptions {
  /** `table.column` of every column holding `Cipher.seal` output. */
  sealed: string[];
  /** `table.column` of every column holding `Cipher.tag` output that `reseal` recomputes. */
  tags?: string[];
  /**
   * `table.column` of `Cipher.tag` output that cannot be recomputed (the tagged value is not kept)
   * and is looked up with `Cipher.tags` (either key) until it expires.
   */
  shortLivedTags?: string[];
}

/** Marks a provider implementing SealedDataHandler. */
export const SealedData = DiscoveryService.createDecorator<SealedDataOptions>();

export interface RegisteredSealedData extends Required<SealedDataOptions> {
  name: string;
  handler: SealedDataHandler;
}

/** Every SealedDataHandler of the app. */
@Injectable()
export class SealedDataRegistry {
  constructor(private readonly discovery: DiscoveryService) {}

  /** Read when asked, so that it answers before the app's lifecycle hooks ran (the start-up key check). */
  list(): RegisteredSealedData[] {
    return this.discovery
      .getProviders({ metadataKey: SealedData.KEY })
      .filter((wrapper) => wrapper.instance)
      .map((wrapper) => {
        const options = this.discovery.getMetadataByDecorator(SealedData, wrapper)!;
        return {
          tags: [],
          shortLivedTags: [],
          ...options,
          name: wrapper.name,
          handler: wrapper.instance as SealedDataHandler,
        };
      });
  }

  /** Every `table.column` holding sealed values. */
  sealedColumns(): string[] {
    return this.list().flatMap((entry) => entry.sealed);
  }
}

export const RESEAL_BATCH_SIZE = 500;

/**
 * The loop every handler runs: pages of rows not under the current key, in key order (`after`: the
 * last key of the page before, null at first), each resealed by `reseal`, which answers false when
 * the row changed meanwhile (it is left to the next pass). A value no key opens is counted, not fatal.
 */
export async function resealInBatches<Row extends { key: string }>(
  page: (after: string | null, limit: number) => Promise<Row[]>,
  reseal: (row: Row) => Promise<boolean>,
): Promise<ResealCount> {
  const count: ResealCount = { seen: 0, resealed: 0, unreadable: 0 };
  let after: string | null = null;
  for (;;) {
    const rows = await page(after, RESEAL_BATCH_SIZE);
    for (const row of rows) {
      count.seen++;
      try {
        if (await reseal(row)) count.resealed++;
      } catch (error) {
        if (!(error instanceof UnreadableSealedValue)) throw error;
        count.unreadable++;
      }
    }
    if (rows.length < RESEAL_BATCH_SIZE) return count;
    after = rows[rows.length - 1].key;
  }
}
