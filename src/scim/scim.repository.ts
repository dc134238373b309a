import { Injectable } from '@nestjs/common';
import { Sql } from '../database';
import type { ScimGroup, ScimToken, ScimUser } from './scim.entity';

export type ScimTokenSummary = Pick<ScimToken, 'id' | 'name' | 'createdAt' | 'lastUsedAt'>;
export type NewScimUser = Pick<
  ScimUser,
  'orgId' | 'userId' | 'externalId' | 'givenName' | 'familyName' | 'active' | 'createdAt'
>;
export type ScimUserChanges = Pick<ScimUser, 'externalId' | 'givenName' | 'familyName' | 'active'>;

/** What a list of users is narrowed by: each set condition must hold (the filter's `and`). */
export interface UserConditions {
  ids?: string[];
  userIds?: string[];
  externalId?: string;
  active?: boolean;
}

export interface GroupConditions {
  ids?: string[];
  displayName?: string;
  externalId?: string;
}

export interface Page<T> {
  total: number;
  rows: T[];
}

export interface GroupMember {
  groupId: string;
  scimUserId: string;
  userId: string;
}

const TOKEN_COLUMNS = `id, name, created_at AS "createdAt", last_used_at AS "lastUsedAt"`;
const USER_COLUMNS = `id, org_id AS "orgId", user_id AS "userId", external_id AS "externalId",
  given_name AS "givenName", family_name AS "familyName", active, created_at AS "createdAt", updated_at AS "updatedAt"`;
const GROUP_COLUMNS = `id, org_id AS "orgId", display_name AS "displayName", external_id AS "externalId",
  created_at AS "createdAt", updated_at AS "updatedAt"`;

/** The SCIM tables: tokens, the directory's users and groups, and group memberships. */
@Injectable()
export class ScimRepository {
  constructor(private readonly sql: Sql) {}

  async insertToken(token: Pick<ScimToken, 'orgId' | 'name' | 'tokenHash' | 'createdAt'>): Promise<string> {
    const row = await this.sql.one<{ id: string }>(
      'INSERT INTO scim_tokens (org_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id',
      [token.orgId, token.name, token.tokenHash, token.createdAt],
    );
    return row!.id;
  }

  listTokens(orgId: string): Promise<ScimTokenSummary[]> {
    return this.sql.rows<ScimTokenSummary>(
      `SELECT ${TOKEN_COLUMNS} FROM scim_tokens WHERE org_id = $1 ORDER BY created_at DESC, id`,
      [orgId],
    );
  }

  async deleteToken(orgId: string, id: string): Promise<boolean> {
    return (await this.sql.count('DELETE FROM scim_tokens WHERE id = $1 AND org_id = $2', [id, orgId])) > 0;
  }

  /** The token holding the hash; a named prepared statement (every SCIM request asks). */
  async resolveToken(tokenHash: Buffer): Promise<Pick<ScimToken, 'id' | 'orgId' | 'lastUsedAt'> | undefined> {
    const [row] = await this.sql.prepared<Pick<ScimToken, 'id' | 'orgId' | 'lastUsedAt'>>(
      'resolve_scim_token',
      'SELECT id, org_id AS "orgId", last_used_at AS "lastUsedAt" FROM scim_tokens WHERE token_hash = $1',
      [tokenHash],
    );
    return row;
  }

  touchToken(id: string, now: Date, usedBefore: Date): Promise<number> {
    return this.sql.count(
      'UPDATE scim_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)',
      [id, now, usedBefore],
    );
  }

  /** Answers the new row, or undefined when the user or the externalId is already provisioned in the organization. */
  insertUser(user: NewScimUser): Promise<ScimUser | undefined> {
    return this.sql.one<ScimUser>(
      `INSERT INTO scim_users (org_id, user_id, external_id, given_name, family_name, active, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT DO NOTHING RETURNING ${USER_COLUMNS}`,
      [user.orgId, user.userId, user.externalId, user.givenName, user.familyName, user.active, user.createdAt],
    );
  }

  /** An organization but these whose directory has this account inactive (the longest-standing such row), if any. */
  async inactiveElsewhere(userId: string, orgIds: string[]): Promise<string | undefined> {
    const row = await this.sql.one<{ orgId: string }>(
      `SELECT org_id AS "orgId" FROM scim_users
        WHERE user_id = $1 AND org_id <> ALL($2::uuid[]) AND active = false
        ORDER BY updated_at, id LIMIT 1`,
      [userId, orgIds],
    );
    return row?.orgId;
  }

  /** The row of this organization, locked for the change that follows when `lock`. */
  findUser(orgId: string, id: string, lock = false): Promise<ScimUser | undefined> {
    return this.sql.one<ScimUser>(
      `SELECT ${USER_COLUMNS} FROM scim_users WHERE id = $1 AND org_id = $2${lock ? ' FOR UPDATE' : ''}`,
      [id, orgId],
    );
  }

  findUserByAccount(orgId: string, userId: string): Promise<ScimUser | undefined> {
    return this.sql.one<ScimUser>(`SELECT ${USER_COLUMNS} FROM scim_users WHERE org_id = $1 AND user_id = $2`, [
      orgId,
      userId,
    ]);
  }

  async externalIdTaken(orgId: string, externalId: string, except: string | null): Promise<boolean> {
    const row = await this.sql.one(
      'SELECT 1 FROM scim_users WHERE org_id = $1 AND external_id = $2 AND id IS DISTINCT FROM $3',
      [orgId, externalId, except],
    );
    return row !== undefined;
  }

  async listUsers(orgId: string, where: UserConditions, offset: number, limit: number): Promise<Page<ScimUser>> {
    const { conditions, values, add } = orgConditions(orgId);
    if (where.ids) add((n) => `id = ANY(${n}::uuid[])`, where.ids);
    if (where.userIds) add((n) => `user_id = ANY(${n}::uuid[])`, where.userIds);
    if (where.externalId !== undefined) add((n) => `external_id = ${n}`, where.externalId);
    if (where.active !== undefined) add((n) => `active = ${n}`, where.active);
    return this.page<ScimUser>('scim_users', USER_COLUMNS, conditions, values, offset, limit);
  }

  updateUser(orgId: string, id: string, changes: ScimUserChanges, now: Date): Promise<ScimUser | undefined> {
    return this.sql.one<ScimUser>(
      `UPDATE scim_users SET external_id = $3, given_name = $4, family_name = $5, active = $6, updated_at = $7
        WHERE id = $1 AND org_id = $2 RETURNING ${USER_COLUMNS}`,
      [id, orgId, changes.externalId, changes.givenName, changes.familyName, changes.active, now],
    );
  }

  async deleteUser(orgId: string, id: string): Promise<boolean> {
    return (await this.sql.count('DELETE FROM scim_users WHERE id = $1 AND org_id = $2', [id, orgId])) > 0;
  }

  /** The display names of the groups the provisioned user is in. */
  async groupNamesOf(scimUserId: string): Promise<string[]> {
    const rows = await this.sql.rows<{ name: string }>(
      `SELECT g.display_name AS name FROM scim_group_members m JOIN scim_groups g ON g.id = m.group_id
        WHERE m.scim_user_id = $1 ORDER BY g.display_name`,
      [scimUserId],
    );
    return rows.map((row) => row.name);
  }

  /** The groups of these provisioned users, for their `groups` attribute. */
  groupsOfUsers(scimUserIds: string[]): Promise<Array<{ scimUserId: string; groupId: string; displayName: string }>> {
    return this.sql.rows(
      `SELECT m.scim_user_id AS "scimUserId", g.id AS "groupId", g.display_name AS "displayName"
         FROM scim_group_members m JOIN scim_groups g ON g.id = m.group_id
        WHERE m.scim_user_id = ANY($1::uuid[]) ORDER BY g.display_name`,
      [scimUserIds],
    );
  }

  /** Answers the new group, or undefined when the organization has a group of that name. */
  insertGroup(
    group: Pick<ScimGroup, 'orgId' | 'displayName' | 'externalId' | 'createdAt'>,
  ): Promise<ScimGroup | undefined> {
    return this.sql.one<ScimGroup>(
      `INSERT INTO scim_groups (org_id, display_name, external_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
       ON CONFLICT DO NOTHING RETURNING ${GROUP_COLUMNS}`,
      [group.orgId, group.displayName, group.externalId, group.createdAt],
    );
  }

  findGroup(orgId: string, id: string, lock = false): Promise<ScimGroup | undefined> {
    return this.sql.one<ScimGroup>(
      `SELECT ${GROUP_COLUMNS} FROM scim_groups WHERE id = $1 AND org_id = $2${lock ? ' FOR UPDATE' : ''}`,
      [id, orgId],
    );
  }

  async groupNameTaken(orgId: string, displayName: string, except: string): Promise<boolean> {
    const row = await this.sql.one('SELECT 1 FROM scim_groups WHERE org_id = $1 AND display_name = $2 AND id <> $3', [
      orgId,
      displayName,
      except,
    ]);
    return row !== undefined;
  }

  async listGroups(orgId: string, where: GroupConditions, offset: number, limit: number): Promise<Page<ScimGroup>> {
    const { conditions, values, add } = orgConditions(orgId);
    if (where.ids) add((n) => `id = ANY(${n}::uuid[])`, where.ids);
    if (where.displayName !== undefined) add((n) => `lower(display_name) = lower(${n})`, where.displayName);
    if (where.externalId !== undefined) add((n) => `external_id = ${n}`, where.externalId);
    return this.page<ScimGroup>('scim_groups', GROUP_COLUMNS, conditions, values, offset, limit);
  }

  updateGroup(
    orgId: string,
    id: string,
    changes: Pick<ScimGroup, 'displayName' | 'externalId'>,
    now: Date,
  ): Promise<ScimGroup | undefined> {
    return this.sql.one<ScimGroup>(
      `UPDATE scim_groups SET display_name = $3, external_id = $4, updated_at = $5
        WHERE id = $1 AND org_id = $2 RETURNING ${GROUP_COLUMNS}`,
      [id, orgId, changes.displayName, changes.externalId, now],
    );
  }

  async deleteGroup(orgId: string, id: string): Promise<boolean> {
    return (await this.sql.count('DELETE FROM scim_groups WHERE id = $1 AND org_id = $2', [id, orgId])) > 0;
  }

  /** The members of these groups, with the accounts they are. */
  membersOf(groupIds: string[]): Promise<GroupMember[]> {
    return this.sql.rows<GroupMember>(
      `SELECT m.group_id AS "groupId", m.scim_user_id AS "scimUserId", u.user_id AS "userId"
         FROM scim_group_members m JOIN scim_users u ON u.id = m.scim_user_id
        WHERE m.group_id = ANY($1::uuid[]) ORDER BY u.created_at, u.id`,
      [groupIds],
    );
  }

  /** The organization's provisioned users among these ids (SCIM ids; others and unknown ones left out). */
  usersAmong(orgId: string, ids: string[]): Promise<ScimUser[]> {
    return this.sql.rows<ScimUser>(
      `SELECT ${USER_COLUMNS} FROM scim_users WHERE org_id = $1 AND id = ANY($2::uuid[])`,
      [orgId, ids],
    );
  }

  /** Makes the group's members exactly these (SCIM user ids of the group's organization). */
  async setMembers(groupId: string, scimUserIds: string[]): Promise<void> {
    await this.sql.count('DELETE FROM scim_group_members WHERE group_id = $1 AND scim_user_id <> ALL($2::uuid[])', [
      groupId,
      scimUserIds,
    ]);
    await this.sql.count(
      `INSERT INTO scim_group_members (group_id, scim_user_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`,
      [groupId, scimUserIds],
    );
  }

  touchGroup(id: string, now: Date): Promise<number> {
    return this.sql.count('UPDATE scim_groups SET updated_at = $2 WHERE id = $1', [id, now]);
  }

  /** What the directories keep about the account (for its export). */
  usersOfAccount(userId: string): Promise<ScimUser[]> {
    return this.sql.rows<ScimUser>(`SELECT ${USER_COLUMNS} FROM scim_users WHERE user_id = $1 ORDER BY created_at`, [
      userId,
    ]);
  }

  /** The accounts' rows in every directory, their group memberships with them. */
  async deleteUsersOfAccounts(userIds: string[]): Promise<void> {
    await this.sql.count('DELETE FROM scim_users WHERE user_id = ANY($1::uuid[])', [userIds]);
  }

  /** One page of a directory's users or groups (oldest first, as SCIM's startIndex counts) and the total. */
  private async page<Row>(
    table: 'scim_users' | 'scim_groups',
    columns: string,
    conditions: string[],
    values: unknown[],
    offset: number,
    limit: number,
  ): Promise<Page<Row>> {
    const clause = conditions.join(' AND ');
    const [{ total }] = await this.sql.rows<{ total: number }>(
      `SELECT count(*)::int AS total FROM ${table} WHERE ${clause}`,
      values,
    );
    const rows =
      limit === 0
        ? []
        : await this.sql.rows<Row>(
            `SELECT ${columns} FROM ${table} WHERE ${clause} ORDER BY created_at, id
              OFFSET $${values.length + 1} LIMIT $${values.length + 2}`,
            [...values, offset, limit],
          );
    return { total, rows };
  }
}

/** The conditions of a directory's listing, starting with its organization; `add` binds a value. */
function orgConditions(orgId: string) {
  const conditions = ['org_id = $1'];
  const values: unknown[] = [orgId];
  const add = (sql: (n: string) => string, value: unknown) => {
    values.push(value);
    conditions.push(sql(`$${values.length}`));
  };
  return { conditions, values, add };
}
