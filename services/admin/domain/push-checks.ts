import type { PushClient } from '../clients/push.ts';
import type { Actor, AuditLog } from './audit-log.ts';

/** An administrator's test push to a user's devices (imctl push test), recorded in the audit log. */
export class PushChecks {
  readonly #push: PushClient;
  readonly #audit: AuditLog;

  constructor(push: PushClient, audit: AuditLog) {
    this.#push = push;
    this.#audit = audit;
  }

  async test(actor: Actor, userId: string) {
    const results = await this.#push.test(userId);
    await this.#audit.record(actor, {
      action: 'push.test',
      resourceType: 'user',
      resourceId: userId,
      details: { devices: results.length, failed: results.filter((r) => r.status !== 'success').length },
    });
    return { results };
  }
}
