import { Injectable, Logger } from '@nestjs/common';
import { SealedDataRegistry } from '../common/sealed-data';
import { ScheduledTask, Task, TaskResult } from '../tasks';
import { EncryptionKeys } from './encryption-keys.service';

/** Passes over everything sealed before giving up on values that keep changing under it. */
const MAX_PASSES = 5;

/**
 * Step three of a key rotation (README, "Rotate the encryption key"), run once every instance has
 * the new key as ENCRYPTION_KEY: every module's sealed values under another key are sealed again
 * under it and their tags recomputed (SealedDataHandler), then the new key's check value is
 * recorded, after which ENCRYPTION_KEY_PREVIOUS can go. Idempotent, batched, and safe while servers
 * run: a row is rewritten only if it still holds what was read. Never on a schedule: an instance
 * still sealing with the old key would undo it.
 */
@Task()
@Injectable()
export class ResealEncryptedDataTask implements ScheduledTask {
  private readonly logger = new Logger('Encryption');
  readonly name = 'reseal-encrypted-data';
  readonly schedule = null;
  readonly description =
    'seals every encrypted value again under ENCRYPTION_KEY and records it as the database key (key rotation)';

  constructor(
    private readonly registry: SealedDataRegistry,
    private readonly keys: EncryptionKeys,
  ) {}

  async run(): Promise<TaskResult> {
    let resealed = 0;
    let remaining = 0;
    let unreadable = 0;
    for (let pass = 1; pass <= MAX_PASSES; pass++) {
      remaining = 0;
      unreadable = 0;
      for (const { handler } of this.registry.list()) {
        const count = await handler.reseal();
        resealed += count.resealed;
        remaining += count.seen - count.resealed;
        unreadable += count.unreadable;
      }
      // Done, or nothing left that another pass could change.
      if (remaining === 0 || remaining === unreadable) break;
    }
    const keyRecorded = remaining === 0 && (await this.keys.recordCurrent());
    if (unreadable > 0) {
      this.logger.error({
        unreadable,
        msg: 'sealed values that neither ENCRYPTION_KEY nor ENCRYPTION_KEY_PREVIOUS opens were left as they are; the recorded key was not moved',
      });
    }
    return { resealed, remaining, unreadable, keyRecorded };
  }
}
