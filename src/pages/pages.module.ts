import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { VerificationModule } from '../verification/verification.module';
import { PagesController } from './pages.controller';

/** The built-in pages behind the mailed links (see PagesController). */
@Module({
  imports: [AuthModule, VerificationModule, RateLimitModule],
  controllers: [PagesController],
})
export class PagesModule {}
