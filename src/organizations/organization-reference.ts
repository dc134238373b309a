import { JoinColumn, ManyToOne } from 'typeorm';
import { Organization } from './organization.entity';

/**
 * The foreign key from another module's table to organizations, declared for its ON DELETE rule
 * only: nothing queries through it, and only the organizations module reads or writes organizations.
 */
export function OrganizationReference(
  onDelete: 'CASCADE' | 'SET NULL' = 'CASCADE',
  column = 'org_id',
): PropertyDecorator {
  return (target, property) => {
    ManyToOne(() => Organization, { onDelete })(target, property);
    JoinColumn({ name: column })(target, property);
  };
}
