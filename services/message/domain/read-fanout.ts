import { LRUCache } from 'lru-cache';
import type { Delivery } from '../../platform/contracts/index.ts';
import { type MessageView, newMessageFrame } from './frames.ts';
import type { ReadFanoutChanges } from './store.ts';

/**
 * Which group messages are stored once (read fan-out, DESIGN §6) and the membership each carries.
 *
 * A group goes read fan-out with its first message sent to at least `minMembers` members and stays
 * so (the store keeps it so even for an instance that has not seen the switch). Each member then
 * reads the group by its `seq` within their membership periods, which the store opens and closes
 * from the member list a message was sent to. This instance remembers the list it last stored per
 * group and sends the list again only when it differs: membership changes are rare, messages not.
 */
export class ReadFanoutGroups {
  readonly #minMembers: number;
  /** Session id → the members this instance last stored the group's periods from. */
  readonly #members = new LRUCache<string, ReadonlySet<string>>({ max: 10_000 });

  constructor(minMembers: number) {
    this.#minMembers = minMembers;
  }

  /**
   * How to store a group message sent to `members`: undefined for write fan-out (a small group
   * this instance has not seen read fan-out), else the membership to store with it, if it changed.
   */
  plan(sessionId: string, members: string[]): ReadFanoutChanges | undefined {
    const known = this.#members.get(sessionId);
    if (!known) return members.length >= this.#minMembers ? { members } : undefined;
    if (known.size === members.length && members.every((id) => known.has(id))) return {};
    return { members };
  }

  /** The store's answer: a read fan-out message sent to `members`, or a write fan-out one. */
  stored(sessionId: string, members: string[], readFanout: boolean, planned: ReadFanoutChanges | undefined) {
    if (!readFanout) this.#members.delete(sessionId);
    // The store matched the periods to this list (it was sent, or the store found the group
    // switched by another instance and took the participants).
    else if (planned?.members || !planned) this.#members.set(sessionId, new Set(members));
  }

  /** A store that failed may or may not have changed the periods: the next message sends the list. */
  forget(sessionId: string) {
    this.#members.delete(sessionId);
  }
}

/**
 * A read fan-out message's pushes: one frame for every member (syncSeq 0, placed by the group's
 * seq), carried once; the sender's other devices get it too, the sending device has SEND_ACK.
 */
export function readFanoutDeliveries(
  view: MessageView,
  members: string[],
  sendingDeviceId: string | undefined,
): Delivery[] {
  const frame = newMessageFrame(view, 0);
  const others = members.filter((id) => id !== view.senderId);
  // System messages (sender 0) have no sender among the members.
  const deliveries: Delivery[] = members.includes(view.senderId)
    ? [
        {
          userId: view.senderId,
          frame,
          groupSeq: view.seq,
          ...(sendingDeviceId ? { excludeDeviceId: sendingDeviceId } : {}),
        },
      ]
    : [];
  if (others.length > 0)
    deliveries.push({ userId: others[0]!, alsoUserIds: others.slice(1), frame, groupSeq: view.seq });
  return deliveries;
}
