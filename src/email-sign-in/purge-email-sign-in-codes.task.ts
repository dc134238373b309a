import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { ScheduledTask, Task, TaskResult } from '../tasks';
import { EmailSignInRepository } from './email-sign-in.repository';

/** Mailed links and codes that expired or were used: nothing reads them again. */
@Task()
@Injectable()
export class PurgeEmailSignInCodesTask implements ScheduledTask {
  readonly name = 'purge-email-sign-in-codes';
  readonly schedule = '0 40 * * * *';
  readonly description = 'deletes expired and used email sign-in links and codes';

  constructor(
    private readonly repository: EmailSignInRepository,
    private readonly clock: Clock,
  ) {}

  async run(): Promise<TaskResult> {
    return { deleted: await this.repository.purgeBefore(this.clock.now()) };
  }
}
