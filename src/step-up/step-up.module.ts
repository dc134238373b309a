import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module';
import { TwoFactorModule } from '../two-factor/two-factor.module';
import { UsersModule } from '../users/users.module';
import { StepUpController } from './step-up.controller';
import { StepUpService } from './step-up.service';
import { CommonModule } from '../common/common.module';
import { AuditModule } from '../audit/audit.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';

@Module({
  imports: [CommonModule, AuditModule, RateLimitModule, UsersModule, SessionsModule, TwoFactorModule],
  controllers: [StepUpController],
  providers: [StepUpService],
})
export class StepUpModule {}
