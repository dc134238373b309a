import { ValidationDetail, validationFailed } from '../common/errors';
import { ORG_ROLES } from '../organizations/organizations.service';
import type { OrgRole } from '../organizations/organizations.service';
import { isPublicMailDomain, normaliseDomain } from './domains';
import { SamlIdpInput, samlIdpSettings } from './saml-idp-settings';
import type { ProviderSettings } from './sso.repository';

/** PUT /orgs/:id/sso/saml as the service reads it: the domain, the IdP, and what its sign-ins give. */
export interface ProviderInput extends SamlIdpInput {
  domain: string;
  groupsAttribute?: string | null;
  groupRoleMap?: Record<string, unknown>;
  defaultRole?: OrgRole;
  enforce?: boolean;
  requireSignedResponse?: boolean;
}

const MAX_GROUPS = 200;

/**
 * The input checked and brought to the stored form; validation_failed naming every bad field, so
 * that one answer lists them all. `bodyProblems` are the fields the body checks refused already
 * (their type or value): they are reported, and not checked again here, since they may not even
 * have the type the checks here expect.
 */
export function providerSettings(
  orgId: string,
  input: ProviderInput,
  bodyProblems: ValidationDetail[] = [],
): ProviderSettings {
  const problems: ValidationDetail[] = [...bodyProblems];
  const problem = (field: string, message: string) => problems.push({ field, problems: [message] });
  const refused = new Set(bodyProblems.map((detail) => detail.field.split(/[.[]/)[0]));
  const usable = (field: keyof ProviderInput) => !refused.has(field);

  const { domain, groupRoleMap } = sharedSettings(input, problem, usable);
  const idp = samlIdpSettings(input, problem, usable);

  if (problems.length > 0) throw validationFailed(problems);
  return {
    orgId,
    domain: domain!,
    idpEntityId: idp.entityId!,
    idpSsoUrl: idp.ssoUrl!,
    idpCerts: idp.certs,
    groupsAttribute: input.groupsAttribute?.trim() || null,
    groupRoleMap,
    defaultRole: input.defaultRole ?? 'member',
    enforce: input.enforce ?? false,
    requireSignedResponse: input.requireSignedResponse ?? true,
  };
}

/**
 * The body of PUT with what its DTO found wrong (`bodyProblems`): answers validation_failed naming
 * those and every field the checks above refuse, so that one answer lists them all. Throws always.
 */
export function refuseSettings(
  orgId: string,
  input: Partial<Record<keyof ProviderInput, unknown>>,
  bodyProblems: ValidationDetail[],
): never {
  providerSettings(orgId, input as ProviderInput, bodyProblems);
  throw validationFailed(bodyProblems);
}

/** What a connection of either protocol claims and maps: its domain and its group-to-role map. */
export interface SharedInput {
  domain: string;
  groupRoleMap?: Record<string, unknown>;
}

/** The domain (no public mail domain) and the group-to-role map checked, each problem reported. */
export function sharedSettings(
  input: SharedInput,
  problem: (field: string, message: string) => void,
  usable: (field: keyof SharedInput) => boolean,
): { domain: string | null; groupRoleMap: Record<string, OrgRole> } {
  const domain = usable('domain') ? (normaliseDomain(input.domain) ?? null) : null;
  if (!usable('domain')) {
    // Reported by the body checks.
  } else if (!domain) problem('domain', 'must be a domain name such as example.com');
  else if (isPublicMailDomain(domain))
    problem('domain', 'is a public mail domain; claim a domain your organization owns');

  const groupRoleMap: Record<string, OrgRole> = {};
  const entries = usable('groupRoleMap') ? Object.entries(input.groupRoleMap ?? {}) : [];
  if (entries.length > MAX_GROUPS) problem('groupRoleMap', `must map at most ${MAX_GROUPS} groups`);
  for (const [group, role] of entries) {
    if (group.trim() === '' || group.length > 256) problem('groupRoleMap', 'group names must be 1 to 256 characters');
    else if (!ORG_ROLES.includes(role as OrgRole)) {
      problem(`groupRoleMap.${group}`, `must be one of ${ORG_ROLES.join(', ')}`);
    } else groupRoleMap[group] = role as OrgRole;
  }
  return { domain, groupRoleMap };
}
