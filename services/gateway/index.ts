import { randomUUID } from 'node:crypto';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { z } from 'zod';
import pkg from '../../package.json' with { type: 'json' };
import type { GatewayDelivery_ConnectedUsersNotice } from '../platform/contracts/gen/anychat/gateway/v1/events_pb.ts';
import {
  AuthTopics,
  GatewayTopics,
  gatewayDeliveryTopic,
  TimelineTopics,
} from '../platform/contracts/index.ts';
import { EventPublisher, eventSubscription } from '../platform/events/index.ts';
import { clientAddressResolver } from '../platform/http/client-address.ts';
import { defineRoute } from '../platform/http/routes.ts';
import { DeliveryRouter, deliveriesOf, PresenceRegistry } from '../platform/presence/index.ts';
import type { ServiceModule } from '../platform/service.ts';
import { clusterCallersOnly } from './cluster-callers.ts';
import { ConnectionReporter } from './connection-report.ts';
import { GatewayHub } from './hub.ts';
import { gatewayMetrics } from './metrics.ts';
import { asyncApiDocument, LOGOUT_REASONS } from './protocol/index.ts';

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
    const events = new EventPublisher(ctx.pubsub, ctx.pubsubName);
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
      onDeviceLeft: (left) =>
        events.publish(GatewayTopics.deviceLeft, {
          userId: left.userId,
          deviceId: left.deviceId,
          afterSyncSeq: BigInt(left.afterSyncSeq),
          leftAt: timestampFromDate(left.leftAt),
        }),
    });
    reporter.start();
    ctx.logger.info({ instanceId, topic: gatewayDeliveryTopic(instanceId) }, 'gateway instance ready');
    /** A broadcast reaches this instance's users first: their timeline entries are asked for now. */
    const appendForConnected = async (notice: GatewayDelivery_ConnectedUsersNotice) => {
      const userIds = hub.connectedUserIds();
      for (let start = 0; start < userIds.length; start += NOTICE_BATCH) {
        const recipients = userIds.slice(start, start + NOTICE_BATCH);
        await events.publish(TimelineTopics.append, {
          eventId: notice.eventId,
          kind: notice.kind,
          ...(notice.payload ? { payload: notice.payload } : {}),
          recipients,
        });
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
        eventSubscription({
          pubsubName: ctx.pubsubName,
          topic: gatewayDeliveryTopic(instanceId),
          scope: 'instance',
          logger,
          async handle(delivery) {
            hub.deliver({ deliveries: deliveriesOf(delivery) });
            if (delivery.appendForConnected) await appendForConnected(delivery.appendForConnected);
          },
        }),
        eventSubscription({
          pubsubName: ctx.pubsubName,
          topic: AuthTopics.sessionRevoked,
          logger,
          // Any one gateway instance takes the event and routes FORCE_LOGOUT to the instance holding the device.
          async handle(revoked) {
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
          },
        }),
      ],
      internal: [],
      documents: { '/api/v1/asyncapi.json': asyncApiDocument(pkg.version) },
      metrics: gatewayMetrics(hub),
      drain: async () => {
        // The entry goes first, so that the draining hub's disconnects do not report it again.
        await reporter.stop();
        await hub.drain();
      },
      stop: () => reporter.stop(),
    };
  },
};
