import { Counter } from 'prom-client';
import { TimelineTopics } from '../../platform/contracts/index.ts';
import type { SqlExecutor } from '../../platform/db/index.ts';
import { type EventPublisher, plainJson } from '../../platform/events/index.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Directory } from '../clients/directory.ts';
import type { PushMessage, PushProvider, PushTarget, SendOutcome } from '../providers/provider.ts';
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

/**
 * Sends pushes: each job is claimed once per (event, device) in push_deliveries, so a redelivered
 * event pushes nothing twice; then sent, each attempt logged (push_logs); a transient failure is
 * tried again after 1×, 2×, 4×… the base wait, without holding a sending slot, so one provider's
 * outage delays only its own pushes; a push that gives up is kept in push_failures; a token the
 * provider says is dead is removed from the user's registry at once and the user told
 * (`push.token_invalid`, seed §4.8).
 */
export class Dispatcher {
  readonly #o: DispatcherOptions;
  readonly attempts: Counter<'provider' | 'result'>;
  readonly #inFlight = new Set<Promise<unknown>>();
  #active = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(options: DispatcherOptions) {
    this.#o = options;
    this.attempts = new Counter({
      name: 'anychat_push_attempts_total',
      help: 'Push attempts by provider and result (success, transient, rejected, dead-token)',
      labelNames: ['provider', 'result'] as const,
      registers: [],
    });
  }

  /** Claims the jobs not yet claimed and sends them in the background; returns how many it took. */
  async enqueue(jobs: PushJob[]): Promise<number> {
    const claimed = await this.#claim(jobs);
    for (const job of claimed) {
      this.#track(
        this.#run(job).catch((error: unknown) =>
          this.#o.logger.error(
            { err: error, eventId: job.eventId, deviceId: job.target.deviceId },
            'push lost',
          ),
        ),
      );
    }
    return claimed.length;
  }

  /** Claims and sends one job now, for a caller that waits for the outcome (a test push). */
  async sendNow(job: PushJob): Promise<JobResult> {
    const [claimed] = await this.#claim([job]);
    if (!claimed) return { ok: false, reason: 'duplicate', detail: 'already pushed for this event' };
    const run = this.#run(claimed);
    this.#track(run);
    return run;
  }

  /** Waits for every push under way (retries included): stop, and tests that count pushes. */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  #track(run: Promise<unknown>): void {
    this.#inFlight.add(run);
    const done = () => this.#inFlight.delete(run);
    run.then(done, done);
  }

  async #claim(jobs: PushJob[]): Promise<PushJob[]> {
    if (jobs.length === 0) return [];
    const rows = await this.#o.sql.query<{ event_id: string; device_id: string }>(
      `insert into "push"."push_deliveries" ("event_id", "device_id", "user_id")
       select "e", "d", "u" from jsonb_to_recordset(?::jsonb) as x("e" varchar, "d" varchar, "u" bigint)
       on conflict do nothing returning "event_id", "device_id"`,
      [JSON.stringify(jobs.map((j) => ({ e: j.eventId, d: j.target.deviceId, u: j.target.userId })))],
    );
    const won = new Set(rows.map((row) => `${row.event_id}\n${row.device_id}`));
    return jobs.filter((job) => won.has(`${job.eventId}\n${job.target.deviceId}`));
  }

  async #run(job: PushJob): Promise<JobResult> {
    const provider = this.#o.providers.get(job.target.provider);
    if (!provider) {
      const detail = `no provider ${job.target.provider} is configured`;
      await this.#log(job, 1, { ok: false, reason: 'rejected', detail });
      await this.#fail(job, 'unconfigured', detail, 1);
      return { ok: false, reason: 'unconfigured', detail };
    }
    let outcome: SendOutcome = { ok: false, reason: 'transient', detail: 'not tried' };
    let attempt = 0;
    while (attempt < this.#o.maxAttempts) {
      attempt += 1;
      outcome = await this.#slot(() => this.#send(provider, job));
      await this.#log(job, attempt, outcome);
      if (outcome.ok || outcome.reason !== 'transient') break;
      if (attempt < this.#o.maxAttempts) await sleep(this.#o.retryBaseMs * 2 ** (attempt - 1));
    }
    if (outcome.ok) return outcome;
    if (outcome.reason === 'dead-token') await this.#dropDeadToken(job);
    await this.#fail(job, outcome.reason, outcome.detail, attempt);
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
