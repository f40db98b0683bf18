import type { MessageService } from './message-service.ts';
import type { MessageStore, TimelineEvent } from './store.ts';

/**
 * Timeline events of the features beside sending (timers, schedules, drafts): appended to their
 * users' timelines first, then pushed to every device of those users as messages' events are. A
 * push that never arrives only delays: sync replays the timeline.
 */
export class TimelinePush {
  readonly #store: MessageStore;
  readonly #messages: MessageService;

  constructor(store: MessageStore, messages: MessageService) {
    this.#store = store;
    this.#messages = messages;
  }

  /** Appends (an event id already in a user's timeline is not appended again) and pushes. */
  async publish(events: TimelineEvent[]): Promise<void> {
    await this.push(await this.#store.appendEvents(events));
  }

  /** Appends without pushing: for events whose push must wait until a change is committed. */
  append(events: TimelineEvent[]): Promise<Map<TimelineEvent, number>> {
    return this.#store.appendEvents(events);
  }

  push(appended: Map<TimelineEvent, number>): Promise<void> {
    return this.#messages.shared.deliverEvents(appended, Date.now());
  }
}
