/**
 * Where this device's timeline stands (`syncSeq`), saved across reloads. The timeline is gap-free,
 * so the position only moves over events actually taken: one taken out of order (a SEND_ACK ahead
 * of a NEW_MESSAGE still on its way) waits until the events before it arrive. Reconnecting from
 * the position therefore never skips an event; an event replayed twice is dropped by its id.
 */
export class SyncCursor {
  #position: number | undefined;
  readonly #ahead = new Set<number>();

  constructor(readonly storageKey: string) {
    const saved = Number(localStorage.getItem(storageKey));
    this.#position = Number.isSafeInteger(saved) && saved > 0 ? saved : undefined;
  }

  get position(): number | undefined {
    return this.#position;
  }

  /** A device seen for the first time starts at the server's newest event. */
  startAt(syncSeq: number): void {
    if (this.#position === undefined) this.#save(syncSeq);
  }

  took(syncSeq: number): void {
    if (this.#position === undefined || syncSeq <= this.#position) return;
    this.#ahead.add(syncSeq);
    let next = this.#position;
    while (this.#ahead.delete(next + 1)) next++;
    if (next !== this.#position) this.#save(next);
  }

  /** The server replayed everything up to `syncSeq` (SYNC_COMPLETE). */
  replayedTo(syncSeq: number): void {
    if (this.#position === undefined || syncSeq > this.#position) this.#save(syncSeq);
    for (const seq of this.#ahead) if (seq <= syncSeq) this.#ahead.delete(seq);
  }

  #save(position: number) {
    this.#position = position;
    localStorage.setItem(this.storageKey, String(position));
  }
}
