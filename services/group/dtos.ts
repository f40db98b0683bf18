import type { z } from 'zod';
import type {
  AddOutcome,
  GroupChange,
  GroupView,
  InvitationView,
  JoinRequestView,
  Membership,
  MemberView,
} from './domain/index.ts';
import { GroupStatus } from './entities.ts';
import type {
  GoneGroupDto,
  GroupDto,
  InvitationDto,
  JoinRequestDto,
  ListedGroupDto,
  MemberDto,
} from './schemas.ts';

/** How the group routes present the domain's views to clients. */

const isMuted = (mutedUntil: Date | null) => mutedUntil !== null && mutedUntil.getTime() > Date.now();

export const membershipDto = (me: Membership) => ({
  role: me.role,
  groupNickname: me.groupNickname,
  isMuted: isMuted(me.mutedUntil),
  mutedUntil: isMuted(me.mutedUntil) ? me.mutedUntil!.toISOString() : null,
  joinedAt: me.joinedAt.toISOString(),
});

export const groupDto = ({ group, maxMembers, me }: GroupView): z.infer<typeof GroupDto> => {
  const member = me !== null;
  return {
    groupId: group.id,
    name: group.name,
    avatar: group.avatar ?? null,
    memberCount: group.memberCount,
    maxMembers,
    joinVerify: group.joinVerify,
    dismissed: group.status === GroupStatus.DISMISSED,
    createdAt: group.createdAt.toISOString(),
    isMember: member,
    ownerId: member ? group.ownerId : null,
    announcement: member ? (group.announcement ?? null) : null,
    announcementUpdatedAt: member ? (group.announcementAt?.toISOString() ?? null) : null,
    isMuted: member ? group.allMuted : null,
    settings: member
      ? {
          allMuted: group.allMuted,
          memberInvite: group.memberInvite,
          joinVerify: group.joinVerify,
          historyVisible: group.historyVisible,
          memberAddFriend: group.memberAddFriend,
        }
      : null,
    me: me ? membershipDto(me) : null,
  };
};

export const changeDto = (
  change: GroupChange,
): z.infer<typeof ListedGroupDto> | z.infer<typeof GoneGroupDto> =>
  change.gone
    ? { groupId: change.groupId, status: change.reason, updateTime: change.version }
    : { ...groupDto(change), status: 'active', updateTime: change.version };

export const memberDto = (view: MemberView): z.infer<typeof MemberDto> => ({
  userId: view.userId,
  nickname: view.profile?.nickname ?? '',
  avatar: view.profile?.avatar ?? null,
  kind: view.profile?.botOwnerId ? 'bot' : 'user',
  groupNickname: view.groupNickname,
  role: view.role,
  joinedAt: view.joinedAt.toISOString(),
  isMuted: isMuted(view.mutedUntil),
  mutedUntil: isMuted(view.mutedUntil) ? view.mutedUntil!.toISOString() : null,
});

export const joinRequestDto = ({ request, applicant }: JoinRequestView): z.infer<typeof JoinRequestDto> => ({
  requestId: request.id,
  groupId: request.groupId,
  user: {
    userId: request.userId,
    nickname: applicant?.nickname ?? '',
    avatar: applicant?.avatar ?? null,
  },
  message: request.message ?? null,
  source: request.source,
  status: request.status,
  createdAt: request.createdAt.toISOString(),
  updatedAt: request.updatedAt.toISOString(),
});

export const outcomeDto = ({ successIds, invitedIds, failures }: AddOutcome) => ({
  successIds,
  invitedIds,
  failedIds: failures.map((failure) => failure.userId),
  failures,
});

export const invitationDto = (view: InvitationView): z.infer<typeof InvitationDto> => ({
  groupId: view.groupId,
  group: view.group,
  inviter: {
    userId: view.inviterId,
    nickname: view.inviter?.nickname ?? '',
    avatar: view.inviter?.avatar ?? null,
  },
  createdAt: view.createdAt.toISOString(),
  expiresAt: view.expiresAt.toISOString(),
});
