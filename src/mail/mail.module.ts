import { Module } from '@nestjs/common';
import { CommonModule } from '../common/common.module';
import { MailerModule, MailerOptions } from '@nestjs-modules/mailer';
import { AppConfig } from '../config';
import { DeliverMailTask } from './deliver-mail.task';
import { MailDelivery } from './mail-delivery.service';
import { MailRenderer } from './mail-templates';
import { OutboxRepository } from './outbox.repository';
import { OutboxService } from './outbox.service';
import { MailUserData } from './mail.user-data';
import { MailSealedData } from './mail.sealed-data';
import { mailTransport } from './transports';
import { TasksModule } from '../tasks';

@Module({
  imports: [
    CommonModule,
    TasksModule,
    MailerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig): MailerOptions => ({
        transport: mailTransport(config),
        defaults: { from: config.mailFrom } as MailerOptions['defaults'],
      }),
    }),
  ],
  providers: [
    {
      provide: MailRenderer,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => new MailRenderer(config.serviceName),
    },
    OutboxService,
    MailUserData,
    MailSealedData,
    OutboxRepository,
    MailDelivery,
    DeliverMailTask,
  ],
  exports: [OutboxService, MailDelivery],
})
export class MailModule {}
