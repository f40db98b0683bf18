import { type Delivery, type GatewayDeliveryEvent, gatewayDeliveryTopic } from '../contracts/index.ts';
import type { PubSubPort } from '../ports/index.ts';
import type { PresenceRegistry } from './registry.ts';

/**
 * Routes frames to the gateway instances that hold the recipients' devices, one publish per
 * instance. Users with no live device are skipped: what matters to them is in their timeline and
 * reaches them through sync, so a lost or skipped push only delays.
 */
export class DeliveryRouter {
  readonly #presence: PresenceRegistry;
  readonly #pubsub: PubSubPort;
  readonly #pubsubName: string;

  constructor(presence: PresenceRegistry, pubsub: PubSubPort, pubsubName: string) {
    this.#presence = presence;
    this.#pubsub = pubsub;
    this.#pubsubName = pubsubName;
  }

  /** Returns how many instances were addressed. */
  async route(deliveries: Delivery[], options: { traceId?: string } = {}): Promise<number> {
    if (deliveries.length === 0) return 0;
    const presence = await this.#presence.lookup(deliveries.map((d) => d.userId));
    const byInstance = new Map<string, Delivery[]>();
    for (const delivery of deliveries) {
      for (const [instanceId, deviceIds] of presence.get(delivery.userId)?.instances ?? []) {
        const wanted = deviceIds.filter(
          (deviceId) =>
            deviceId !== delivery.excludeDeviceId &&
            (!delivery.onlyDeviceIds || delivery.onlyDeviceIds.includes(deviceId)),
        );
        if (wanted.length === 0) continue;
        const batch = byInstance.get(instanceId) ?? [];
        byInstance.set(instanceId, batch);
        batch.push(delivery);
      }
    }
    await Promise.all(
      [...byInstance].map(([instanceId, batch]) =>
        this.#pubsub.publish<GatewayDeliveryEvent>(
          this.#pubsubName,
          gatewayDeliveryTopic(instanceId),
          { deliveries: batch },
          options.traceId ? { traceId: options.traceId } : {},
        ),
      ),
    );
    return byInstance.size;
  }
}
