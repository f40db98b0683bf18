/**
 * Group commit: items submitted while a batch is being written, or within a short wait after the
 * first of a batch arrives, are written together by one call of `write`; each submitter gets its
 * own item's outcome. One batch is written at a time, so items are written in the order they were
 * submitted (a conversation's sends keep their order) and batches never contend with each other.
 */

export interface GroupCommitOptions<T, R> {
  /** Writes a batch in one transaction; one result per item, in the batch's order. */
  write: (items: T[]) => Promise<R[]>;
  /** Most items written together. */
  maxBatch: number;
  /** How long the first item of a batch waits for more before the batch is written (microseconds). */
  maxWaitMicros: number;
  /** Told when a batch failed as a whole, before its items are written one by one. */
  onBatchFailed?: (error: unknown, size: number) => void;
}

interface Pending<T, R> {
  item: T;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit<T, R> {
  readonly #o: GroupCommitOptions<T, R>;

  #queue: Pending<T, R>[] = [];

  #writing = false;

  /** When the first item now queued arrived (process.hrtime, ns); undefined while none waits. */
  #waitingSince: bigint | undefined;

  constructor(options: GroupCommitOptions<T, R>) {
    this.#o = options;
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (this.#waitingSince === undefined) {
        this.#waitingSince = process.hrtime.bigint();
        setImmediate(() => this.#tick());
      }
    });
  }

  /**
   * Runs on each turn of the event loop while items wait: sends that arrive in the meantime (I/O is
   * polled between turns) join the batch, until it is full or the wait is over.
   */
  #tick() {
    if (this.#writing || this.#queue.length === 0) return;
    const waitedMicros = (process.hrtime.bigint() - this.#waitingSince!) / 1000n;
    if (this.#queue.length < this.#o.maxBatch && waitedMicros < BigInt(this.#o.maxWaitMicros)) {
      setImmediate(() => this.#tick());
      return;
    }
    void this.#writeNext();
  }

  async #writeNext() {
    this.#writing = true;
    const batch = this.#queue.splice(0, this.#o.maxBatch);
    this.#waitingSince = this.#queue.length > 0 ? this.#waitingSince : undefined;
    try {
      await this.#write(batch);
    } finally {
      this.#writing = false;
      // What arrived during the write has waited already: it goes at once.
      if (this.#queue.length > 0) void this.#writeNext();
      else this.#waitingSince = undefined;
    }
  }

  /**
   * A batch that fails as a whole (one item the database refuses, a deadlock, a lost connection)
   * wrote nothing: each of its items is written again on its own, so only the bad one fails.
   */
  async #write(batch: Pending<T, R>[]) {
    let results: R[];
    try {
      results = await this.#o.write(batch.map((pending) => pending.item));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      this.#o.onBatchFailed?.(error, batch.length);
      for (const pending of batch) await this.#write([pending]);
      return;
    }
    batch.forEach((pending, index) => {
      pending.resolve(results[index]!);
    });
  }
}
