import { Column, Entity, Index } from 'typeorm';
import { OneTimeToken } from '../users/one-time-token';

@Entity('verification_tokens')
@Index('verification_tokens_user_id_idx', ['userId'])
export class VerificationToken extends OneTimeToken {
  /** The address the token verifies: if the user's address changes, the token is dead. */
  @Column({ type: 'varchar', length: 320 })
  email: string;
}
