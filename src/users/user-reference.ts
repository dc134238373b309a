import { JoinColumn, ManyToOne } from 'typeorm';
import { User } from './user.entity';

/**
 * The foreign key from another module's table to users, declared for its ON DELETE rule only:
 * nothing queries through it, and only the users module reads or writes users.
 */
export function UserReference(onDelete: 'CASCADE' | 'SET NULL' = 'CASCADE', column = 'user_id'): PropertyDecorator {
  return (target, property) => {
    ManyToOne(() => User, { onDelete })(target, property);
    JoinColumn({ name: column })(target, property);
  };
}
