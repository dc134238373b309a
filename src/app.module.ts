import { DynamicModule, Module } from '@nestjs/common';
import { CommonModule } from './common/common.module';
import { loggingModule } from './common/logging';
import { AppConfig, ConfigModule } from './config';
import { DatabaseModule } from './database';
import { HealthModule } from './health/health.module';
import { MailModule } from './mail';
import { TasksModule } from './tasks';

@Module({})
export class AppModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        loggingModule(),
        CommonModule,
        DatabaseModule,
        TasksModule,
        MailModule,
        HealthModule,
      ],
    };
  }
}
