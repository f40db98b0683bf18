import type { JsonObject } from '@bufbuild/protobuf';
import type { GatewayDelivery } from '../contracts/gen/anychat/gateway/v1/events_pb.ts';
import { type Delivery, gatewayDeliveryTopic, type ServerFrame } from '../contracts/index.ts';
import { EventPublisher, plainJson } from '../events/index.ts';
import type { PubSubPort } from '../ports/index.ts';
import type { PresenceRegistry } from './registry.ts';

/**
 * Routes frames to the gateway instances that hold the recipients' devices, one publish per
 * instance. Users with no live device are skipped: what matters to them is in their timeline and
 * reaches them through sync, so a lost or skipped push only delays.
 */
export class DeliveryRouter {
  readonly #presence: PresenceRegistry;
  readonly #events: EventPublisher;

  constructor(presence: PresenceRegistry, pubsub: PubSubPort, pubsubName: string) {
    this.#presence = presence;
    this.#events = new EventPublisher(pubsub, pubsubName);
  }

  /** Returns how many instances were addressed. */
  async route(deliveries: Delivery[], options: { traceId?: string } = {}): Promise<number> {
    if (deliveries.length === 0) return 0;
    const presence = await this.#presence.lookup(
      deliveries.flatMap((d) => (d.alsoUserIds ? [d.userId, ...d.alsoUserIds] : [d.userId])),
    );
    const byInstance = new Map<string, Delivery[]>();
    for (const delivery of deliveries) {
      if (delivery.alsoUserIds) {
        addShared(byInstance, delivery, presence);
        continue;
      }
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
        this.#events.publish(
          gatewayDeliveryTopic(instanceId),
          { deliveries: batch.map(encodeDelivery) },
          options.traceId ? { traceId: options.traceId } : {},
        ),
      ),
    );
    return byInstance.size;
  }
}

/**
 * A frame for many users: each instance gets it once, for those of the users it holds (the
 * delivery's device filters do not apply; such deliveries have none).
 */
function addShared(
  byInstance: Map<string, Delivery[]>,
  delivery: Delivery,
  presence: Awaited<ReturnType<PresenceRegistry['lookup']>>,
) {
  const usersByInstance = new Map<string, string[]>();
  for (const userId of [delivery.userId, ...(delivery.alsoUserIds ?? [])])
    for (const instanceId of presence.get(userId)?.instances.keys() ?? []) {
      const users = usersByInstance.get(instanceId) ?? [];
      usersByInstance.set(instanceId, users);
      users.push(userId);
    }
  for (const [instanceId, [first, ...rest]] of usersByInstance) {
    const batch = byInstance.get(instanceId) ?? [];
    byInstance.set(instanceId, batch);
    batch.push({ ...delivery, userId: first!, alsoUserIds: rest });
  }
}

function encodeDelivery(delivery: Delivery) {
  return {
    userId: delivery.userId,
    frame: plainJson({ ...delivery.frame }),
    onlyDeviceIds: delivery.onlyDeviceIds ?? [],
    alsoUserIds: delivery.alsoUserIds ?? [],
    ...(delivery.syncSeq !== undefined ? { syncSeq: BigInt(delivery.syncSeq) } : {}),
    ...(delivery.groupSeq !== undefined ? { groupSeq: BigInt(delivery.groupSeq) } : {}),
    ...(delivery.excludeDeviceId !== undefined ? { excludeDeviceId: delivery.excludeDeviceId } : {}),
  };
}

/**
 * The deliveries of a `gateway.deliver.<instance>` event as the hub takes them. A delivery
 * without a frame type is left out (it cannot be shown); an empty `onlyDeviceIds` means every device.
 */
export function deliveriesOf(event: GatewayDelivery): Delivery[] {
  const deliveries: Delivery[] = [];
  for (const delivery of event.deliveries) {
    const frame = serverFrameOf(delivery.frame);
    if (!frame) continue;
    deliveries.push({
      userId: delivery.userId,
      frame,
      ...(delivery.syncSeq !== undefined ? { syncSeq: Number(delivery.syncSeq) } : {}),
      ...(delivery.groupSeq !== undefined ? { groupSeq: Number(delivery.groupSeq) } : {}),
      ...(delivery.excludeDeviceId !== undefined ? { excludeDeviceId: delivery.excludeDeviceId } : {}),
      ...(delivery.onlyDeviceIds.length > 0 ? { onlyDeviceIds: delivery.onlyDeviceIds } : {}),
      ...(delivery.alsoUserIds.length > 0 ? { alsoUserIds: delivery.alsoUserIds } : {}),
    });
  }
  return deliveries;
}

function serverFrameOf(json: JsonObject | undefined): ServerFrame | undefined {
  if (typeof json?.type !== 'string') return undefined;
  const { type, msgId, timestamp, data, code, message } = json;
  return {
    type,
    ...(typeof msgId === 'string' ? { msgId } : {}),
    ...(typeof timestamp === 'number' ? { timestamp } : {}),
    ...(data !== undefined ? { data } : {}),
    ...(typeof code === 'number' ? { code } : {}),
    ...(typeof message === 'string' ? { message } : {}),
  };
}
