import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { MessageTopics, SYSTEM_SENDER, singleSessionUsers } from '../../platform/contracts/index.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { Logger } from '../../platform/logger.ts';
import { type Outbox, outboxEvent } from '../../platform/outbox.ts';
import type { GroupDirectory } from '../clients/groups.ts';
import type { MessageService, SendAck, SendInput } from './message-service.ts';
import type { TimelinePush } from './timeline-push.ts';
import type { DueTimer, TimerStart, TimerStore } from './timer-store.ts';

export interface SelfDestructInput extends SendInput {
  /** Seconds the message lives, from the send or from its first reading by someone else. */
  ttlSeconds: number;
  startsOn: TimerStart;
}

/** Most timers destroyed by one sweep; the next sweep takes the rest. */
const SWEEP_BATCH = 200;

/**
 * Self-destructing messages: sent like any other message with a timer recorded first; once the
 * time is up (from the send, or from the first read by someone other than the sender) the message
 * is deleted from storage and every participant's devices get MESSAGE_DESTROYED through their
 * timeline. A sweep finds due timers in the database, so a restart loses none.
 */
export class SelfDestruct {
  readonly #store: TimerStore;
  readonly #messages: MessageService;
  readonly #push: TimelinePush;
  readonly #groups: GroupDirectory;
  readonly #outbox: Outbox;
  readonly #logger: Logger;

  constructor(options: {
    store: TimerStore;
    messages: MessageService;
    push: TimelinePush;
    groups: GroupDirectory;
    outbox: Outbox;
    logger: Logger;
  }) {
    this.#outbox = options.outbox;
    this.#store = options.store;
    this.#messages = options.messages;
    this.#push = options.push;
    this.#groups = options.groups;
    this.#logger = options.logger;
  }

  async send(input: SelfDestructInput, traceId?: string): Promise<SendAck> {
    const { ttlSeconds, startsOn, ...send } = input;
    if (!(await this.#store.arm(send.senderId, send.clientMsgId, ttlSeconds, startsOn)))
      throw new AppError(ErrorCode.INVALID_PARAMS, {
        detail: 'clientMsgId: already names a message sent without a timer',
      });
    return this.#messages.send(send, traceId);
  }

  /** Whether a message (by its sender and clientMsgId) self-destructs: such messages are not forwarded. */
  isTimed(senderId: string, clientMsgId: string): Promise<boolean> {
    return this.#store.isTimed(senderId, clientMsgId);
  }

  /** Starts the timers of messages read since the last sweep and destroys those whose time is up. */
  async sweep(): Promise<number> {
    await this.#store.startRead();
    const due = await this.#store.due(SWEEP_BATCH);
    let destroyed = 0;
    for (const timer of due) {
      try {
        if (await this.#destroy(timer)) destroyed++;
      } catch (error) {
        this.#logger.warn(
          { err: error, messageId: timer.messageId },
          'self-destruct failed; retried next sweep',
        );
      }
    }
    await this.#store.dropOrphans();
    return destroyed;
  }

  /**
   * The participants' MESSAGE_DESTROYED events are appended first (once per message, by event id),
   * then the message is deleted: a crash between the two is finished by the next sweep. The
   * conversation list keeps a preview of the last message: it is told as of a recall by the
   * system (message.recalled), so the preview goes too.
   */
  async #destroy(timer: DueTimer): Promise<boolean> {
    const { messageId, sessionId, seq } = timer;
    const participants = singleSessionUsers(sessionId) ?? [
      ...new Set([...(await this.#groups.memberIds(sessionId.slice(2))), timer.senderId]),
    ];
    const appended = await this.#push.append(
      participants.map((userId) => ({
        userId,
        kind: 'destroy' as const,
        eventId: `destroy:${messageId}`,
        payload: { messageId, sessionId, seq },
      })),
    );
    const outbox = await this.#store.destroy(
      timer,
      outboxEvent(MessageTopics.recalled, {
        messageId,
        sessionId,
        participants,
        seq: BigInt(seq),
        recalledBy: SYSTEM_SENDER,
        recalledAt: timestampFromDate(new Date()),
      }),
    );
    await this.#push.push(appended);
    if (outbox) await this.#outbox.publish(outbox);
    return outbox !== undefined;
  }
}
