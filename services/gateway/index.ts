import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  AuthTopics,
  type ConnectedUsersNotice,
  type GatewayDeliveryEvent,
  gatewayDeliveryTopic,
  type SessionRevokedEvent,
  type TimelineAppendEvent,
  TimelineTopics,
} from '../platform/contracts/index.ts';
import { clientAddressResolver } from '../platform/http/client-address.ts';
import { defineRoute } from '../platform/http/routes.ts';
import type { CloudEvent } from '../platform/ports/index.ts';
import { DeliveryRouter, PresenceRegistry } from '../platform/presence/index.ts';
import type { ServiceModule } from '../platform/service.ts';
import { clusterCallersOnly } from './cluster-callers.ts';
import { ConnectionReporter } from './connection-report.ts';
import { GatewayHub } from './hub.ts';
import { LOGOUT_REASONS } from './protocol/index.ts';

/** Recipients per timeline event when a broadcast is appended for this instance's users. */
const NOTICE_BATCH = 500;

export { CloseCode } from './protocol/index.ts';

/**
 * The gateway service: WebSocket connections at /ws, presence, and delivery to devices. Each
 * instance listens on its own delivery topic; senders route to it through the presence registry.
 */
export const gatewayService: ServiceModule = {
  name: 'gateway',
  schema: 'gateway',
  entities: [],
  migrations: [],
  async create(ctx) {
    const instanceId = ctx.config.gateway.instanceId ?? `gw-${randomUUID().slice(0, 8)}`;
    const presence = new PresenceRegistry(ctx.sharedState, {
      entryTtlSeconds: ctx.config.gateway.presenceTtlSeconds,
    });
    const router = new DeliveryRouter(presence, ctx.pubsub, ctx.pubsubName);
    const logger = ctx.logger.child({ instanceId });
    // Created before the hub, which tells it of every connect and disconnect; it reads the hub's count.
    const reporter: ConnectionReporter = new ConnectionReporter({
      store: ctx.sharedState,
      instanceId,
      intervalSeconds: ctx.config.gateway.reportIntervalSeconds,
      count: () => hub.connectionCount,
      logger,
    });
    const hub = new GatewayHub({
      instanceId,
      config: ctx.config.gateway,
      allowStrangers: ctx.config.message.allowStrangers,
      rateLimitFactor: ctx.config.rateLimitFactor,
      logger,
      authenticate: ctx.authenticate,
      revocations: ctx.sharedState,
      presence,
      router,
      invoke: ctx.invoke,
      clientAddress: clientAddressResolver(ctx.config.trustedProxies),
      onConnectionsChanged: () => reporter.changed(),
    });
    reporter.start();
    ctx.logger.info({ instanceId, topic: gatewayDeliveryTopic(instanceId) }, 'gateway instance ready');
    /** A broadcast reaches this instance's users first: their timeline entries are asked for now. */
    const appendForConnected = async (notice: ConnectedUsersNotice) => {
      const userIds = hub.connectedUserIds();
      for (let start = 0; start < userIds.length; start += NOTICE_BATCH) {
        const recipients = userIds.slice(start, start + NOTICE_BATCH);
        await ctx.pubsub.publish(ctx.pubsubName, TimelineTopics.append, {
          eventId: notice.eventId,
          kind: notice.kind,
          payload: notice.payload,
          recipients,
        } satisfies TimelineAppendEvent);
      }
    };
    return {
      routes: [
        defineRoute({
          method: 'get',
          path: '/api/v1/gateway/connections',
          summary:
            "This gateway instance's open WebSocket connections (read by the operator to scale gateways; answered only to callers inside the cluster)",
          tags: ['gateway'],
          // No token: the operator reads it over pod IPs. The ingress routes /api/v1/gateway here
          // too, so the middleware answers only direct callers from private networks.
          access: 'public',
          middleware: [clusterCallersOnly],
          response: z.object({ instanceId: z.string(), connections: z.number().int() }),
          handler: async () => ({ instanceId, connections: hub.connectionCount }),
        }),
      ],
      upgrades: [
        { path: '/ws', handle: (request, socket, head) => hub.handleUpgrade(request, socket, head) },
      ],
      subscriptions: [
        {
          pubsubName: ctx.pubsubName,
          topic: gatewayDeliveryTopic(instanceId),
          scope: 'instance',
          async handle(event: CloudEvent) {
            const data = event.data as GatewayDeliveryEvent | undefined;
            if (!Array.isArray(data?.deliveries)) return 'DROP';
            hub.deliver(data);
            if (data.appendForConnected) await appendForConnected(data.appendForConnected);
            return 'SUCCESS';
          },
        },
        {
          pubsubName: ctx.pubsubName,
          topic: AuthTopics.sessionRevoked,
          // Any one gateway instance takes the event and routes FORCE_LOGOUT to the instance holding the device.
          async handle(event: CloudEvent<SessionRevokedEvent>) {
            const revoked = event.data;
            if (typeof revoked?.userId !== 'string' || typeof revoked.deviceId !== 'string') return 'DROP';
            await router.route([
              {
                userId: revoked.userId,
                onlyDeviceIds: [revoked.deviceId],
                frame: {
                  type: 'FORCE_LOGOUT',
                  timestamp: Date.now(),
                  data: {
                    reason: LOGOUT_REASONS[revoked.reason] ?? revoked.reason,
                    authSessionId: revoked.sessionId,
                    message: `signed out: ${revoked.reason}`,
                    timestamp: Date.now(),
                  },
                },
              },
            ]);
            return 'SUCCESS';
          },
        },
      ],
      internal: {},
      drain: async () => {
        // The entry goes first, so that the draining hub's disconnects do not report it again.
        await reporter.stop();
        await hub.drain();
      },
      stop: () => reporter.stop(),
    };
  },
};
