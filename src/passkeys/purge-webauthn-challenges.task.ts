import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { ScheduledTask, Task, TaskResult } from '../tasks';
import { PasskeysRepository } from './passkeys.repository';

/** Challenges are spent once or expire in 5 minutes; either way the row has served. */
@Task()
@Injectable()
export class PurgeWebAuthnChallengesTask implements ScheduledTask {
  readonly name = 'purge-webauthn-challenges';
  readonly schedule = '0 45 * * * *';
  readonly description = 'deletes passkey challenges that are spent or expired';

  constructor(
    private readonly passkeys: PasskeysRepository,
    private readonly clock: Clock,
  ) {}

  async run(): Promise<TaskResult> {
    return { deleted: await this.passkeys.deleteEndedChallenges(this.clock.now()) };
  }
}
