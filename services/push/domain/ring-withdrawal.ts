import type { TimelineAppendRequested } from '../../platform/contracts/gen/anychat/message/v1/events_pb.ts';
import type { SqlExecutor } from '../../platform/db/index.ts';
import type { Directory } from '../clients/directory.ts';
import type { Dispatcher, PushJob } from './dispatcher.ts';
import type { Registrations } from './registrations.ts';

/**
 * The rtc service's notices after which a device rung by push must stop ringing, and whose
 * devices: the one user who answered, rejected or dropped out (`userId` of the payload), or
 * everyone rung when the call is over.
 */
const RING_OVER: Record<string, 'user' | 'everyone'> = {
  'call.accepted': 'user',
  'call.rejected': 'user',
  'call.left': 'user',
  'call.ended': 'everyone',
};

/** The event id the ringing push of a call is claimed under (the rtc service's invitation notice). */
const ringEventOf = (callId: string) => `call.invited:${callId}`;

export interface RingWithdrawalDeps {
  sql: SqlExecutor;
  registrations: Registrations;
  directory: Directory;
  dispatcher: Dispatcher;
  ttlSeconds: number;
}

/**
 * Withdraws the ringing push of a call from the devices it rang once the call was answered,
 * rejected, cancelled or timed out: a silent push with the ringing push's collapse key (so the
 * same Web Push Topic and notification tag, FCM collapse key and tag, APNs apns-collapse-id)
 * replaces the ringing notification, and carries the badge. Only devices the ring was claimed for
 * get one (push_deliveries), once per call whichever notice comes first; a ringing push still
 * waiting for a retry is dropped, so that a finished call never rings later.
 */
export class RingWithdrawal {
  readonly #d: RingWithdrawalDeps;

  constructor(deps: RingWithdrawalDeps) {
    this.#d = deps;
  }

  /** Whether the notice is one this handles (the planner hands over the call notices). */
  static handles(kind: string): boolean {
    return kind in RING_OVER;
  }

  async notice(notice: TimelineAppendRequested): Promise<void> {
    const whose = RING_OVER[notice.kind];
    const payload = (notice.payload ?? {}) as Record<string, unknown>;
    const callId = typeof payload.callId === 'string' ? payload.callId : '';
    if (!whose || callId === '') return;
    const userId = whose === 'user' && typeof payload.userId === 'string' ? payload.userId : undefined;
    if (whose === 'user' && !userId) return;
    const rung = await this.#d.sql.query<{ user_id: string; device_id: string }>(
      `select "user_id"::text as "user_id", "device_id" from "push"."push_deliveries"
       where "event_id" = ? and (?::bigint is null or "user_id" = ?::bigint)`,
      [ringEventOf(callId), userId ?? null, userId ?? null],
    );
    if (rung.length === 0) return;
    const devices = new Set(rung.map((row) => `${row.user_id}\n${row.device_id}`));
    // A ring not sent yet (waiting for a retry, not leased to an attempt now) never goes.
    await this.#d.sql.query(
      `delete from "push"."push_pending" where "event_id" = ?
         and (?::bigint is null or "user_id" = ?::bigint)
         and ("lease_until" is null or "lease_until" < now())`,
      [ringEventOf(callId), userId ?? null, userId ?? null],
    );
    const userIds = [...new Set(rung.map((row) => row.user_id))];
    const targets = (await this.#d.registrations.of(userIds)).filter((target) =>
      devices.has(`${target.userId}\n${target.deviceId}`),
    );
    if (targets.length === 0) return;
    const badges = new Map(
      await Promise.all(userIds.map(async (id) => [id, await this.#d.directory.unreadTotal(id)] as const)),
    );
    const jobs: PushJob[] = targets.map((target) => ({
      eventId: `call.ring_withdrawn:${callId}`,
      type: 'withdraw',
      target,
      message: {
        title: '',
        body: '',
        badge: badges.get(target.userId) ?? 0,
        // As urgent as the ring it replaces: a phone that is ringing should stop now.
        priority: 'high',
        collapseKey: `call:${callId}`,
        ttlSeconds: this.#d.ttlSeconds,
        silent: true,
        data: { type: 'call_withdrawn', callId, reason: notice.kind },
      },
    }));
    await this.#d.dispatcher.enqueue(jobs);
  }
}
