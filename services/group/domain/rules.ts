import { AppError, ErrorCode } from '../../platform/errors.ts';
import { type Group, type GroupMember, GroupStatus } from '../entities.ts';
import { mayInvite } from './admission.ts';
import type { Membership } from './types.ts';

/** Who may do what in a group: each check throws the error code the client is told. */

/** A dismissed group changes no more. */
export function assertActive(group: Group): void {
  if (group.status === GroupStatus.DISMISSED) throw new AppError(ErrorCode.GROUP_DISMISSED);
}

export function requireAdmin(me: Pick<Membership, 'role'> | null | undefined): void {
  if (!me) throw new AppError(ErrorCode.GROUP_NOT_MEMBER);
  if (me.role === 'member') throw new AppError(ErrorCode.GROUP_NOT_ADMIN);
}

export function requireOwner(me: Pick<Membership, 'role'> | null | undefined): void {
  if (!me) throw new AppError(ErrorCode.GROUP_NOT_MEMBER);
  if (me.role !== 'owner') throw new AppError(ErrorCode.GROUP_NOT_OWNER);
}

export function requireInviter(group: Group, me: Pick<Membership, 'role'> | null | undefined): void {
  if (!me) throw new AppError(ErrorCode.GROUP_NOT_MEMBER);
  if (!mayInvite(group, me.role))
    throw new AppError(ErrorCode.GROUP_NOT_ADMIN, { detail: 'only the owner and admins may invite' });
}

/** The member an owner or admin acts on: never the owner; admins act on plain members only. */
export function targetOf(
  members: GroupMember[],
  targetId: string | null,
  me: GroupMember,
  what: 'removed' | 'muted',
): GroupMember {
  const target = members.find((m) => m.userId === targetId);
  if (target?.role === 'owner')
    throw new AppError(ErrorCode.GROUP_CANNOT_REMOVE_OWNER, { detail: `the owner cannot be ${what}` });
  if (!target) throw new AppError(ErrorCode.GROUP_NOT_MEMBER, { detail: `user ${targetId} is not a member` });
  if (target.role === 'admin' && me.role !== 'owner')
    throw new AppError(ErrorCode.GROUP_CANNOT_REMOVE_ADMIN, {
      detail: `an admin can be ${what} by the owner only`,
    });
  return target;
}

/** A member by id, for the owner's and the administrator's acts on them; 40105 when not a member. */
export function memberOf(members: GroupMember[], userId: string): GroupMember {
  const member = members.find((m) => m.userId === userId);
  if (!member) throw new AppError(ErrorCode.GROUP_NOT_MEMBER, { detail: `user ${userId} is not a member` });
  return member;
}

/** The owner and admins: they handle join requests. */
export function adminsOf(members: GroupMember[]): string[] {
  return members.filter((m) => m.role !== 'member').map((m) => m.userId);
}
