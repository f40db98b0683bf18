import { SENSITIVE_WORDS_KEY, type SensitiveWordsPolicy } from '../contracts/index.ts';
import type { Logger } from '../logger.ts';
import type { StateStore } from '../ports/index.ts';
import { checkWords, normalizeWords, type WordCheck } from './filter.ts';

export { checkWords, normalizeWords, type WordCheck } from './filter.ts';

export interface SensitiveCheck extends WordCheck {
  /** What the policy says to do with a match (messages: mask or refuse; names are always refused). */
  action: SensitiveWordsPolicy['action'];
}

interface Loaded {
  words: string[];
  action: SensitiveWordsPolicy['action'];
  at: number;
}

const NONE: Omit<Loaded, 'at'> = { words: [], action: 'reject' };

/**
 * The sensitive-word policy the admin service keeps in the shared state (SENSITIVE_WORDS_KEY),
 * read through a short cache (`refreshMs`; 0 reads it for every check). No policy means no words.
 * When the state store cannot be read, the last policy read stays in force (none before the first
 * read): moderation lags rather than chat stopping.
 */
export class SensitiveWords {
  readonly #store: StateStore;
  readonly #refreshMs: number;
  readonly #logger: Logger | undefined;
  #loaded: Loaded | undefined;
  #loading: Promise<Loaded> | undefined;

  constructor(store: StateStore, options: { refreshMs: number; logger?: Logger }) {
    this.#store = store;
    this.#refreshMs = options.refreshMs;
    this.#logger = options.logger;
  }

  async check(text: string): Promise<SensitiveCheck> {
    const policy = await this.#policy();
    return { ...checkWords(policy.words, text), action: policy.action };
  }

  /** Throws `error()` when `text` holds a forbidden word, whatever the policy's action (names, announcements). */
  async refuse(text: string | null | undefined, error: () => Error): Promise<void> {
    if (!text) return;
    if ((await this.check(text)).matched) throw error();
  }

  async #policy(): Promise<Omit<Loaded, 'at'>> {
    const loaded = this.#loaded;
    if (loaded && this.#refreshMs > 0 && Date.now() - loaded.at < this.#refreshMs) return loaded;
    this.#loading ??= this.#read().finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  async #read(): Promise<Loaded> {
    try {
      const item = await this.#store.get<SensitiveWordsPolicy>(SENSITIVE_WORDS_KEY);
      const value = item?.value;
      const valid =
        value !== undefined &&
        Array.isArray(value.words) &&
        value.words.every((word) => typeof word === 'string') &&
        (value.action === 'mask' || value.action === 'reject');
      if (value !== undefined && !valid)
        this.#logger?.warn({ key: SENSITIVE_WORDS_KEY }, 'malformed sensitive-word policy ignored');
      this.#loaded = valid
        ? { words: normalizeWords(value.words), action: value.action, at: Date.now() }
        : { ...NONE, at: Date.now() };
    } catch (error) {
      this.#logger?.warn({ err: error }, 'sensitive-word policy unreadable; keeping the last one');
      // Retry at the next check rather than waiting a whole refresh interval.
      return this.#loaded ? { ...this.#loaded } : { ...NONE, at: 0 };
    }
    return this.#loaded;
  }
}
