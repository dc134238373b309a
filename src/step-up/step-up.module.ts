import { Module } from '@nestjs/common';
import { SessionsModule } from '../sessions/sessions.module';
import { TwoFactorModule } from '../two-factor/two-factor.module';
import { UsersModule } from '../users/users.module';
import { StepUpController } from './step-up.controller';
import { StepUpService } from './step-up.service';

@Module({
  imports: [UsersModule, SessionsModule, TwoFactorModule],
  controllers: [StepUpController],
  providers: [StepUpService],
})
export class StepUpModule {}
