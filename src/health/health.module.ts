import { Module } from '@nestjs/common';
import { CommonModule } from '../common/common.module';
import { HealthController } from './health.controller';
import { HealthRepository } from './health.repository';
import { MetricsController } from './metrics.controller';
import { MetricsListener } from './metrics-listener';
import { Readiness } from './readiness';

/** Health, liveness and readiness, and the metrics: on the main port (token) or a port of their own. */
@Module({
  imports: [CommonModule],
  controllers: [HealthController, MetricsController],
  providers: [HealthRepository, Readiness, MetricsListener],
  exports: [Readiness],
})
export class HealthModule {}
