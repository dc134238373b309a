export { MailDelivery } from './mail-delivery.service';
export type { MailContexts, MailTemplate } from './mail-templates';
export { MailModule } from './mail.module';
export { OutboxRelay } from './outbox-relay.service';
export { OutboxService } from './outbox.service';
