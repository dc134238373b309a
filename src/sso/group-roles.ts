import type { OrgRole } from '../organizations/organizations.service';

const RANK: Record<OrgRole, number> = { member: 1, admin: 2, owner: 3 };

/**
 * The role the IdP's groups give: the highest one any of them maps to (owner > admin > member),
 * else the provider's default. Group names are compared exactly, as the IdP sends them.
 */
export function roleForGroups(groups: string[], groupRoleMap: Record<string, OrgRole>, defaultRole: OrgRole): OrgRole {
  let best: OrgRole | undefined;
  for (const group of groups) {
    const role = Object.hasOwn(groupRoleMap, group) ? groupRoleMap[group] : undefined;
    if (role && RANK[role] && (!best || RANK[role] > RANK[best])) best = role;
  }
  return best ?? defaultRole;
}
