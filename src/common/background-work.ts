import { Injectable, Logger } from '@nestjs/common';
import { TransactionHost } from '../database/transactions';
import { describeError } from './describe-error';

/** Work a request starts but does not wait for; shutdown waits for it (main.ts, before the database closes). */
@Injectable()
export class BackgroundWork {
  private readonly logger = new Logger('BackgroundWork');
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly txHost: TransactionHost) {}

  /** Runs `work` on its own, never inside the caller's transaction, which may be over by then. */
  run(label: string, work: () => Promise<void>): void {
    const promise = this.txHost
      .detached(work)
      .catch((error: unknown) =>
        this.logger.error({ work: label, error: describeError(error), msg: 'background work failed' }),
      )
      .finally(() => this.pending.delete(promise));
    this.pending.add(promise);
  }

  async drain(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}
