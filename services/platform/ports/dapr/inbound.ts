import { createConnectRouter } from '@connectrpc/connect';
import { universalRequestFromNodeRequest, universalResponseToNodeResponse } from '@connectrpc/connect-node';
import type Router from '@koa/router';
import type Koa from 'koa';
import { topicComponent } from '../../../../common/index.ts';
import { AppError, ErrorCode } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { errorsToConnect, traceCalls } from '../connect.ts';
import { DeliveryAttempts, droppedEvents } from '../delivery-metrics.ts';
import type { InternalService } from '../internal-service.ts';
import { type CloudEvent, runHandler, type Subscription } from '../pubsub.ts';
import { answerFor, deliverBulk, isBulkMessage } from './bulk-inbound.ts';

export interface DaprInboundOptions {
  /** Token the sidecar must present (Dapr APP_API_TOKEN); inbound calls without it are refused. */
  appApiToken: string | undefined;
  subscriptions: Subscription[];
  /** The contract services this app serves (Connect protocol, dapr/invoke.ts). */
  internal: InternalService[];
  /** Failed deliveries of one event before it is dropped as poison. */
  maxDeliveryAttempts: number;
  logger: Logger;
}

/**
 * The Dapr component a subscription is read through: its topic's own component for app-scoped
 * topics (common/topics.ts topicComponent), the publishing component itself for instance-scoped ones.
 */
export function subscriptionComponent(subscription: Pick<Subscription, 'pubsubName' | 'topic' | 'scope'>) {
  if (subscription.scope === 'instance') return subscription.pubsubName;
  return topicComponent(subscription.pubsubName, subscription.topic);
}

/** The largest request body a contract method takes (1,000 ids are about 25 KB). */
const MAX_CALL_BYTES = 4 * 1024 * 1024;

const routeOf = (s: Subscription) =>
  `/dapr/events/${encodeURIComponent(s.pubsubName)}/${encodeURIComponent(s.topic)}`;

/**
 * What the sidecar calls: the subscription list, CloudEvent deliveries, and calls of the contract
 * services (POST /<package>.<Service>/<Method>, Connect's protocol), all behind the app token when one is configured. A delivery is answered SUCCESS,
 * RETRY or DROP; a thrown handler is RETRY (never a silent ack); an event that has failed
 * `maxDeliveryAttempts` times is dropped with an error log and `anychat_pubsub_events_dropped_total`.
 */
export function mountDaprInbound(router: Router, options: DaprInboundOptions): void {
  const { logger } = options;
  const attempts = new DeliveryAttempts(options.maxDeliveryAttempts);
  const guard: Koa.Middleware = async (ctx, next) => {
    if (options.appApiToken && ctx.get('dapr-api-token') !== options.appApiToken) {
      throw new AppError(ErrorCode.FORBIDDEN, { detail: 'missing or wrong dapr-api-token' });
    }
    await next();
  };

  router.get('/dapr/subscribe', guard, (ctx) => {
    ctx.body = options.subscriptions.map((s) => ({
      pubsubname: subscriptionComponent(s),
      topic: s.topic,
      route: routeOf(s),
      ...(s.bulk
        ? {
            bulkSubscribe: {
              enabled: true,
              maxMessagesCount: s.bulk.maxMessages,
              maxAwaitDurationMs: s.bulk.maxAwaitMs,
            },
          }
        : {}),
    }));
  });
  for (const subscription of options.subscriptions) {
    const { topic } = subscription;
    router.post(routeOf(subscription), guard, async (ctx) => {
      const body = (ctx.request as { body?: unknown }).body;
      if (subscription.bulk && isBulkMessage(body)) {
        ctx.body = {
          statuses: await deliverBulk(subscription, subscription.bulk, body.entries, attempts, logger),
        };
        return;
      }
      const event = body as CloudEvent | undefined;
      if (!event || typeof event !== 'object' || !('data' in event)) {
        logger.warn({ topic }, 'delivery without a CloudEvent body dropped');
        droppedEvents.inc({ topic, reason: 'rejected' });
        ctx.body = { status: 'DROP' };
        return;
      }
      const status = await runHandler(
        subscription,
        event,
        (error) =>
          logger.warn(
            { err: error, topic, eventId: event.id },
            'subscriber threw; asking the sidecar to retry',
          ),
        logger,
      );
      ctx.body = { status: answerFor(status, topic, event, attempts, logger) };
    });
  }
  const connect = createConnectRouter({
    connect: true,
    grpc: false,
    grpcWeb: false,
    // A request of a contract method is ids and short texts; anything near this is no caller's.
    readMaxBytes: MAX_CALL_BYTES,
    interceptors: [traceCalls(logger), errorsToConnect(logger)],
  });
  for (const served of options.internal) served.register(connect);
  for (const handler of connect.handlers) {
    router.post(handler.requestPath, guard, async (ctx) => {
      // Connect reads the body and writes the answer itself (binary protobuf; the JSON body
      // parser leaves application/proto bodies alone).
      ctx.respond = false;
      const request = universalRequestFromNodeRequest(ctx.req, ctx.res, undefined, undefined);
      await universalResponseToNodeResponse(await handler(request), ctx.res);
    });
  }
}
