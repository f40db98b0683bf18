export type { SqlExecutor } from '../../../common/index.ts';
export * from './embedded-postgres.ts';
export * from './orm.ts';
export * from './paging.ts';
export * from './sync-clock.ts';
export * from './unavailable.ts';
