import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { UserReference } from '../users/user-reference';

@Entity('api_keys')
@Index('api_keys_user_id_idx', ['userId'])
export class ApiKey {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @UserReference()
  user?: unknown;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  /** The key's first characters, so its owner can tell keys apart. */
  @Column({ type: 'varchar', length: 16 })
  prefix: string;

  /** SHA-256 of the key; the key is shown once and never stored. */
  @Column({ name: 'key_hash', type: 'bytea', unique: true })
  keyHash: Buffer;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;

  /**
   * The session that made the key had proved a second factor (TOTP or a passkey): an
   * organization's MFA rule lets the key in only then (and while the account still has one).
   */
  @Column({ name: 'second_factor', type: 'boolean', default: false })
  secondFactor: boolean;
}
