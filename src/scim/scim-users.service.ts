import { Injectable, Logger } from '@nestjs/common';
import { AuditAction, AuditEvent, AuditService } from '../audit/audit.service';
import type { ClientInfo } from '../common/client-info';
import { Clock } from '../common/clock';
import { DomainEvents } from '../common/domain-events';
import { canonicalEmail } from '../common/email-address';
import { DomainError } from '../common/errors';
import { AppConfig } from '../config';
import { TransactionHost } from '../database/transactions';
import { DeletionService } from '../deletion/deletion.service';
import { OrganizationsService } from '../organizations/organizations.service';
import { emailDomain } from '../sso/domains';
import { roleForGroups } from '../sso/group-roles';
import type { UserRecord } from '../users/user-record';
import { UsersService } from '../users/users.service';
import { WebhooksService } from '../webhooks/webhooks.service';
import type { DirectoryConnection, ScimCaller } from './scim-caller';
import { ScimError } from './scim-error';
import { applyPatch, parsePatchBody } from './scim-patch';
import {
  CORE_USER_SCHEMA,
  filterParam,
  listResponse,
  pageOf,
  readUser,
  USER_SHAPE,
  UserInput,
  userFilterOf,
} from './scim-resources';
import type { ScimUser } from './scim.entity';
import { ScimRepository, UserConditions } from './scim.repository';
import { NEEDS_VERIFIED_DOMAIN } from './scim-tokens.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Json = Record<string, unknown>;

/** The organization's connection; 403 when it has none with a verified domain (any more). */
export function connectionOf(caller: ScimCaller): DirectoryConnection {
  if (!caller.connection) throw new ScimError(403, undefined, NEEDS_VERIFIED_DOMAIN);
  return caller.connection;
}

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * SCIM Users of one organization's directory. A provisioned user is an account of the connection's
 * verified domain, a member of the organization (role from their groups, else the connection's
 * defaultRole), whose `active` suspends or restores it; DELETE takes the membership away and erases
 * an account of the domain that no other organization holds.
 */
@Injectable()
export class ScimUsersService {
  private readonly logger = new Logger('Scim');

  constructor(
    private readonly txHost: TransactionHost,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly repository: ScimRepository,
    private readonly users: UsersService,
    private readonly organizations: OrganizationsService,
    private readonly deletion: DeletionService,
    private readonly audit: AuditService,
    private readonly webhooks: WebhooksService,
    private readonly events: DomainEvents,
  ) {}

  /**
   * A write of the directory, in one transaction that first takes the organization's membership
   * lock: one directory's writes run one at a time, and concurrent creates cannot deadlock on the
   * organization row they all reference.
   */
  inDirectoryTransaction<T>(caller: ScimCaller, work: () => Promise<T>): Promise<T> {
    return this.txHost.withTransaction(async () => {
      await this.organizations.lockMemberships(caller.orgId);
      return work();
    });
  }

  create(caller: ScimCaller, body: unknown, client: ClientInfo): Promise<Json> {
    const connection = connectionOf(caller);
    const input = readUser(body);
    const email = this.addressOf(input, connection);
    return this.inDirectoryTransaction(caller, async () => {
      if (input.externalId && (await this.repository.externalIdTaken(caller.orgId, input.externalId, null))) {
        throw ScimError.conflict('A user with this externalId is already provisioned in this directory.');
      }
      let account = await this.users.findByEmail(email);
      // As for SSO: an account that only moved to the address and never proved it holds nothing.
      if (account && !account.emailVerifiedAt && account.previousEmail !== null) account = null;
      let created = false;
      if (account) {
        if (await this.repository.findUserByAccount(caller.orgId, account.id)) {
          throw ScimError.conflict('A user with this userName is already provisioned in this directory.');
        }
        if (!account.emailVerifiedAt) {
          // Whoever signed up without proving the address may not be its holder: the directory vouches
          // for the address now, and their way in goes (the reactions to a reset: the password, every
          // session and API key, any linked SSO identity), as when the mailbox's holder claims it.
          await this.users.markEmailVerified(account.id, account.email);
          await this.users.clearPassword(account.id);
          await this.events.emit('user.password_changed', {
            userId: account.id,
            email: account.email,
            keepSessionId: null,
            reset: true,
            revokeApiKeys: true,
            client,
          });
          await this.record(caller, 'user.unverified_account_claimed', { userId: account.id });
        }
        if (input.displayName && input.displayName !== account.name) {
          await this.users.setName(account.id, input.displayName);
        }
      } else {
        try {
          account = await this.users.create({
            email,
            name: input.displayName,
            passwordHash: null,
            emailVerified: true,
            ssoProviderId: connection.id,
            method: 'scim',
          });
        } catch (error) {
          if (error instanceof DomainError && error.code === 'email_taken') {
            throw ScimError.conflict(
              'The address is held by an account that is changing its address; try again later.',
            );
          }
          throw error;
        }
        created = true;
      }
      const row = await this.repository.insertUser({
        orgId: caller.orgId,
        userId: account.id,
        externalId: input.externalId,
        givenName: input.givenName,
        familyName: input.familyName,
        active: input.active,
        createdAt: this.now(),
      });
      if (!row) throw ScimError.conflict('This user is already provisioned in this directory.');
      await this.record(caller, 'scim.user_provisioned', { userId: account.id, scimUserId: row.id, linked: !created });
      await this.applyRole(caller, row, false);
      if (!input.active) await this.setActive(caller, row, false);
      return this.representation(row, (await this.users.findById(account.id)) ?? account, []);
    });
  }

  async get(caller: ScimCaller, id: string): Promise<Json> {
    connectionOf(caller);
    const row = await this.find(caller, id);
    const groups = await this.groupsOf([row.id]);
    return this.representation(row, await this.accountOf(row), groups.get(row.id) ?? []);
  }

  async list(caller: ScimCaller, query: Json): Promise<Json> {
    connectionOf(caller);
    const filter = userFilterOf(filterParam(query));
    const { startIndex, count } = pageOf(query);
    const where = await this.conditionsOf(filter);
    if (!where) return listResponse(0, startIndex, []);
    const page = await this.repository.listUsers(caller.orgId, where, startIndex - 1, count);
    const accounts = new Map((await this.users.findByIds(page.rows.map((r) => r.userId))).map((u) => [u.id, u]));
    const groups = await this.groupsOf(page.rows.map((r) => r.id));
    return listResponse(
      page.total,
      startIndex,
      page.rows.flatMap((row) => {
        const account = accounts.get(row.userId);
        return account ? [this.representation(row, account, groups.get(row.id) ?? [])] : [];
      }),
    );
  }

  replace(caller: ScimCaller, id: string, body: unknown): Promise<Json> {
    connectionOf(caller);
    const input = readUser(body);
    return this.inDirectoryTransaction(caller, async () => {
      const row = await this.find(caller, id, true);
      return this.save(caller, row, await this.accountOf(row), input);
    });
  }

  patch(caller: ScimCaller, id: string, body: unknown): Promise<Json> {
    connectionOf(caller);
    const operations = parsePatchBody(body);
    return this.inDirectoryTransaction(caller, async () => {
      const row = await this.find(caller, id, true);
      const account = await this.accountOf(row);
      const resource = this.representation(row, account);
      applyPatch(resource, operations, USER_SHAPE);
      return this.save(caller, row, account, readUser(resource));
    });
  }

  /**
   * Deprovisioning: the membership ends (never the last owner's: 409), and the account is erased
   * when its address is of the organization's domain and no other organization holds it; otherwise
   * a suspension this directory made is lifted, since it no longer governs the account.
   */
  remove(caller: ScimCaller, id: string): Promise<void> {
    const connection = connectionOf(caller);
    return this.inDirectoryTransaction(caller, async () => {
      const row = await this.find(caller, id, true);
      const account = await this.accountOf(row);
      try {
        if (await this.organizations.removeByDirectory(caller.orgId, row.userId)) {
          await this.webhooks.emit('org.member_removed', { orgId: caller.orgId, userId: row.userId });
        }
      } catch (error) {
        if (error instanceof DomainError && error.code === 'last_owner') throw lastOwner();
        throw error;
      }
      await this.repository.deleteUser(caller.orgId, row.id);
      const erase =
        emailDomain(account.email) === connection.domain && (await this.organizations.list(account.id)).length === 0;
      await this.record(caller, 'scim.user_deprovisioned', { userId: account.id, scimUserId: row.id, erased: erase });
      if (erase) {
        await this.deletion.eraseNow(account.id);
      } else if (!row.active && (await this.liftSuspension(account.id, caller.orgId))) {
        await this.webhooks.emit('user.reactivated', { userId: account.id, orgId: caller.orgId });
      }
    });
  }

  /**
   * Puts the member's role where their groups say: the highest any of them maps to in the
   * connection's groupRoleMap, else its defaultRole. A change rotates their sessions (the
   * organizations module's org.member_role_changed). `strict`: demoting the last owner is refused
   * (409) rather than skipped.
   */
  async applyRole(caller: ScimCaller, row: Pick<ScimUser, 'id' | 'userId'>, strict: boolean): Promise<void> {
    const connection = connectionOf(caller);
    const groups = await this.repository.groupNamesOf(row.id);
    const role = roleForGroups(groups, connection.groupRoleMap, connection.defaultRole);
    const sync = await this.organizations.syncMembership(caller.orgId, row.userId, role);
    if (sync.kept) {
      if (strict) throw lastOwner();
      this.logger.warn({ msg: 'SCIM groups would demote the last owner; kept as owner', orgId: caller.orgId });
    }
    // The organizations module tells the product (org.member_added, org.member_role_changed).
    if (sync.from === null) {
      await this.record(caller, 'scim.member_added', { userId: row.userId, role: sync.to });
    } else if (sync.from !== sync.to) {
      await this.record(caller, 'scim.role_changed', { userId: row.userId, from: sync.from, to: sync.to });
    }
  }

  /** The organization's provisioned user with this SCIM id; 404 for an id of another organization. */
  private async find(caller: ScimCaller, id: string, lock = false): Promise<ScimUser> {
    const row = isUuid(id) ? await this.repository.findUser(caller.orgId, id, lock) : undefined;
    if (!row) throw ScimError.notFound(`No user ${id} in this directory.`);
    return row;
  }

  private async accountOf(row: ScimUser): Promise<UserRecord> {
    const account = await this.users.findById(row.userId);
    if (!account) throw ScimError.notFound(`No user ${row.id} in this directory.`);
    return account;
  }

  private addressOf(input: UserInput, connection: DirectoryConnection): string {
    const email = canonicalEmail(input.userName);
    if (!email || emailDomain(email) !== connection.domain) {
      throw ScimError.badRequest('invalidValue', `userName must be an email address of ${connection.domain}.`);
    }
    for (const address of input.emails) {
      if (canonicalEmail(address) !== email) {
        throw ScimError.badRequest(
          'invalidValue',
          'emails[].value must be the userName: an account has one address, its userName.',
        );
      }
    }
    return email;
  }

  /** PUT, and PATCH once applied: userName is the account's address and does not change here. */
  private async save(caller: ScimCaller, row: ScimUser, account: UserRecord, input: UserInput): Promise<Json> {
    const email = canonicalEmail(input.userName);
    if (email !== account.email) {
      throw ScimError.badRequest(
        'mutability',
        'userName is the account’s address and cannot change through SCIM; deprovision the user and provision the new address.',
      );
    }
    for (const address of input.emails) {
      if (canonicalEmail(address) !== email) {
        throw ScimError.badRequest(
          'mutability',
          'emails[].value is the account’s address (its userName) and cannot change through SCIM.',
        );
      }
    }
    if (input.externalId && (await this.repository.externalIdTaken(caller.orgId, input.externalId, row.id))) {
      throw ScimError.conflict('A user with this externalId is already provisioned in this directory.');
    }
    const fields: string[] = [];
    if (input.displayName !== account.name) {
      await this.users.setName(account.id, input.displayName);
      fields.push('name');
    }
    if (input.externalId !== row.externalId) fields.push('externalId');
    if (input.givenName !== row.givenName) fields.push('givenName');
    if (input.familyName !== row.familyName) fields.push('familyName');
    let saved = row;
    if (fields.length > 0 || input.active !== row.active) {
      saved = (await this.repository.updateUser(caller.orgId, row.id, { ...input }, this.now()))!;
    }
    if (fields.length > 0) {
      await this.webhooks.emit('user.updated', { userId: account.id, fields });
      await this.record(caller, 'scim.user_updated', {
        userId: account.id,
        scimUserId: row.id,
        fields: fields.join(','),
      });
    }
    if (input.active !== row.active) await this.setActive(caller, row, input.active);
    const groups = await this.groupsOf([row.id]);
    return this.representation(saved, (await this.users.findById(account.id)) ?? account, groups.get(row.id) ?? []);
  }

  private async setActive(caller: ScimCaller, row: Pick<ScimUser, 'id' | 'userId'>, active: boolean): Promise<void> {
    const changed = active
      ? await this.liftSuspension(row.userId, caller.orgId)
      : await this.users.setSuspension(row.userId, caller.orgId, true);
    await this.record(caller, active ? 'scim.user_reactivated' : 'scim.user_suspended', {
      userId: row.userId,
      scimUserId: row.id,
      changed,
    });
    if (changed) {
      await this.webhooks.emit(active ? 'user.reactivated' : 'user.suspended', {
        userId: row.userId,
        orgId: caller.orgId,
      });
    }
  }

  /**
   * Lifts this organization's suspension of the account, unless another organization's directory has
   * the account inactive too: then that one holds the suspension from now on. True when lifted.
   */
  private async liftSuspension(userId: string, orgId: string): Promise<boolean> {
    const still = await this.repository.inactiveElsewhere(userId, [orgId]);
    if (still) {
      await this.users.handOverSuspension(userId, orgId, still);
      return false;
    }
    return this.users.setSuspension(userId, orgId, false);
  }

  /** The filter as conditions on the organization's rows; undefined when no user can match. */
  private async conditionsOf(filter: ReturnType<typeof userFilterOf>): Promise<UserConditions | undefined> {
    if (filter.impossible) return undefined;
    const one = (values: string[], normalise = (v: string) => v) => {
      const distinct = [...new Set(values.map(normalise))];
      return distinct.length > 1 ? null : distinct[0];
    };
    const where: UserConditions = {};
    const address = one(filter.addresses, (v) => canonicalEmail(v) ?? v.toLowerCase());
    if (address === null) return undefined;
    if (address !== undefined) {
      const account = await this.users.findByEmail(address);
      if (!account) return undefined;
      where.userIds = [account.id];
    }
    const id = one(filter.ids);
    if (id === null || (id !== undefined && !isUuid(id))) return undefined;
    if (id !== undefined) where.ids = [id];
    const externalId = one(filter.externalIds);
    if (externalId === null) return undefined;
    if (externalId !== undefined) where.externalId = externalId;
    if (filter.active !== undefined) where.active = filter.active;
    return where;
  }

  private async groupsOf(scimUserIds: string[]): Promise<Map<string, Json[]>> {
    const groups = new Map<string, Json[]>();
    if (scimUserIds.length === 0) return groups;
    for (const row of await this.repository.groupsOfUsers(scimUserIds)) {
      const list = groups.get(row.scimUserId) ?? [];
      list.push({ value: row.groupId, display: row.displayName, $ref: this.location('Groups', row.groupId) });
      groups.set(row.scimUserId, list);
    }
    return groups;
  }

  /** The SCIM User: the account's address is its userName and its one (work) email. */
  representation(row: ScimUser, account: UserRecord, groups?: Json[]): Json {
    const name: Json = {};
    if (row.givenName) name.givenName = row.givenName;
    if (row.familyName) name.familyName = row.familyName;
    return {
      schemas: [CORE_USER_SCHEMA],
      id: row.id,
      ...(row.externalId ? { externalId: row.externalId } : {}),
      userName: account.email,
      ...(Object.keys(name).length > 0 ? { name } : {}),
      ...(account.name ? { displayName: account.name } : {}),
      emails: [{ value: account.email, type: 'work', primary: true }],
      active: row.active,
      ...(groups ? { groups } : {}),
      meta: {
        resourceType: 'User',
        created: row.createdAt.toISOString(),
        lastModified: row.updatedAt.toISOString(),
        location: this.location('Users', row.id),
      },
    };
  }

  location(type: 'Users' | 'Groups', id: string): string {
    return `${this.config.appUrl}/scim/v2/${type}/${id}`;
  }

  record(caller: ScimCaller, action: AuditAction, details: NonNullable<AuditEvent['details']>): Promise<void> {
    // The token is the actor; it is no user, so it is named in the details.
    return this.audit.record({
      action,
      actor: { id: null, email: null },
      target: `org:${caller.orgId}`,
      details: { scimTokenId: caller.tokenId, ...details },
    });
  }

  private now(): Date {
    return this.clock.now();
  }
}

export function lastOwner(): ScimError {
  return new ScimError(
    409,
    undefined,
    'The organization must keep at least one owner: this change would demote or remove its last one.',
  );
}
