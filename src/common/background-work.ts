import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { describeError } from './describe-error';

/** Work a request starts but does not wait for; shutdown waits for it. */
@Injectable()
export class BackgroundWork implements OnApplicationShutdown {
  private readonly logger = new Logger('BackgroundWork');
  private readonly pending = new Set<Promise<void>>();

  run(label: string, work: () => Promise<void>): void {
    const promise = work()
      .catch((error: unknown) =>
        this.logger.error({ work: label, err: describeError(error), msg: 'background work failed' }),
      )
      .finally(() => this.pending.delete(promise));
    this.pending.add(promise);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.pending]);
  }
}
