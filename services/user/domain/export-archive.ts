import { strToU8, zipSync } from 'fflate';
import { FileExportService } from '../../platform/contracts/gen/anychat/file/v1/export_pb.ts';
import { FriendService } from '../../platform/contracts/gen/anychat/friend/v1/friend_pb.ts';
import { GroupExportService } from '../../platform/contracts/gen/anychat/group/v1/export_pb.ts';
import { MessageService } from '../../platform/contracts/gen/anychat/message/v1/message_pb.ts';
import type { InvokePort } from '../../platform/ports/index.ts';
import type { PrivacySettings } from './privacy.ts';
import type { UserService } from './user-service.ts';

/** Timeline page size asked of the message service (its largest). */
const TIMELINE_PAGE = 1000;

export interface ExportSources {
  users: UserService;
  privacy: PrivacySettings;
  invoke: InvokePort;
}

const json = (value: unknown) => strToU8(`${JSON.stringify(value, null, 2)}\n`);

/** The messages the user sees: their timeline, as their devices receive it (deleted ones left out). */
async function messagesOf(invoke: InvokePort, userId: string): Promise<unknown[]> {
  const messages: unknown[] = [];
  let after = 0n;
  for (;;) {
    const page = await invoke.call(MessageService.method.readTimeline, {
      userId,
      afterSyncSeq: after,
      limit: TIMELINE_PAGE,
    });
    for (const item of page.items) if (item.frame) messages.push(item.frame);
    if (!page.hasMore || page.nextSyncSeq <= after) return messages;
    after = page.nextSyncSeq;
  }
}

/**
 * A user's data as a zip of JSON files: profile.json (profile, settings, privacy), friends.json,
 * groups.json (name, role, joined at), files.json (what they uploaded: name, size, type, created
 * at; the bytes stay downloadable through the app) and messages.json. Built from this service's
 * tables and the friend, group, file and message services.
 */
export async function buildExportArchive(sources: ExportSources, userId: string): Promise<Uint8Array> {
  const [profile, settings, privacy, friendIds, messages, groups, files] = await Promise.all([
    sources.users.profile(userId),
    sources.users.settings(userId),
    sources.privacy.get(userId),
    sources.invoke.call(FriendService.method.listFriendIds, { userId }),
    messagesOf(sources.invoke, userId),
    sources.invoke.call(GroupExportService.method.listUserMemberships, { userId }),
    sources.invoke.call(FileExportService.method.listUserFiles, { userId }),
  ]);
  const friends = friendIds.friendIds.length ? await sources.users.briefProfiles(friendIds.friendIds) : [];
  return zipSync({
    'profile.json': json({
      profile: {
        userId: profile.userId,
        account: profile.account,
        nickname: profile.nickname,
        avatar: profile.avatar ?? null,
        signature: profile.signature ?? null,
        gender: profile.gender,
        birthday: profile.birthday ?? null,
        region: profile.region ?? null,
        phone: profile.phoneNumber ?? null,
        email: profile.email ?? null,
        createdAt: profile.createdAt.toISOString(),
      },
      settings: { ...settings, privacy: undefined, updatedAt: settings.updatedAt.toISOString() },
      privacy,
    }),
    'friends.json': json(
      friends.map((friend) => ({
        userId: friend.userId,
        nickname: friend.nickname,
        avatar: friend.avatar ?? null,
        signature: friend.signature ?? null,
      })),
    ),
    'groups.json': json(
      groups.memberships.map((group) => ({
        groupId: group.groupId,
        name: group.name,
        role: group.role,
        joinedAt: group.joinedAt,
      })),
    ),
    'files.json': json(
      files.files.map((file) => ({
        fileId: file.fileId,
        fileName: file.fileName,
        fileSize: Number(file.fileSize),
        mimeType: file.mimeType,
        fileType: file.fileType,
        createdAt: file.createdAt,
      })),
    ),
    'messages.json': json(messages),
    'README.txt': strToU8(
      'AnyChat data export: profile.json (profile, settings, privacy), friends.json, groups.json (your groups, role, joined at), files.json (the files you uploaded), messages.json (the messages you can see, oldest first).\n',
    ),
  });
}
