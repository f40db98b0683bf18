import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';
import type { GroupDirectory } from '../clients/groups.ts';
import type { ContentValidator } from './content.ts';
import type { MessageService, SendInput } from './message-service.ts';
import type { ScheduledMessage, ScheduledStore, ScheduleStatus } from './scheduled-store.ts';
import type { TimelinePush } from './timeline-push.ts';

export interface ScheduleInput extends Omit<SendInput, 'deviceId'> {
  sendAt: Date;
}

/** How far ahead a message may be scheduled, and how soon at the earliest. */
const MAX_AHEAD_MS = 366 * 86_400_000;
const MIN_AHEAD_MS = 1000;
/** A claim older than this was left by an instance that stopped: the schedule is claimed again. */
const CLAIM_LEASE_SECONDS = 60;
/** After this many claims that ended in a transient error, the schedule fails for good. */
const MAX_ATTEMPTS = 5;
const SWEEP_BATCH = 50;

export const scheduleView = (s: ScheduledMessage) => ({
  scheduleId: s.scheduleId,
  sessionType: s.sessionType,
  targetId: s.targetId,
  contentType: s.contentType,
  content: s.content,
  mentions: s.mentions,
  mentionAll: s.mentionAll,
  sendAt: s.sendAt.getTime(),
  status: s.status,
  messageId: s.messageId,
  errorCode: s.errorCode,
  createdAt: s.createdAt.getTime(),
});

/**
 * Scheduled messages: stored, listed and cancelled by their sender, and sent when due by a sweep
 * of the database. A due row is claimed by one instance (row locks, skip locked) and sent with the
 * clientMsgId `sched.<scheduleId>`: sends are idempotent on it, so a claim taken over after a crash
 * sends the message at most once. The sender's devices hear each change as NOTIFICATION
 * `message.scheduled`.
 */
export class ScheduledMessages {
  readonly #store: ScheduledStore;
  readonly #messages: MessageService;
  readonly #content: ContentValidator;
  readonly #groups: GroupDirectory;
  readonly #push: TimelinePush;
  readonly #ids: SnowflakeGenerator;
  readonly #logger: Logger;

  constructor(options: {
    store: ScheduledStore;
    messages: MessageService;
    content: ContentValidator;
    groups: GroupDirectory;
    push: TimelinePush;
    ids: SnowflakeGenerator;
    logger: Logger;
  }) {
    this.#store = options.store;
    this.#messages = options.messages;
    this.#content = options.content;
    this.#groups = options.groups;
    this.#push = options.push;
    this.#ids = options.ids;
    this.#logger = options.logger;
  }

  async schedule(input: ScheduleInput) {
    const ahead = input.sendAt.getTime() - Date.now();
    if (ahead < MIN_AHEAD_MS || ahead > MAX_AHEAD_MS)
      throw new AppError(ErrorCode.MESSAGE_SCHEDULE_TIME_INVALID);
    // Refused now what would certainly be refused when due; the rest (friendship, mutes, the
    // file's owner) is checked by the send itself, and a refusal then marks the schedule failed.
    const content = this.#content.parse(input.contentType, input.content);
    if (input.sessionType === 'group') await this.#groups.member(input.targetId, input.senderId);
    else if (input.targetId === input.senderId)
      throw new AppError(ErrorCode.INVALID_PARAMS, { detail: 'targetId: you cannot message yourself' });
    const stored = await this.#store.insert({
      scheduleId: this.#ids.next(),
      senderId: input.senderId,
      clientMsgId: input.clientMsgId,
      sessionType: input.sessionType,
      targetId: input.targetId,
      contentType: input.contentType,
      content,
      mentions: input.mentions ?? [],
      mentionAll: input.mentionAll === true,
      sendAt: input.sendAt,
    });
    await this.#announce(stored);
    return scheduleView(stored);
  }

  async list(userId: string, statuses: ScheduleStatus[], limit: number) {
    return { scheduled: (await this.#store.list(userId, statuses, limit)).map(scheduleView) };
  }

  async cancel(userId: string, scheduleId: string) {
    const cancelled = await this.#store.cancel(scheduleId, userId);
    if (!cancelled) {
      const existing = await this.#store.get(scheduleId);
      // Someone else's schedule is as unknown as one that does not exist.
      if (!existing || existing.senderId !== userId) throw new AppError(ErrorCode.MESSAGE_SCHEDULE_NOT_FOUND);
      throw new AppError(ErrorCode.MESSAGE_SCHEDULE_DONE, { detail: `the message is ${existing.status}` });
    }
    await this.#announce(cancelled);
    return scheduleView(cancelled);
  }

  /** Sends what is due; returns how many schedules it finished. */
  async sweep(): Promise<number> {
    const claimed = await this.#store.claimDue(SWEEP_BATCH, CLAIM_LEASE_SECONDS);
    let finished = 0;
    for (const schedule of claimed) if (await this.#sendDue(schedule)) finished++;
    return finished;
  }

  async #sendDue(schedule: ScheduledMessage): Promise<boolean> {
    let outcome: { status: 'sent'; messageId: string } | { status: 'failed'; errorCode: number };
    try {
      const ack = await this.#messages.send({
        senderId: schedule.senderId,
        deviceId: undefined,
        clientMsgId: `sched.${schedule.scheduleId}`,
        sessionType: schedule.sessionType,
        targetId: schedule.targetId,
        contentType: schedule.contentType,
        content: schedule.content,
        mentions: schedule.mentions,
        mentionAll: schedule.mentionAll,
      });
      outcome = { status: 'sent', messageId: ack.messageId };
    } catch (error) {
      if (!(error instanceof AppError) && schedule.attempts < MAX_ATTEMPTS) {
        // Left claimed: taken again once the claim's lease runs out.
        this.#logger.warn(
          { err: error, scheduleId: schedule.scheduleId },
          'scheduled send failed; retried later',
        );
        return false;
      }
      outcome = {
        status: 'failed',
        errorCode: error instanceof AppError ? error.code : ErrorCode.MESSAGE_SEND_FAILED,
      };
    }
    const finished = await this.#store.finish(schedule.scheduleId, outcome);
    if (finished) await this.#announce(finished);
    return finished !== undefined;
  }

  /** Tells every device of the sender what became of the schedule. */
  async #announce(schedule: ScheduledMessage) {
    await this.#push.publish([
      {
        userId: schedule.senderId,
        kind: 'notify',
        eventId: `scheduled:${schedule.scheduleId}:${schedule.status}`,
        payload: { kind: 'message.scheduled', payload: scheduleView(schedule) },
      },
    ]);
  }
}
