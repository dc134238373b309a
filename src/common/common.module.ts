import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config';
import { Clock, SystemClock } from './clock';
import { BackgroundWork } from './background-work';
import { Cipher } from './crypto';
import { DomainEvents } from './domain-events';

@Global()
@Module({
  providers: [
    { provide: Clock, useClass: SystemClock },
    DomainEvents,
    BackgroundWork,
    { provide: Cipher, inject: [AppConfig], useFactory: (config: AppConfig) => new Cipher(config.encryptionKey) },
  ],
  exports: [Clock, Cipher, DomainEvents, BackgroundWork],
})
export class CommonModule {}
