import { type ProfileSummary, timelineAppend } from '../../platform/contracts/index.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import type { Outbox } from '../../platform/outbox.ts';
import type { UserClient } from '../clients/users.ts';
import type { FriendStore } from '../store/index.ts';
import type { WriteContext } from './types.ts';

export interface FriendChangesDeps {
  store: FriendStore;
  outbox: Outbox;
  users: UserClient;
  ids: SnowflakeGenerator;
}

/**
 * How every change of the friend service is made: in one transaction, the sync clocks of the
 * users whose lists change locked in it, its notifications written to the outbox with it.
 */
export class FriendChanges {
  readonly #deps: FriendChangesDeps;

  constructor(deps: FriendChangesDeps) {
    this.#deps = deps;
  }

  /**
   * Runs a change in one transaction. Notifications go to the outbox in that transaction and are
   * published after it commits.
   */
  write<T>(work: (w: WriteContext) => Promise<T>): Promise<T> {
    return this.#deps.store.transaction(this.#deps.outbox, (tx, events) =>
      work({
        tx,
        notify: (kind, recipients, payload, options = {}) => {
          const eventId = options.eventId ?? this.#deps.ids.next();
          events.push(timelineAppend({ eventId, kind, recipients, payload, origin: options.origin }));
        },
      }),
    );
  }

  profiles(userIds: string[]): Promise<Map<string, ProfileSummary>> {
    return this.#deps.users.profiles(userIds);
  }
}
