/**
 * What the services, imctl (cli/) and the operator share. The services import it; it imports no
 * service, and cli/ and operator/ import nothing of services/ but reach their code through the
 * entry points.
 */
export * from './entry-points.ts';
export * from './logger.ts';
export * from './message-partitions.ts';
export * from './partitions.ts';
export * from './postgres.ts';
export * from './services.ts';
export type * from './sql.ts';
