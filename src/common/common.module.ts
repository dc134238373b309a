import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../config';
import { Clock, SystemClock } from './clock';
import { Cipher } from './crypto';

@Global()
@Module({
  providers: [
    { provide: Clock, useClass: SystemClock },
    { provide: Cipher, inject: [AppConfig], useFactory: (config: AppConfig) => new Cipher(config.encryptionKey) },
  ],
  exports: [Clock, Cipher],
})
export class CommonModule {}
