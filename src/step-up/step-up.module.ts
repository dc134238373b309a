import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module';
import { TwoFactorModule } from '../two-factor/two-factor.module';
import { UsersModule } from '../users/users.module';
import { StepUpController } from './step-up.controller';
import { StepUpGuard } from './step-up.guard';
import { StepUpService } from './step-up.service';

@Module({
  imports: [UsersModule, SessionsModule, TwoFactorModule],
  controllers: [StepUpController],
  providers: [StepUpService, StepUpGuard],
})
export class StepUpModule {}
