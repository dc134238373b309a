import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { ScheduledTask, Task, TaskResult } from '../tasks';
import { SsoRepository } from './sso.repository';

/**
 * Deletes SAML AuthnRequests and OIDC authorization requests past their ten minutes (logins abandoned
 * at the IdP are never answered, so nothing else removes them) and assertion ids past their validity
 * (a replay would fail on time).
 */
@Task()
@Injectable()
export class PurgeSamlRecordsTask implements ScheduledTask {
  readonly name = 'purge-saml-records';
  readonly schedule = '0 25 * * * *';
  readonly description = 'deletes expired SAML AuthnRequests, OIDC authorization requests and SAML assertion ids';

  constructor(
    private readonly clock: Clock,
    private readonly repository: SsoRepository,
  ) {}

  async run(): Promise<TaskResult> {
    return this.repository.deleteExpired(this.clock.now());
  }
}
