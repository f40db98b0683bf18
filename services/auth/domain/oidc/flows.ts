import { AppError, ErrorCode } from '../../../platform/errors.ts';
import { EtagMismatchError, type StateStore } from '../../../platform/ports/index.ts';
import { stateKeyPart } from '../../../platform/security/index.ts';
import type { DeviceInfo } from '../sessions.ts';

/** A sign-in (or link) started at a provider and not finished yet; kept server-side under its `state`. */
export interface Flow {
  provider: string;
  codeVerifier: string;
  nonce: string;
  redirectUri: string;
  /** `signin`: the device below signs in; `link`: the provider is linked to `userId`'s account. */
  mode: 'signin' | 'link';
  userId?: string;
  device?: DeviceInfo;
}

/** How long a user has at the provider's login page. */
const FLOW_TTL_SECONDS = 600;

/** Started flows in the state store; each is taken once (a replayed or made-up `state` finds none). */
export class Flows {
  readonly #store: StateStore;

  constructor(store: StateStore) {
    this.#store = store;
  }

  async save(state: string, flow: Flow): Promise<void> {
    await this.#store.save(this.#key(state), flow, { onlyIfAbsent: true, ttlInSeconds: FLOW_TTL_SECONDS });
  }

  /** The flow of `state`, removed so that it can't be finished twice; 10202 if there is none. */
  async take(state: string): Promise<Flow> {
    const key = this.#key(state);
    const item = await this.#store.get<Flow>(key);
    if (!item) {
      throw new AppError(ErrorCode.OIDC_STATE_INVALID, { detail: 'unknown, used or expired state' });
    }
    try {
      await this.#store.delete(key, { etag: item.etag });
    } catch (error) {
      if (!(error instanceof EtagMismatchError)) throw error;
      // Another request took it first.
      throw new AppError(ErrorCode.OIDC_STATE_INVALID, { detail: 'unknown, used or expired state' });
    }
    return item.value;
  }

  #key(state: string) {
    return `oidc-flow:${stateKeyPart(state)}`;
  }
}
