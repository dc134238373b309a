import { Injectable, Logger } from '@nestjs/common';
import { Clock } from '../common/clock';
import { Cipher } from '../common/crypto';
import { SealedDataRegistry } from '../common/sealed-data';
import { AppConfig } from '../config';
import { EncryptionRepository } from './encryption.repository';

/**
 * The configured key is not the one the database's data is sealed with: the one line the process
 * stops with (main.ts, cli.ts). It names the variables, never a key.
 */
export class EncryptionKeyMismatch extends Error {
  constructor(config: AppConfig) {
    const current = config.encryptionKeyFile
      ? `ENCRYPTION_KEY (the development key generated in ${config.encryptionKeyFile})`
      : 'ENCRYPTION_KEY';
    const configured = config.encryptionKeyPrevious
      ? `neither ${current} nor ENCRYPTION_KEY_PREVIOUS is`
      : `${current} is not`;
    super(
      `${configured} the key this database's data was sealed with (the database records another key's check value): ` +
        `start with that key as ENCRYPTION_KEY, or, to rotate, with the new key as ENCRYPTION_KEY and that one as ` +
        `ENCRYPTION_KEY_PREVIOUS (README, "Rotate the encryption key")`,
    );
    this.name = 'EncryptionKeyMismatch';
  }
}

/** Which key the database's sealed data is under: checked at start, moved by a completed reseal. */
@Injectable()
export class EncryptionKeys {
  private readonly logger = new Logger('Encryption');

  constructor(
    private readonly repository: EncryptionRepository,
    private readonly cipher: Cipher,
    private readonly registry: SealedDataRegistry,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /**
   * Before anything is served or run: the first instance records its key's check value; later ones
   * start only if the recorded value is their ENCRYPTION_KEY's or ENCRYPTION_KEY_PREVIOUS's, and
   * throw EncryptionKeyMismatch otherwise. A database with sealed data and no recorded value (one
   * from before check values) records the current key's: the only one that can have been serving it.
   */
  async verifyAtStart(): Promise<void> {
    const { current, previous } = this.cipher.checkValues;
    let recorded = await this.repository.recorded();
    if (!recorded) {
      const sealedBefore = await this.repository.anyStored(this.registry.sealedColumns());
      const outcome = await this.repository.recordIfAbsent(current, this.clock.now());
      if (outcome.recorded) {
        this.logger.log(
          sealedBefore
            ? 'the database holds sealed data but no key check value (it predates them): recorded the check value of ENCRYPTION_KEY, the key this instance was started with'
            : 'recorded the check value of ENCRYPTION_KEY: instances started with another key will refuse to start',
        );
        return;
      }
      recorded = outcome.checkValue;
    }
    if (recorded.equals(current) || previous?.equals(recorded)) return;
    throw new EncryptionKeyMismatch(this.config);
  }

  /**
   * After every sealed value is under the current key: records the current key as the database's.
   * False when the recorded value is neither key's (an instance with another key recorded it).
   */
  async recordCurrent(): Promise<boolean> {
    const { current, previous } = this.cipher.checkValues;
    const recorded = await this.repository.recorded();
    if (!recorded) return (await this.repository.recordIfAbsent(current, this.clock.now())).checkValue.equals(current);
    if (recorded.equals(current)) return true;
    if (!previous?.equals(recorded)) return false;
    return this.repository.move(previous, current, this.clock.now());
  }
}
