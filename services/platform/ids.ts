/**
 * Snowflake-style 64-bit ids: 41 bits of milliseconds since the AnyChat epoch, 10 bits of worker id,
 * 12 bits of sequence. Serialized as decimal strings everywhere outside the database, because
 * JavaScript numbers lose precision past 2^53.
 */
const EPOCH = 1_767_225_600_000n; // 2026-01-01T00:00:00Z
const WORKER_BITS = 10n;
const SEQUENCE_BITS = 12n;
const MAX_SEQUENCE = (1n << SEQUENCE_BITS) - 1n;

export class SnowflakeGenerator {
  readonly #worker: bigint;
  #lastMs = -1n;
  #sequence = 0n;

  constructor(workerId: number) {
    if (!Number.isInteger(workerId) || workerId < 0 || workerId >= 2 ** Number(WORKER_BITS)) {
      throw new RangeError(`worker id must be an integer in [0, 1023], got ${workerId}`);
    }
    this.#worker = BigInt(workerId);
  }

  next(): string {
    let now = BigInt(Date.now());
    // A clock that steps back must not produce duplicates: keep using the last timestamp.
    if (now < this.#lastMs) now = this.#lastMs;
    if (now === this.#lastMs) {
      this.#sequence = (this.#sequence + 1n) & MAX_SEQUENCE;
      if (this.#sequence === 0n) now = this.#lastMs + 1n; // sequence exhausted: borrow the next millisecond
    } else {
      this.#sequence = 0n;
    }
    this.#lastMs = now;
    return (
      ((now - EPOCH) << (WORKER_BITS + SEQUENCE_BITS)) |
      (this.#worker << SEQUENCE_BITS) |
      this.#sequence
    ).toString();
  }
}

/** Time a snowflake id was minted, for debugging and partition routing. */
export function snowflakeTime(id: string): Date {
  return new Date(Number((BigInt(id) >> (WORKER_BITS + SEQUENCE_BITS)) + EPOCH));
}

export const SNOWFLAKE_PATTERN = /^[1-9][0-9]{0,18}$/;

/** The largest id PostgreSQL's bigint holds: 19-digit strings compare as numbers. */
const MAX_ID = '9223372036854775807';

/** Whether `value` can be an id: a snowflake's digits within bigint's range (longer or larger ones name nothing). */
export function isIdInRange(value: string): boolean {
  return SNOWFLAKE_PATTERN.test(value) && (value.length < 19 || value <= MAX_ID);
}
