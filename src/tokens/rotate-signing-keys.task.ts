import { Injectable } from '@nestjs/common';
import { ScheduledTask, Task, TaskResult, TaskTrigger } from '../tasks';
import { SIGNING_KEY_LIFETIME_MS, SigningKeysService } from './signing-keys.service';

/**
 * Daily, rotates the signing key once it has signed for 30 days; run by command, rotates at once.
 * Either way it deletes the keys retired long enough that no token they signed can be live.
 */
@Task()
@Injectable()
export class RotateSigningKeysTask implements ScheduledTask {
  readonly name = 'rotate-signing-keys';
  readonly schedule = '0 50 3 * * *';
  readonly description =
    'rotates the JWT signing key once it is 30 days old (at once when run by hand); deletes retired keys no live token needs';

  constructor(private readonly keys: SigningKeysService) {}

  async run(trigger: TaskTrigger = 'command'): Promise<TaskResult> {
    const { rotated, created, deleted, kid } = await this.keys.rotate(
      trigger === 'schedule' ? { ifOlderThanMs: SIGNING_KEY_LIFETIME_MS } : {},
    );
    return { rotated, created, deleted, kid };
  }
}
