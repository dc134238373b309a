import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AppConfig } from '../config';
import { BackgroundWork } from './background-work';
import { Clock, SystemClock } from './clock';
import { Cipher } from './crypto';
import { DomainEvents } from './domain-events';
import { UserDataRegistry } from './user-data';

/**
 * The clock, the cipher, domain events, the user-data registry and background work: imported by
 * every module that uses them.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    { provide: Clock, useClass: SystemClock },
    DomainEvents,
    UserDataRegistry,
    BackgroundWork,
    { provide: Cipher, inject: [AppConfig], useFactory: (config: AppConfig) => new Cipher(config.encryptionKey) },
  ],
  exports: [Clock, Cipher, DomainEvents, UserDataRegistry, BackgroundWork],
})
export class CommonModule {}
