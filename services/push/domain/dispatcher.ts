import { Counter } from 'prom-client';
import { TimelineTopics } from '../../platform/contracts/index.ts';
import type { SqlExecutor } from '../../platform/db/index.ts';
import { type EventPublisher, plainJson } from '../../platform/events/index.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Directory } from '../clients/directory.ts';
import type { PushMessage, PushProvider, PushTarget, SendOutcome } from '../providers/provider.ts';
import { PendingPushes } from './pending.ts';
import type { Registrations } from './registrations.ts';

/** One push to one device, decided by the policies. */
export interface PushJob {
  /** The event it comes from: with the device, what makes it at most once. */
  eventId: string;
  /** `message`, `mention`, `friend_request`, ... (push_logs.push_type). */
  type: string;
  target: PushTarget;
  message: PushMessage;
}

export interface DispatcherOptions {
  sql: SqlExecutor;
  ids: SnowflakeGenerator;
  logger: Logger;
  providers: Map<string, PushProvider>;
  registrations: Registrations;
  directory: Directory;
  events: EventPublisher;
  maxAttempts: number;
  retryBaseMs: number;
  concurrency: number;
}

/** Last outcome of a job (what a test push reports). */
export type JobResult = { ok: true } | { ok: false; reason: string; detail: string };

/** Due pushes taken per look. */
const DUE_BATCH = 100;

/**
 * Sends pushes: each job is claimed once per (event, device) in push_deliveries, so a redelivered
 * event pushes nothing twice, and kept in push_pending until it is settled, so a restart loses
 * none; then sent, each attempt logged (push_logs). A transient failure makes the push due again
 * after 1×, 2×, 4×… the base wait, in the database, where this process or another takes it up:
 * no sending slot is held meanwhile, so one provider's outage delays only its own pushes. A push
 * that gives up is kept in push_failures; a token the provider says is dead is removed from the
 * user's registry at once and the user told (`push.token_invalid`, seed §4.8).
 */
export class Dispatcher {
  readonly #o: DispatcherOptions;
  readonly attempts: Counter<'provider' | 'result'>;
  readonly #pending: PendingPushes;
  readonly #inFlight = new Set<Promise<unknown>>();
  #active = 0;
  readonly #waiting: Array<() => void> = [];
  #poller: NodeJS.Timeout | undefined;
  #looking = false;

  constructor(options: DispatcherOptions) {
    this.#o = options;
    this.#pending = new PendingPushes(options.sql);
    this.attempts = new Counter({
      name: 'anychat_push_attempts_total',
      help: 'Push attempts by provider and result (success, transient, rejected, dead-token)',
      labelNames: ['provider', 'result'] as const,
      registers: [],
    });
  }

  /** Claims the jobs not yet claimed and sends them in the background; returns how many it took. */
  async enqueue(jobs: PushJob[]): Promise<number> {
    const claimed = await this.#pending.claim(jobs);
    for (const job of claimed) this.#inBackground(job, 1);
    return claimed.length;
  }

  /**
   * Claims and sends one job now, for a caller that waits for the outcome (a test push): the
   * first attempt's; a transient failure is retried later like any push.
   */
  async sendNow(job: PushJob): Promise<JobResult> {
    const [claimed] = await this.#pending.claim([job]);
    if (!claimed) return { ok: false, reason: 'duplicate', detail: 'already pushed for this event' };
    const run = this.#attempt(claimed, 1);
    this.#track(run);
    return run;
  }

  /** Looks for due pushes (retries, and pushes of a process that died) every `intervalMs`. */
  start(intervalMs: number): void {
    this.#poller ??= setInterval(() => void this.#takeDue(), intervalMs);
    this.#poller.unref();
  }

  /** Stops looking for due pushes and waits for the attempts under way; the rest stays due. */
  async stop(): Promise<void> {
    clearInterval(this.#poller);
    this.#poller = undefined;
    await this.settled();
  }

  /** Waits for every attempt under way: stop, and tests that count pushes. */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  async #takeDue(): Promise<void> {
    if (this.#looking) return;
    this.#looking = true;
    try {
      for (const { job, attempts } of await this.#pending.takeDue(DUE_BATCH))
        this.#inBackground(job, attempts + 1);
    } catch (error) {
      this.#o.logger.warn({ err: error }, 'due pushes could not be read; looking again shortly');
    } finally {
      this.#looking = false;
    }
  }

  #inBackground(job: PushJob, attempt: number): void {
    this.#track(
      this.#attempt(job, attempt).catch((error: unknown) =>
        // Its lease runs out and the push is due again: a later look takes it up.
        this.#o.logger.error(
          { err: error, eventId: job.eventId, deviceId: job.target.deviceId },
          'push attempt failed to complete; it is tried again after its lease',
        ),
      ),
    );
  }

  #track(run: Promise<unknown>): void {
    this.#inFlight.add(run);
    const done = () => this.#inFlight.delete(run);
    run.then(done, done);
  }

  /** One attempt at a push leased to this process; it ends settled or due again later. */
  async #attempt(job: PushJob, attempt: number): Promise<JobResult> {
    const provider = this.#o.providers.get(job.target.provider);
    if (!provider) {
      const detail = `no provider ${job.target.provider} is configured`;
      await this.#log(job, attempt, { ok: false, reason: 'rejected', detail });
      await this.#fail(job, 'unconfigured', detail, attempt);
      await this.#pending.settle(job);
      return { ok: false, reason: 'unconfigured', detail };
    }
    const outcome = await this.#slot(() => this.#send(provider, job));
    await this.#log(job, attempt, outcome);
    if (!outcome.ok && outcome.reason === 'transient' && attempt < this.#o.maxAttempts) {
      await this.#pending.retryLater(job, attempt, this.#o.retryBaseMs * 2 ** (attempt - 1));
      return outcome;
    }
    if (!outcome.ok) {
      if (outcome.reason === 'dead-token') await this.#dropDeadToken(job);
      await this.#fail(job, outcome.reason, outcome.detail, attempt);
    }
    await this.#pending.settle(job);
    return outcome;
  }

  async #send(provider: PushProvider, job: PushJob): Promise<SendOutcome> {
    let outcome: SendOutcome;
    try {
      outcome = await provider.send(job.target, job.message);
    } catch (error) {
      outcome = {
        ok: false,
        reason: 'transient',
        detail: error instanceof Error ? error.message : String(error),
      };
    }
    this.attempts.inc({ provider: provider.name, result: outcome.ok ? 'success' : outcome.reason });
    return outcome;
  }

  /** Runs `work` when fewer than `concurrency` sends are under way. */
  async #slot<T>(work: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#o.concurrency)
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    this.#active += 1;
    try {
      return await work();
    } finally {
      this.#active -= 1;
      this.#waiting.shift()?.();
    }
  }

  async #log(job: PushJob, attempt: number, outcome: SendOutcome): Promise<void> {
    await this.#o.sql.query(
      `insert into "push"."push_logs" ("id", "user_id", "device_id", "provider", "push_type", "title", "content",
         "attempt", "status", "error_message") values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        this.#o.ids.next(),
        job.target.userId,
        job.target.deviceId,
        job.target.provider,
        job.type,
        job.message.title.slice(0, 200),
        job.message.body.slice(0, 500),
        attempt,
        outcome.ok ? 'success' : 'failed',
        outcome.ok ? null : `${outcome.reason}: ${outcome.detail}`,
      ],
    );
  }

  async #fail(job: PushJob, reason: string, detail: string, attempts: number): Promise<void> {
    this.#o.logger.warn(
      {
        userId: job.target.userId,
        deviceId: job.target.deviceId,
        provider: job.target.provider,
        reason,
        attempts,
      },
      'push failed',
    );
    await this.#o.sql.query(
      `insert into "push"."push_failures" ("id", "event_id", "user_id", "device_id", "provider", "push_type",
         "reason", "error_message", "attempts") values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        this.#o.ids.next(),
        job.eventId,
        job.target.userId,
        job.target.deviceId,
        job.target.provider,
        job.type,
        reason,
        detail,
        attempts,
      ],
    );
  }

  async #dropDeadToken(job: PushJob): Promise<void> {
    const { target } = job;
    await this.#o.registrations.forget(target);
    const removed = await this.#o.directory.removeDeadToken(target.userId, target.deviceId, target.token);
    if (!removed) return;
    await this.#o.events.publish(TimelineTopics.append, {
      eventId: `push.token_invalid:${job.eventId}:${target.deviceId}`,
      recipients: [target.userId],
      kind: 'push.token_invalid',
      payload: plainJson({ deviceId: target.deviceId, provider: target.provider, platform: target.platform }),
    });
  }
}
