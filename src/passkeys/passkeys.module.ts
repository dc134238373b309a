import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { CommonModule } from '../common/common.module';
import { MailModule } from '../mail';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { UsersModule } from '../users/users.module';
import { PasskeyOptionsController } from './passkey-options.controller';
import { PasskeysController } from './passkeys.controller';
import { PasskeysRepository } from './passkeys.repository';
import { PasskeysService } from './passkeys.service';
import { PasskeysUserData } from './passkeys.user-data';
import { PurgeWebAuthnChallengesTask } from './purge-webauthn-challenges.task';

@Module({
  imports: [CommonModule, AuditModule, MailModule, RateLimitModule, UsersModule],
  controllers: [PasskeysController, PasskeyOptionsController],
  providers: [PasskeysService, PasskeysRepository, PasskeysUserData, PurgeWebAuthnChallengesTask],
  exports: [PasskeysService],
})
export class PasskeysModule {}
