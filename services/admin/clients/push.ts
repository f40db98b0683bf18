import { PushService } from '../../platform/contracts/gen/anychat/push/v1/push_pb.ts';
import { AppError, ErrorCode, isAppError } from '../../platform/errors.ts';
import type { InvokePort } from '../../platform/ports/index.ts';

export interface PushProviderStats {
  provider: string;
  success: number;
  failed: number;
}

/** The push service, as the admin service watches and tests it. */
export class PushClient {
  readonly #invoke: InvokePort;

  constructor(invoke: InvokePort) {
    this.#invoke = invoke;
  }

  /** Push attempts per provider over the last `minutes` minutes. */
  async stats(minutes: number): Promise<PushProviderStats[]> {
    const { providers } = await this.#invoke.call(PushService.method.getPushStats, { minutes });
    return providers.map((p) => ({
      provider: p.provider,
      success: Number(p.success),
      failed: Number(p.failed),
    }));
  }

  /** A test push to each registered device of the user: what each came to (80103 when the push service does not answer). */
  async test(userId: string) {
    const { results } = await this.#invoke
      .call(PushService.method.sendTestPush, { userId })
      .catch((error: unknown) => {
        if (isAppError(error) && error.code === ErrorCode.SERVICE_UNAVAILABLE) {
          throw new AppError(ErrorCode.PUSH_UNAVAILABLE, { detail: error.message, cause: error });
        }
        throw error;
      });
    return results.map((r) => ({
      deviceId: r.deviceId,
      provider: r.provider,
      status: r.status,
      error: r.error ?? null,
    }));
  }
}
