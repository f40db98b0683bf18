import { isIPv4 } from 'node:net';
import type { MikroORM } from '@mikro-orm/postgresql';
import { TimelineTopics } from '../../platform/contracts/index.ts';
import { type EventPublisher, plainJson } from '../../platform/events/index.ts';
import type { SnowflakeGenerator } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';
import { type UserCredentials, UserDevice } from '../entities.ts';
import type { Delivery } from './delivery/index.ts';
import type { DeviceInfo } from './sessions.ts';

/** The network of an address: its /24 (IPv4) or /48 (IPv6); a phone moving within one is not unusual. */
export function networkOf(ip: string): string {
  if (isIPv4(ip)) return ip.split('.').slice(0, 3).join('.');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return networkOf(mapped[1]!);
  return ip.toLowerCase().split(':').slice(0, 3).join(':');
}

export interface LoginAlertsDeps {
  orm: MikroORM;
  events: EventPublisher;
  delivery: Delivery;
  ids: SnowflakeGenerator;
  logger: Logger;
}

/**
 * Unusual sign-ins (seed §4.1 `notification.auth.unusual_login`): a device this account never
 * signed in on, or a network none of its devices came from. The account's devices hear of it as a
 * NOTIFICATION `auth.unusual_login` (through the sync timeline, so offline ones see it later) with
 * the device to sign out (`DELETE /api/v1/auth/devices/{deviceId}`), and its e-mail gets a mail.
 * The first sign-in of an account (registration) is nothing unusual.
 */
export class LoginAlerts {
  readonly #deps: LoginAlertsDeps;

  constructor(deps: LoginAlertsDeps) {
    this.#deps = deps;
  }

  /** Decided before the sign-in records the device: whether it is new to the account or comes from a new network. */
  async isUnusual(userId: string, device: DeviceInfo): Promise<boolean> {
    const known = await this.#deps.orm.em.fork().find(UserDevice, { userId });
    if (known.length === 0) return false;
    if (!known.some((seen) => seen.deviceId === device.deviceId)) return true;
    if (!device.ip) return false;
    const network = networkOf(device.ip);
    return !known.some((seen) => seen.lastLoginIp && networkOf(seen.lastLoginIp) === network);
  }

  /** Tells the account's devices and mailbox; never fails the sign-in. */
  alert(user: UserCredentials, device: DeviceInfo): void {
    const at = new Date();
    const payload = {
      deviceId: device.deviceId,
      deviceType: device.deviceType,
      deviceName: device.deviceName ?? null,
      ip: device.ip ?? null,
      at: at.toISOString(),
      signOut: { method: 'DELETE', path: `/api/v1/auth/devices/${encodeURIComponent(device.deviceId)}` },
    };
    void this.#deps.events
      .publish(TimelineTopics.append, {
        eventId: this.#deps.ids.next(),
        recipients: [user.userId],
        kind: 'auth.unusual_login',
        payload: plainJson(payload),
        originDevice: { userId: user.userId, deviceId: device.deviceId },
      })
      .catch((error: unknown) =>
        this.#deps.logger.warn({ err: error, userId: user.userId }, 'could not publish unusual login'),
      );
    if (!user.email) return;
    const vars = {
      device: device.deviceName ? `${device.deviceName} (${device.deviceType})` : device.deviceType,
      ip: device.ip ?? 'unknown',
      at: at.toISOString(),
    };
    void this.#deps.delivery
      .sendAlert(user.email, vars)
      .catch((error: unknown) =>
        this.#deps.logger.warn({ err: error, userId: user.userId }, 'could not mail unusual login'),
      );
  }
}
