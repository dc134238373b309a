import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { AppConfig } from '../config';
import { BackgroundWork } from './background-work';
import { Clock, SystemClock } from './clock';
import { CredentialPolicy } from './credential-policy';
import { Cipher } from './crypto';
import { DomainEvents } from './domain-events';
import { Metrics } from './metrics';
import { SealedDataRegistry } from './sealed-data';
import { UserDataRegistry } from './user-data';

/**
 * The clock, the cipher, domain events, the user-data and sealed-data registries, the credential policy, background work and the metrics: imported by
 * every module that uses them.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    { provide: Clock, useClass: SystemClock },
    DomainEvents,
    UserDataRegistry,
    CredentialPolicy,
    BackgroundWork,
    Metrics,
    {
      provide: Cipher,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => new Cipher(config.encryptionKey, config.encryptionKeyPrevious),
    },
    SealedDataRegistry,
  ],
  exports: [
    Clock,
    Cipher,
    DomainEvents,
    UserDataRegistry,
    SealedDataRegistry,
    CredentialPolicy,
    BackgroundWork,
    Metrics,
  ],
})
export class CommonModule {}
