import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import type { ScimCaller } from './scim-caller';
import { ScimError } from './scim-error';
import { applyPatch, parsePatchBody } from './scim-patch';
import {
  CORE_GROUP_SCHEMA,
  excludesMembers,
  GROUP_SHAPE,
  GroupInput,
  groupFilterOf,
  filterParam,
  listResponse,
  pageOf,
  readGroup,
} from './scim-resources';
import type { ScimGroup, ScimUser } from './scim.entity';
import { GroupConditions, GroupMember, ScimRepository } from './scim.repository';
import { connectionOf, isUuid, ScimUsersService } from './scim-users.service';

type Json = Record<string, unknown>;

/**
 * SCIM Groups of one organization's directory: a displayName and members (SCIM user ids). A
 * member's role in the organization follows their groups (ScimUsersService.applyRole), so every
 * change of a group's members or name puts the roles of those it touches right, in its transaction.
 */
@Injectable()
export class ScimGroupsService {
  constructor(
    private readonly clock: Clock,
    private readonly repository: ScimRepository,
    private readonly scimUsers: ScimUsersService,
  ) {}

  create(caller: ScimCaller, body: unknown): Promise<Json> {
    connectionOf(caller);
    const input = readGroup(body);
    return this.scimUsers.inDirectoryTransaction(caller, async () => {
      const members = await this.membersAmong(caller, input.members);
      const group = await this.repository.insertGroup({
        orgId: caller.orgId,
        displayName: input.displayName,
        externalId: input.externalId,
        createdAt: this.clock.now(),
      });
      if (!group) throw ScimError.conflict('A group with this displayName exists in this directory.');
      await this.repository.setMembers(
        group.id,
        members.map((m) => m.id),
      );
      await this.scimUsers.record(caller, 'scim.group_created', {
        groupId: group.id,
        displayName: group.displayName,
        members: members.length,
      });
      for (const member of members) await this.scimUsers.applyRole(caller, member, true);
      return this.representation(group, await this.repository.membersOf([group.id]));
    });
  }

  async get(caller: ScimCaller, id: string, query: Json): Promise<Json> {
    connectionOf(caller);
    const group = await this.find(caller, id);
    return this.representation(group, excludesMembers(query) ? undefined : await this.repository.membersOf([group.id]));
  }

  async list(caller: ScimCaller, query: Json): Promise<Json> {
    connectionOf(caller);
    const filter = groupFilterOf(filterParam(query));
    const { startIndex, count } = pageOf(query);
    const where = conditionsOf(filter);
    if (!where) return listResponse(0, startIndex, []);
    const page = await this.repository.listGroups(caller.orgId, where, startIndex - 1, count);
    const members = excludesMembers(query) ? undefined : await this.repository.membersOf(page.rows.map((g) => g.id));
    return listResponse(
      page.total,
      startIndex,
      page.rows.map((group) =>
        this.representation(
          group,
          members?.filter((m) => m.groupId === group.id),
        ),
      ),
    );
  }

  replace(caller: ScimCaller, id: string, body: unknown): Promise<Json> {
    connectionOf(caller);
    const input = readGroup(body);
    return this.scimUsers.inDirectoryTransaction(caller, async () =>
      this.save(caller, await this.find(caller, id, true), input),
    );
  }

  patch(caller: ScimCaller, id: string, body: unknown): Promise<Json> {
    connectionOf(caller);
    const operations = parsePatchBody(body);
    return this.scimUsers.inDirectoryTransaction(caller, async () => {
      const group = await this.find(caller, id, true);
      const resource = this.representation(group, await this.repository.membersOf([group.id]));
      applyPatch(resource, operations, GROUP_SHAPE);
      return this.save(caller, group, readGroup(resource));
    });
  }

  remove(caller: ScimCaller, id: string): Promise<void> {
    connectionOf(caller);
    return this.scimUsers.inDirectoryTransaction(caller, async () => {
      const group = await this.find(caller, id, true);
      const members = await this.repository.membersOf([group.id]);
      await this.repository.deleteGroup(caller.orgId, group.id);
      await this.scimUsers.record(caller, 'scim.group_deleted', { groupId: group.id, displayName: group.displayName });
      for (const member of members) {
        await this.scimUsers.applyRole(caller, { id: member.scimUserId, userId: member.userId }, true);
      }
    });
  }

  private async save(caller: ScimCaller, group: ScimGroup, input: GroupInput): Promise<Json> {
    if (
      input.displayName !== group.displayName &&
      (await this.repository.groupNameTaken(caller.orgId, input.displayName, group.id))
    ) {
      throw ScimError.conflict('A group with this displayName exists in this directory.');
    }
    const members = await this.membersAmong(caller, input.members);
    const before = await this.repository.membersOf([group.id]);
    const renamed = input.displayName !== group.displayName;
    const now = this.clock.now();
    const saved =
      renamed || input.externalId !== group.externalId
        ? (await this.repository.updateGroup(caller.orgId, group.id, input, now))!
        : group;
    await this.repository.setMembers(
      group.id,
      members.map((m) => m.id),
    );
    const after = new Set(members.map((m) => m.id));
    const was = new Set(before.map((m) => m.scimUserId));
    const added = members.filter((m) => !was.has(m.id));
    const removed = before.filter((m) => !after.has(m.scimUserId));
    if (renamed || added.length > 0 || removed.length > 0) {
      if (!renamed && saved === group) await this.repository.touchGroup(group.id, now);
      await this.scimUsers.record(caller, 'scim.group_updated', {
        groupId: group.id,
        displayName: input.displayName,
        added: added.length,
        removed: removed.length,
      });
    }
    // A renamed group may map to another role: all its members; otherwise those who came or went.
    const touched = renamed
      ? [...members, ...removed.map((m) => ({ id: m.scimUserId, userId: m.userId }))]
      : [...added, ...removed.map((m) => ({ id: m.scimUserId, userId: m.userId }))];
    for (const member of touched) await this.scimUsers.applyRole(caller, member, true);
    const current = await this.repository.findGroup(caller.orgId, group.id);
    return this.representation(current ?? saved, await this.repository.membersOf([group.id]));
  }

  /** The organization's users with these SCIM ids; invalidValue naming one that is not. */
  private async membersAmong(caller: ScimCaller, ids: string[]): Promise<ScimUser[]> {
    const valid = ids.filter(isUuid);
    const found = valid.length > 0 ? await this.repository.usersAmong(caller.orgId, valid) : [];
    const missing = ids.find((id) => !found.some((user) => user.id === id));
    if (missing !== undefined) {
      throw ScimError.badRequest('invalidValue', `members: no user ${missing} in this directory.`);
    }
    return found;
  }

  private async find(caller: ScimCaller, id: string, lock = false): Promise<ScimGroup> {
    const group = isUuid(id) ? await this.repository.findGroup(caller.orgId, id, lock) : undefined;
    if (!group) throw ScimError.notFound(`No group ${id} in this directory.`);
    return group;
  }

  private representation(group: ScimGroup, members?: GroupMember[]): Json {
    return {
      schemas: [CORE_GROUP_SCHEMA],
      id: group.id,
      ...(group.externalId ? { externalId: group.externalId } : {}),
      displayName: group.displayName,
      ...(members
        ? {
            members: members.map((m) => ({
              value: m.scimUserId,
              $ref: this.scimUsers.location('Users', m.scimUserId),
              type: 'User',
            })),
          }
        : {}),
      meta: {
        resourceType: 'Group',
        created: group.createdAt.toISOString(),
        lastModified: group.updatedAt.toISOString(),
        location: this.scimUsers.location('Groups', group.id),
      },
    };
  }
}

function conditionsOf(filter: ReturnType<typeof groupFilterOf>): GroupConditions | undefined {
  const where: GroupConditions = {};
  const distinct = (values: string[], key: (v: string) => string = (v) => v) => [...new Set(values.map(key))];
  const ids = distinct(filter.ids);
  if (ids.length > 1 || (ids.length === 1 && !isUuid(ids[0]))) return undefined;
  if (ids.length === 1) where.ids = ids;
  const names = distinct(filter.displayNames, (v) => v.toLowerCase());
  if (names.length > 1) return undefined;
  if (names.length === 1) where.displayName = filter.displayNames[0];
  const externalIds = distinct(filter.externalIds);
  if (externalIds.length > 1) return undefined;
  if (externalIds.length === 1) where.externalId = externalIds[0];
  return where;
}
