export { MailDelivery } from './mail-delivery.service';
export type { MailContexts, MailTemplate } from './mail-templates';
export { MailModule } from './mail.module';
export { OutboxService } from './outbox.service';
