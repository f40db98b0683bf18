/**
 * Lookups made in the same turn of the event loop, answered by one fetch: the sends that one group
 * commit stores all route their messages in the same turn, so their presence lookups (a state
 * store read each) become one read of all their users. A lookup waits at most until the I/O of
 * that turn has been polled (setImmediate); a failed fetch fails every lookup it would have answered.
 */
export class TurnBatch<K, V> {
  readonly #fetch: (keys: K[]) => Promise<Map<K, V>>;
  #keys = new Set<K>();
  #result: Promise<Map<K, V>> | undefined;

  constructor(fetch: (keys: K[]) => Promise<Map<K, V>>) {
    this.#fetch = fetch;
  }

  /** What the fetch answered for `keys` (keys it left out are absent). */
  async get(keys: Iterable<K>): Promise<Map<K, V>> {
    const wanted = [...new Set(keys)];
    if (wanted.length === 0) return new Map();
    for (const key of wanted) this.#keys.add(key);
    this.#result ??= new Promise((resolve, reject) => {
      setImmediate(() => {
        const batch = [...this.#keys];
        this.#keys = new Set();
        this.#result = undefined;
        this.#fetch(batch).then(resolve, reject);
      });
    });
    const found = await this.#result;
    const answer = new Map<K, V>();
    for (const key of wanted) if (found.has(key)) answer.set(key, found.get(key)!);
    return answer;
  }
}
