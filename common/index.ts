/**
 * What the services, imctl (cli/) and the operator share. The services import it; it imports no
 * service, and cli/ and operator/ import nothing of services/ but reach their code through the
 * entry points. The Dapr resources of a deployment are in deploy/, with an index of their own so
 * that imctl and the services do not load the NATS client.
 */
export * from './entry-points.ts';
export * from './logger.ts';
export * from './message-partitions.ts';
export * from './partitions.ts';
export * from './postgres.ts';
export * from './services.ts';
export type * from './sql.ts';
export * from './topics.ts';
export * from './trace-context.ts';
