import { fromJson, type JsonValue } from '@bufbuild/protobuf';
import { ValueSchema } from '@bufbuild/protobuf/wkt';
import { FriendService } from '../../platform/contracts/gen/anychat/friend/v1/friend_pb.ts';
import { GroupService } from '../../platform/contracts/gen/anychat/group/v1/group_pb.ts';
import { MessageService } from '../../platform/contracts/gen/anychat/message/v1/message_pb.ts';
import { BulkCalls, callBulk } from '../../platform/contracts/index.ts';
import type { InvokePort } from '../../platform/ports/index.ts';

export interface Relation {
  isFriend: boolean;
  blockedByPeer: boolean;
  blocking: boolean;
}

export interface GroupCallContext {
  /** The group exists, is not dismissed and the user is a member. */
  member: boolean;
  memberIds: string[];
}

export interface Profile {
  userId: string;
  nickname: string;
  avatar: string | null;
}

/** A call record message, posted into the call's conversation as sent by the caller. */
export interface RecordMessage {
  callerId: string;
  sessionType: 'single' | 'group';
  targetId: string;
  /** Idempotency key: a repeated post of one call's record stores it once. */
  clientMsgId: string;
  content: Record<string, unknown>;
}

/**
 * What the rtc service asks of other services: who may call whom (friend), who is in a group
 * (group), names to show on the ringing screen (user), and the record of each call in its
 * conversation (message, whose SendMessage makes it sync like any other message).
 */
export class Directory {
  readonly #invoke: InvokePort;

  constructor(invoke: InvokePort) {
    this.#invoke = invoke;
  }

  async relation(userId: string, peerId: string): Promise<Relation> {
    const { isFriend, blockedByPeer, blocking } = await this.#invoke.call(FriendService.method.getRelation, {
      userId,
      peerId,
    });
    return { isFriend, blockedByPeer, blocking };
  }

  async group(groupId: string, userId: string): Promise<GroupCallContext> {
    const context = await this.#invoke.call(GroupService.method.getSendContext, { groupId, userId });
    const member = context.exists && !context.dismissed && context.member !== undefined;
    return { member, memberIds: member ? context.memberIds : [] };
  }

  async profile(userId: string): Promise<Profile> {
    const [profile] = await callBulk(this.#invoke, BulkCalls.profiles, [userId], {});
    return { userId, nickname: profile?.nickname ?? '', avatar: profile?.avatar ?? null };
  }

  /** Posts the record; answers its message id. */
  async postRecord(record: RecordMessage): Promise<string> {
    const { messageId } = await this.#invoke.call(MessageService.method.sendMessage, {
      senderId: record.callerId,
      clientMsgId: record.clientMsgId,
      sessionType: record.sessionType,
      targetId: record.targetId,
      contentType: 'call',
      content: fromJson(ValueSchema, record.content as JsonValue),
    });
    return messageId;
  }
}
