import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type {
  AdminGroupDetail,
  AdminGroupSummary,
  GroupSendContext,
  GroupStats,
} from '../../platform/contracts/index.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import { type Outbox, type PendingEvent, transactionalWithOutbox } from '../../platform/outbox.ts';
import { Group, GroupJoinRequest, GroupMember, JoinRequestStatus, MemberStatus } from '../entities.ts';
import { GroupWrites } from './group-writes.ts';
import {
  adminDetailOf,
  adminPage,
  conversationMembersOf,
  groupStats,
  sendContextOf,
} from './internal-queries.ts';
import { type InvitationRecord, invitationPage, standingInviter } from './invitation-queries.ts';
import { groupListPage, memberPage } from './list-queries.ts';
import { commonGroupPeersOf } from './peer-queries.ts';
import type { ListedPage, MemberRecord } from './records.ts';

interface Page {
  limit: number;
  offset: number;
}

/**
 * The group service's one way to its database: every statement and ORM call of the service is
 * here (reads) or in GroupWrites (changes, within a transaction).
 */
export class GroupStore {
  readonly #orm: MikroORM;
  readonly #ids: SnowflakeGenerator;

  constructor(orm: MikroORM, ids: SnowflakeGenerator) {
    this.#orm = orm;
    this.#ids = ids;
  }

  /**
   * Runs a change in one transaction. The events `work` adds go to the outbox in that transaction
   * and are published after it commits.
   */
  transaction<T>(outbox: Outbox, work: (tx: GroupWrites, events: PendingEvent[]) => Promise<T>): Promise<T> {
    return transactionalWithOutbox(this.#orm, outbox, async (em, events) => {
      const tx = new GroupWrites(em, this.#ids);
      const result = await work(tx, events);
      await tx.finish();
      return result;
    });
  }

  group(groupId: string): Promise<Group | null> {
    return this.#em().findOne(Group, { id: groupId });
  }

  groups(groupIds: string[]): Promise<Group[]> {
    return this.#em().find(Group, { id: { $in: groupIds } });
  }

  /** The user's active membership of the group; null when they are not in it. */
  membership(groupId: string, userId: string): Promise<GroupMember | null> {
    return this.#em().findOne(GroupMember, { groupId, userId, status: MemberStatus.ACTIVE });
  }

  async isMember(groupId: string, userId: string): Promise<boolean> {
    return (await this.#em().count(GroupMember, { groupId, userId, status: MemberStatus.ACTIVE })) > 0;
  }

  /** Every active member of the group, in no particular order. */
  activeMembers(groupId: string): Promise<GroupMember[]> {
    return this.#em().find(GroupMember, { groupId, status: MemberStatus.ACTIVE });
  }

  memberPage(groupId: string, page: Page): Promise<{ total: number; members: MemberRecord[] }> {
    return memberPage(this.#em(), groupId, page);
  }

  /** A user's group list (see list-queries.ts). */
  listPage(
    userId: string,
    options: { since?: number | undefined; page: number; pageSize: number },
  ): Promise<ListedPage> {
    return groupListPage(this.#em(), userId, options);
  }

  /** Pending join requests, most recently asked first. */
  async pendingJoinRequests(
    groupId: string,
    page: Page,
  ): Promise<{ total: number; requests: GroupJoinRequest[] }> {
    const [requests, total] = await this.#em().findAndCount(
      GroupJoinRequest,
      { groupId, status: JoinRequestStatus.PENDING },
      { orderBy: { updatedAt: 'desc', id: 'desc' }, ...page },
    );
    return { total, requests };
  }

  joinRequest(requestId: string, groupId: string): Promise<GroupJoinRequest | null> {
    return this.#em().findOne(GroupJoinRequest, { id: requestId, groupId });
  }

  invitationPage(
    userId: string,
    now: Date,
    page: Page,
  ): Promise<{ total: number; invitations: InvitationRecord[] }> {
    return invitationPage(this.#em(), userId, now, page);
  }

  standingInviter(groupId: string, userId: string, now: Date): Promise<string | null> {
    return standingInviter(this.#em(), groupId, userId, now);
  }

  sendContext(groupId: string, userId: string): Promise<GroupSendContext | null> {
    return sendContextOf(this.#em(), groupId, userId);
  }

  conversationMembers(groupId: string): Promise<string[] | null> {
    return conversationMembersOf(this.#em(), groupId);
  }

  /** People sharing the user's active groups, most groups in common first (recommendations). */
  commonGroupPeers(userId: string, limit: number): Promise<Array<{ userId: string; commonGroups: number }>> {
    return commonGroupPeersOf(this.#em(), userId, limit);
  }

  adminPage(query: {
    keyword?: string | undefined;
    offset: number;
    limit: number;
  }): Promise<{ total: number; items: AdminGroupSummary[] }> {
    return adminPage(this.#em(), query);
  }

  adminDetail(groupId: string): Promise<AdminGroupDetail | null> {
    return adminDetailOf(this.#em(), groupId);
  }

  stats(since: Date): Promise<GroupStats> {
    return groupStats(this.#em(), since);
  }

  #em(): EntityManager {
    return this.#orm.em.fork();
  }
}
