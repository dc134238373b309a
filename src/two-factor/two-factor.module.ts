import { Module } from '@nestjs/common';
import { UsersModule } from '../users/users.module';
import { TwoFactorController } from './two-factor.controller';
import { TwoFactorRepository } from './two-factor.repository';
import { TwoFactorService } from './two-factor.service';
import { CommonModule } from '../common/common.module';
import { AuditModule } from '../audit/audit.module';
import { MailModule } from '../mail/mail.module';
import { TwoFactorUserData } from './two-factor.user-data';
import { TwoFactorSealedData } from './two-factor.sealed-data';

@Module({
  imports: [CommonModule, AuditModule, MailModule, UsersModule],
  controllers: [TwoFactorController],
  providers: [TwoFactorService, TwoFactorUserData, TwoFactorSealedData, TwoFactorRepository],
  exports: [TwoFactorService],
})
export class TwoFactorModule {}
