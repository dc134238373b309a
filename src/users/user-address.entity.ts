import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { User } from './user.entity';

/**
 * Every address an account has had, as the SHA-256 of its canonical form: what others wrote about
 * an earlier address (an invitation, an audit row) is found and erased with the account, though the
 * address itself is not kept. The rows go with the account.
 */
@Entity('user_addresses')
@Index('user_addresses_address_hash_idx', ['addressHash'])
export class UserAddress {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId: string;

  @PrimaryColumn({ name: 'address_hash', type: 'bytea' })
  addressHash: Buffer;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'user_id' })
  user?: User;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
