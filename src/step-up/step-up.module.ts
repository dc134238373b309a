import { Module } from '@nestjs/common';
import { SignInModule } from '../sign-in/sign-in.module';
import { EmailSignInModule } from '../email-sign-in/email-sign-in.module';
import { StepUpController } from './step-up.controller';
import { StepUpService } from './step-up.service';
import { CommonModule } from '../common/common.module';
import { AuditModule } from '../audit/audit.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';

@Module({
  imports: [CommonModule, AuditModule, RateLimitModule, SignInModule, EmailSignInModule],
  controllers: [StepUpController],
  providers: [StepUpService],
})
export class StepUpModule {}
