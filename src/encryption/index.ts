export { EncryptionKeyMismatch, EncryptionKeys } from './encryption-keys.service';
export { EncryptionModule } from './encryption.module';
