import type { DescMessage, DescMethodUnary, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import type { InvokePort } from '../ports/index.ts';
import { FriendService } from './gen/anychat/friend/v1/friend_pb.ts';
import { GroupService } from './gen/anychat/group/v1/group_pb.ts';
import { MessageService } from './gen/anychat/message/v1/message_pb.ts';
import { UserService } from './gen/anychat/user/v1/user_pb.ts';

/** Ids one call of a bulk method takes unless it says otherwise. */
const DEFAULT_MAX_IDS = 500;

/** The fields of a request message that hold a list of ids. */
type IdListField<I extends DescMessage> = {
  [K in keyof MessageShape<I>]: MessageShape<I>[K] extends string[] ? K : never;
}[keyof MessageShape<I>] &
  string;

/**
 * A contract method that takes a list of ids in one field (with any other fields fixed) and
 * answers a list of items, at most one per id. `maxIds` is what the callee accepts in one call:
 * its input schema caps the list with it, and every caller goes through `callBulk`, which splits
 * longer lists. A caller with more ids than one call takes gets all of them answered, rather than
 * a refusal it might swallow (blank names in a conversation list).
 */
export interface BulkCall<I extends DescMessage, O extends DescMessage, F extends IdListField<I>, Item> {
  method: DescMethodUnary<I, O>;
  idsField: F;
  maxIds: number;
  /** The answer's items. */
  items: (answer: MessageShape<O>) => Item[];
}

export function bulkCall<I extends DescMessage, O extends DescMessage, F extends IdListField<I>, Item>(
  method: DescMethodUnary<I, O>,
  idsField: F,
  items: (answer: MessageShape<O>) => Item[],
  maxIds = DEFAULT_MAX_IDS,
): BulkCall<I, O, F, Item> {
  return { method, idsField, maxIds, items };
}

/**
 * Calls a bulk method for every id (each asked once) in calls the callee accepts, one after
 * another, and returns the items of all answers in order.
 */
export async function callBulk<I extends DescMessage, O extends DescMessage, F extends IdListField<I>, Item>(
  invoke: InvokePort,
  bulk: BulkCall<I, O, F, Item>,
  ids: Iterable<string>,
  fixed: Omit<MessageInitShape<I>, F>,
): Promise<Item[]> {
  const unique = [...new Set(ids)];
  const items: Item[] = [];
  for (let start = 0; start < unique.length; start += bulk.maxIds) {
    // The one field the descriptor names, filled: what the method's input type says it holds.
    const input = {
      ...fixed,
      [bulk.idsField]: unique.slice(start, start + bulk.maxIds),
    } as MessageInitShape<I>;
    items.push(...bulk.items(await invoke.call(bulk.method, input)));
  }
  return items;
}

/** Every bulk method of the contracts: callers batch through `callBulk`, callees cap their input with `maxIds`. */
export const BulkCalls = {
  /** Brief profiles (deleted accounts as placeholders), one per known user. */
  profiles: bulkCall(UserService.method.getProfiles, 'userIds', (answer) => answer.profiles),
  /** Who may add each user to groups. */
  groupInvitePolicies: bulkCall(
    UserService.method.getGroupInvitePolicies,
    'userIds',
    (answer) => answer.entries,
  ),
  /** Privacy settings, one per known user. */
  privacySettings: bulkCall(UserService.method.getPrivacySettings, 'userIds', (answer) => answer.entries),
  /** How a user stands towards each peer. */
  relations: bulkCall(FriendService.method.getRelations, 'peerIds', (answer) => answer.relations),
  /** Names and avatars of groups. */
  groupBriefs: bulkCall(GroupService.method.getGroupBriefs, 'groupIds', (answer) => answer.briefs),
  /** Marks a user's acknowledged messages delivered; answers nothing. */
  delivered: bulkCall(MessageService.method.markDelivered, 'messageIds', () => [], 1000),
};
