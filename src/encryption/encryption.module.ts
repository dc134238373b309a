import { Module } from '@nestjs/common';
import { CommonModule } from '../common/common.module';
import { EncryptionKeys } from './encryption-keys.service';
import { EncryptionRepository } from './encryption.repository';
import { EncryptionUserData } from './encryption.user-data';
import { ResealEncryptedDataTask } from './reseal-encrypted-data.task';

/** The key check at start and the reseal of a key rotation; the cipher and sealed-data registry are common/'s. */
@Module({
  imports: [CommonModule],
  providers: [EncryptionRepository, EncryptionKeys, EncryptionUserData, ResealEncryptedDataTask],
  exports: [EncryptionKeys],
})
export class EncryptionModule {}
