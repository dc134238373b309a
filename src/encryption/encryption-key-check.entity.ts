import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The check value of the key the database's sealed data is under (`keyCheckValue`: an HMAC under
 * the key, never the key): one row, recorded by the first instance to start, moved by
 * `reseal-encrypted-data` once everything is sealed under a new key.
 */
@Entity('encryption_key_check')
@Check('encryption_key_check_one_row', 'id = 1')
export class EncryptionKeyCheck {
  @PrimaryColumn({ type: 'smallint' })
  id: number;

  @Column({ name: 'check_value', type: 'bytea' })
  checkValue: Buffer;

  @Column({ name: 'recorded_at', type: 'timestamptz' })
  recordedAt: Date;
}
