import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { UserReference } from '../users/user-reference';

@Entity('password_reset_tokens')
@Index('password_reset_tokens_user_id_idx', ['userId'])
export class PasswordResetToken {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @UserReference()
  user?: unknown;

  /** SHA-256 of the token mailed to the user. */
  @Column({ name: 'token_hash', type: 'bytea', unique: true })
  tokenHash: Buffer;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'used_at', type: 'timestamptz', nullable: true })
  usedAt: Date | null;
}
