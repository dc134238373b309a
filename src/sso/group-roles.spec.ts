import { roleForGroups } from './group-roles';

describe('roleForGroups', () => {
  const map = { staff: 'member', leads: 'admin', founders: 'owner' } as const;

  it('takes the highest role any group maps to', () => {
    expect(roleForGroups(['staff'], map, 'member')).toBe('member');
    expect(roleForGroups(['staff', 'leads'], map, 'member')).toBe('admin');
    expect(roleForGroups(['founders', 'staff', 'leads'], map, 'member')).toBe('owner');
  });

  it('falls back to the default role when no group is mapped', () => {
    expect(roleForGroups([], map, 'member')).toBe('member');
    expect(roleForGroups(['visitors', 'Leads'], map, 'admin')).toBe('admin');
  });

  it('does not read names off the object prototype', () => {
    expect(roleForGroups(['constructor', '__proto__', 'toString'], map, 'member')).toBe('member');
  });
});
