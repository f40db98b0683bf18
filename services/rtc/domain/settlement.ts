import type { SqlExecutor } from '../../platform/db/index.ts';
import { isAppError } from '../../platform/errors.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Directory } from '../clients/directory.ts';
import { type CallRow, CallStore } from './call-store.ts';
import type { Calls } from './calls.ts';
import type { LiveKit } from './livekit.ts';
import { recordOf } from './notices.ts';

export interface SettlementDeps {
  sql: SqlExecutor;
  calls: Calls;
  directory: Directory;
  livekit: LiveKit | undefined;
  logger: Logger;
}

/** Calls handled per sweep step. */
const BATCH = 50;
/** A call in progress is checked against LiveKit's rooms once it has lasted this long. */
const ROOM_CHECK_AFTER_SECONDS = 60;
/** …and every this many sweeps. */
const ROOM_CHECK_EVERY = 15;

/**
 * What happens after a call's state changed, made durable by sweeping rows rather than trusting
 * timers or a single attempt: calls whose callees rang past the deadline become missed, each ended
 * call's record message is posted (the message service stores it once per call) and its room
 * closed, and a call in progress whose room LiveKit no longer has (a webhook lost) ends.
 */
export class CallSettlement {
  readonly #d: SettlementDeps;
  readonly #settling = new Map<string, Promise<void>>();
  #sweeps = 0;

  constructor(deps: SettlementDeps) {
    this.#d = deps;
  }

  /** Settles an ended call now, in the background (the sweep retries what fails). */
  settle(callId: string): void {
    if (this.#settling.has(callId)) return;
    const run = (async () => {
      const call = await CallStore.call(this.#d.sql, callId);
      if (call) await this.#settle(call);
    })()
      .catch((error: unknown) =>
        this.#d.logger.warn({ err: error, callId }, 'call settles on the next sweep'),
      )
      .finally(() => this.#settling.delete(callId));
    this.#settling.set(callId, run);
  }

  async sweep(): Promise<void> {
    while ((await this.#d.calls.expireRinging(BATCH)) === BATCH);
    for (const call of await CallStore.unsettled(this.#d.sql, BATCH)) {
      if (this.#settling.has(call.call_id)) continue;
      await this.#settle(call).catch((error: unknown) =>
        this.#d.logger.warn({ err: error, callId: call.call_id }, 'call not settled yet'),
      );
    }
    if (++this.#sweeps % ROOM_CHECK_EVERY === 0) await this.#endCallsWithoutRoom();
  }

  /** Resolves when the settlements started in the background are done (shutdown). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#settling.values()]);
  }

  async #settle(call: CallRow): Promise<void> {
    if (call.record_message_id === null) {
      let messageId = '0';
      try {
        messageId = await this.#d.directory.postRecord(recordOf(call));
      } catch (error) {
        // Refused for good (the two are no longer friends, the group is gone): no record, no retry.
        if (!isAppError(error) || error.status >= 500) throw error;
        this.#d.logger.info(
          { callId: call.call_id, code: error.code },
          'call record refused by the message service',
        );
      }
      await CallStore.recordPosted(this.#d.sql, call.call_id, messageId);
    }
    if (!call.room_closed) {
      await this.#d.livekit?.deleteRoom(call.room_name);
      await CallStore.roomClosed(this.#d.sql, call.call_id);
    }
  }

  async #endCallsWithoutRoom(): Promise<void> {
    if (!this.#d.livekit) return;
    const calls = await CallStore.connectedSince(this.#d.sql, ROOM_CHECK_AFTER_SECONDS, BATCH);
    const rooms = await this.#d.livekit.existingRooms(calls.map((call) => call.room_name));
    for (const call of calls)
      if (!rooms.has(call.room_name)) await this.#d.calls.finishNow(call.call_id, 'ended', 'room_gone');
  }
}
