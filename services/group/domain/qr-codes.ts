import { randomBytes } from 'node:crypto';
import type { Config } from '../../platform/config.ts';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { StateStore } from '../../platform/ports/index.ts';
import type { GroupChanges } from './changes.ts';
import type { Joining } from './joining.ts';
import { assertActive, requireInviter } from './rules.ts';
import type { GroupView, JoinOutcome, Origin } from './types.ts';

export interface QrCode {
  code: string;
  url: string;
  expiresAt: string;
}

interface QrRecord {
  groupId: string;
  expiresAt: string;
  revoked?: boolean;
}

export interface QrCodesDeps {
  changes: GroupChanges;
  joining: Joining;
  /** This service's state store: QR codes live there, not in the database. */
  state: StateStore;
  limits: Config['group'];
  publicUrl: () => string;
}

/** QR records outlive their validity by a week, so an old code answers "expired" rather than vanishing. */
const QR_GRACE_SECONDS = 7 * 86_400;

/** A group's QR code: whoever scans it sees the group and may ask to join. */
export class QrCodes {
  readonly #deps: QrCodesDeps;

  constructor(deps: QrCodesDeps) {
    this.#deps = deps;
  }

  /** The group's current QR code, or a new one when there is none or `refresh` is asked. */
  async qrcode(userId: string, groupId: string, refresh: boolean): Promise<QrCode> {
    const seen = await this.#deps.changes.view(userId, groupId);
    assertActive(seen.group);
    requireInviter(seen.group, seen.me);
    const store = this.#deps.state;
    const current = await store.get<{ code: string }>(`qrcode-of:${groupId}`);
    if (current && !refresh) {
      const record = await store.get<QrRecord>(`qrcode:${current.value.code}`);
      if (record && !record.value.revoked && Date.parse(record.value.expiresAt) > Date.now())
        return {
          code: current.value.code,
          url: this.#url(current.value.code),
          expiresAt: record.value.expiresAt,
        };
    }
    const code = randomBytes(18).toString('base64url');
    const ttl = this.#deps.limits.qrcodeTtlSeconds;
    const expiresAt = new Date(Date.now() + ttl * 1000).toISOString();
    const ttlInSeconds = ttl + QR_GRACE_SECONDS;
    await store.transact([
      ...(current
        ? [
            {
              operation: 'upsert' as const,
              key: `qrcode:${current.value.code}`,
              value: { groupId, expiresAt, revoked: true } satisfies QrRecord,
              ttlInSeconds,
            },
          ]
        : []),
      {
        operation: 'upsert',
        key: `qrcode:${code}`,
        value: { groupId, expiresAt } satisfies QrRecord,
        ttlInSeconds,
      },
      { operation: 'upsert', key: `qrcode-of:${groupId}`, value: { code }, ttlInSeconds },
    ]);
    return { code, url: this.#url(code), expiresAt };
  }

  /** What a scanned group QR code shows before joining: the group's public part. */
  async resolve(userId: string, code: string): Promise<GroupView> {
    const view = await this.#deps.changes.view(userId, await this.#groupOf(code));
    assertActive(view.group);
    return view;
  }

  /** Joins through a group QR code; join verification applies as to any other request. */
  async join(origin: Origin, code: string, message: string | null): Promise<JoinOutcome> {
    return this.#deps.joining.join(origin, await this.#groupOf(code), message, 'qrcode');
  }

  /** The group a code leads to; 40117 when it expired or was replaced. */
  async #groupOf(code: string): Promise<string> {
    const record = await this.#deps.state.get<QrRecord>(`qrcode:${code}`);
    if (!record || record.value.revoked || Date.parse(record.value.expiresAt) <= Date.now())
      throw new AppError(ErrorCode.GROUP_QRCODE_EXPIRED);
    return record.value.groupId;
  }

  #url(code: string): string {
    return `${this.#deps.publicUrl()}/api/v1/groups/qrcode/${code}`;
  }
}
