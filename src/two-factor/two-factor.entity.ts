import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { UserReference } from '../users/user-reference';

/** A user's authenticator: pending until a first code enables it. The users relations exist for the cascade. */
@Entity('totp_factors')
export class TotpFactor {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId: string;

  @UserReference()
  user?: unknown;

  /** The base32 secret, sealed with AES-256-GCM under ENCRYPTION_KEY. */
  @Column({ type: 'bytea' })
  secret: Buffer;

  @Column({ name: 'enabled_at', type: 'timestamptz', nullable: true })
  enabledAt: Date | null;

  /** The time step of the last accepted code: no code of that step or before is accepted again. */
  @Column({ name: 'last_used_step', type: 'bigint', nullable: true })
  lastUsedStep: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

@Entity('recovery_codes')
@Index('recovery_codes_user_id_code_hash_key', ['userId', 'codeHash'], { unique: true })
export class RecoveryCode {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @UserReference()
  user?: unknown;

  /** SHA-256 of the normalised code. */
  @Column({ name: 'code_hash', type: 'bytea' })
  codeHash: Buffer;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
