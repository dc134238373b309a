import { ScimError } from './scim-error';
import { coreName, CORE_GROUP_SCHEMA, CORE_USER_SCHEMA, Filter, FilterValue, parseFilter } from './scim-filter';
import type { ResourceShape } from './scim-patch';

export { CORE_GROUP_SCHEMA, CORE_USER_SCHEMA };
export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const SERVICE_PROVIDER_CONFIG_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
export const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
export const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';
export const SCIM_MEDIA_TYPE = 'application/scim+json';

/** The most a page holds (ServiceProviderConfig's filter.maxResults); the default count too. */
export const MAX_RESULTS = 200;
const DEFAULT_COUNT = 100;

export const USER_SHAPE: ResourceShape = {
  schema: CORE_USER_SCHEMA,
  attributes: [
    { name: 'id', readOnly: true },
    { name: 'meta', readOnly: true },
    { name: 'groups', multiValued: true, readOnly: true },
    { name: 'userName' },
    { name: 'externalId' },
    { name: 'name', subAttributes: ['givenName', 'familyName', 'formatted'] },
    { name: 'displayName' },
    { name: 'emails', multiValued: true, subAttributes: ['value', 'type', 'primary', 'display'] },
    { name: 'active' },
  ],
};

export const GROUP_SHAPE: ResourceShape = {
  schema: CORE_GROUP_SCHEMA,
  attributes: [
    { name: 'id', readOnly: true },
    { name: 'meta', readOnly: true },
    { name: 'displayName' },
    { name: 'externalId' },
    { name: 'members', multiValued: true, subAttributes: ['value', 'display', '$ref', 'type'] },
  ],
};

type Json = Record<string, unknown>;

/** The user attributes this service keeps, as a POST, PUT or patched representation gives them. */
export interface UserInput {
  userName: string;
  externalId: string | null;
  givenName: string | null;
  familyName: string | null;
  /** displayName, else name.formatted, else given and family names: the account's name. */
  displayName: string | null;
  active: boolean;
  /** Addresses in `emails` (each must be the userName's: the account has one address). */
  emails: string[];
}

export interface GroupInput {
  displayName: string;
  externalId: string | null;
  /** SCIM ids of users. */
  members: string[];
}

/** Case-insensitive attribute lookup on a SCIM object. */
function get(object: Json, name: string): unknown {
  const key = Object.keys(object).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : object[key];
}

function optionalString(value: unknown, field: string, max: number): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw ScimError.badRequest('invalidValue', `${field} must be a string.`);
  const trimmed = value.trim();
  if (trimmed.length > max) throw ScimError.badRequest('invalidValue', `${field} must be at most ${max} characters.`);
  return trimmed === '' ? null : trimmed;
}

/** SCIM booleans, and the strings Entra sends for them ("True", "False"). */
export function booleanOf(value: unknown, field: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) return value.trim().toLowerCase() === 'true';
  throw ScimError.badRequest('invalidValue', `${field} must be a boolean.`);
}

export function readUser(body: unknown): UserInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw ScimError.badRequest('invalidSyntax', 'The body must be a User object.');
  }
  const object = body as Json;
  const userName = get(object, 'userName');
  if (typeof userName !== 'string' || userName.trim() === '') {
    throw ScimError.badRequest('invalidValue', 'userName is required: the address of the account.');
  }
  const name = get(object, 'name');
  const names = typeof name === 'object' && name !== null && !Array.isArray(name) ? (name as Json) : {};
  const givenName = optionalString(get(names, 'givenName'), 'name.givenName', 200);
  const familyName = optionalString(get(names, 'familyName'), 'name.familyName', 200);
  const formatted = optionalString(get(names, 'formatted'), 'name.formatted', 200);
  const displayName =
    optionalString(get(object, 'displayName'), 'displayName', 200) ??
    formatted ??
    ([givenName, familyName].filter(Boolean).join(' ') || null);
  const active = get(object, 'active');
  const emails = get(object, 'emails');
  if (emails !== undefined && emails !== null && !Array.isArray(emails)) {
    throw ScimError.badRequest('invalidValue', 'emails must be an array.');
  }
  return {
    userName: userName.trim(),
    externalId: optionalString(get(object, 'externalId'), 'externalId', 256),
    givenName,
    familyName,
    displayName,
    active: active === undefined || active === null ? true : booleanOf(active, 'active'),
    emails: ((emails as unknown[] | null | undefined) ?? []).flatMap((email) => {
      const value = typeof email === 'object' && email !== null ? get(email as Json, 'value') : undefined;
      if (value === undefined || value === null) return [];
      if (typeof value !== 'string') throw ScimError.badRequest('invalidValue', 'emails[].value must be a string.');
      return [value.trim()];
    }),
  };
}

export function readGroup(body: unknown): GroupInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw ScimError.badRequest('invalidSyntax', 'The body must be a Group object.');
  }
  const object = body as Json;
  const displayName = optionalString(get(object, 'displayName'), 'displayName', 256);
  if (!displayName) throw ScimError.badRequest('invalidValue', 'displayName is required.');
  const members = get(object, 'members');
  if (members !== undefined && members !== null && !Array.isArray(members)) {
    throw ScimError.badRequest('invalidValue', 'members must be an array.');
  }
  const ids = ((members as unknown[] | null | undefined) ?? []).map((member) => {
    const value = typeof member === 'object' && member !== null ? get(member as Json, 'value') : undefined;
    if (typeof value !== 'string' || value === '') {
      throw ScimError.badRequest('invalidValue', 'members[].value must be the id of a user.');
    }
    return value;
  });
  return {
    displayName,
    externalId: optionalString(get(object, 'externalId'), 'externalId', 256),
    members: [...new Set(ids)],
  };
}

/** The `filter` query parameter; given twice, it is refused rather than ignored. */
export function filterParam(query: Json): string | undefined {
  const filter = query.filter;
  if (filter === undefined || typeof filter === 'string') return filter;
  throw ScimError.badRequest('invalidFilter', 'Give one filter parameter.');
}

/** startIndex (1-based) and count of a list, as RFC 7644 §3.4.2.4 reads them. */
export function pageOf(query: Json): { startIndex: number; count: number } {
  const number = (value: unknown, fallback: number, field: string) => {
    if (value === undefined || value === '') return fallback;
    const n = Number(value);
    if (typeof value !== 'string' || !Number.isInteger(n)) {
      throw ScimError.badRequest('invalidValue', `${field} must be an integer.`);
    }
    // Past the largest safe integer, a page that far is as empty as one at it (and the query's OFFSET holds it).
    return Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, n));
  };
  const startIndex = Math.max(1, number(query.startIndex, 1, 'startIndex'));
  const count = Math.min(MAX_RESULTS, Math.max(0, number(query.count, DEFAULT_COUNT, 'count')));
  return { startIndex, count };
}

export function listResponse(total: number, startIndex: number, resources: Json[]): Json {
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults: total,
    startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}

/** The conjuncts of a filter that joins comparisons with `and` only; invalidFilter for anything else. */
function conjuncts(filter: Filter): Array<Extract<Filter, { kind: 'compare' }>> {
  if (filter.kind === 'and') return [...conjuncts(filter.left), ...conjuncts(filter.right)];
  if (filter.kind === 'compare' && filter.op === 'eq') return [filter];
  throw ScimError.badRequest('invalidFilter', 'Only eq comparisons joined by and are supported.');
}

function stringValue(value: FilterValue, attribute: string): string {
  if (typeof value !== 'string') throw ScimError.badRequest('invalidFilter', `${attribute} compares with a string.`);
  return value;
}

/** What a Users filter asks for, as the attributes it names. */
export interface UserFilter {
  ids: string[];
  /** Addresses (from userName and emails comparisons). */
  addresses: string[];
  externalIds: string[];
  active?: boolean;
  /** Two conditions no user meets at once (active eq true and active eq false). */
  impossible?: boolean;
}

/**
 * The Users filters of the contract: `userName eq`, `externalId eq`, `emails[type eq "work"].value
 * eq` (and `emails.value eq`), `active eq`, and `id eq`, joined by `and`.
 */
export function userFilterOf(text: string | undefined): UserFilter {
  const result: UserFilter = { ids: [], addresses: [], externalIds: [] };
  if (text === undefined || text.trim() === '') return result;
  for (const { path, value } of conjuncts(parseFilter(text))) {
    const name = coreName(path.attr, CORE_USER_SCHEMA);
    const emailPath =
      name === 'emails' &&
      (path.valueFilter
        ? path.sub?.toLowerCase() === 'value' && isWorkTypeFilter(path.valueFilter)
        : path.attr.sub?.toLowerCase() === 'value');
    if (emailPath) result.addresses.push(stringValue(value, 'emails.value'));
    else if (path.valueFilter || path.attr.sub) throw unsupported(name ?? path.attr.name);
    else if (name === 'username') result.addresses.push(stringValue(value, 'userName'));
    else if (name === 'externalid') result.externalIds.push(stringValue(value, 'externalId'));
    else if (name === 'id') result.ids.push(stringValue(value, 'id'));
    else if (name === 'active') {
      const active = typeof value === 'string' ? booleanOf(value, 'active') : value;
      if (typeof active !== 'boolean') throw ScimError.badRequest('invalidFilter', 'active compares with a boolean.');
      if (result.active !== undefined && result.active !== active) result.impossible = true;
      result.active = active;
    } else throw unsupported(name ?? path.attr.name);
  }
  return result;
}

function isWorkTypeFilter(filter: Filter): boolean {
  return (
    filter.kind === 'compare' &&
    filter.op === 'eq' &&
    filter.path.attr.name.toLowerCase() === 'type' &&
    !filter.path.attr.sub &&
    typeof filter.value === 'string' &&
    filter.value.toLowerCase() === 'work'
  );
}

function unsupported(attribute: string): ScimError {
  return ScimError.badRequest('invalidFilter', `Filtering on ${attribute} is not supported.`);
}

export interface GroupFilter {
  ids: string[];
  displayNames: string[];
  externalIds: string[];
}

/** The Groups filters: `displayName eq`, `externalId eq` and `id eq`, joined by `and`. */
export function groupFilterOf(text: string | undefined): GroupFilter {
  const result: GroupFilter = { ids: [], displayNames: [], externalIds: [] };
  if (text === undefined || text.trim() === '') return result;
  for (const { path, value } of conjuncts(parseFilter(text))) {
    const name = coreName(path.attr, CORE_GROUP_SCHEMA);
    if (path.valueFilter || path.attr.sub) throw unsupported(name ?? path.attr.name);
    if (name === 'displayname') result.displayNames.push(stringValue(value, 'displayName'));
    else if (name === 'externalid') result.externalIds.push(stringValue(value, 'externalId'));
    else if (name === 'id') result.ids.push(stringValue(value, 'id'));
    else throw unsupported(name ?? path.attr.name);
  }
  return result;
}

/** Whether `excludedAttributes` (comma-separated) names members. */
export function excludesMembers(query: Json): boolean {
  const value = query.excludedAttributes;
  if (typeof value !== 'string') return false;
  return value
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .some((name) => name === 'members' || name === `${CORE_GROUP_SCHEMA.toLowerCase()}:members`);
}
