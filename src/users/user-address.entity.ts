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

  /**
   * When the account last came to this address: what others sent to it before was sent to whoever
   * held it then. A return to the verified address a pending change left keeps it (no one else could
   * take it meanwhile).
   */
  @Column({ name: 'held_since', type: 'timestamptz' })
  heldSince: Date;

  /**
   * When the account first proved the address (or had it back as its verified one). Only a proved
   * address keeps what was written about it from another account's erasure: moving to an address
   * proves nothing, and anyone may do it.
   */
  @Column({ name: 'verified_at', type: 'timestamptz', nullable: true })
  verifiedAt: Date | null;
}
