import { JoinColumn, ManyToOne } from 'typeorm';
import { Session } from './session.entity';

/**
 * The foreign key from another module's table to sessions, declared for its ON DELETE rule only:
 * nothing queries through it, and only the sessions module reads or writes sessions.
 */
export function SessionReference(column = 'session_id'): PropertyDecorator {
  return (target, property) => {
    ManyToOne(() => Session, { onDelete: 'CASCADE' })(target, property);
    JoinColumn({ name: column })(target, property);
  };
}
