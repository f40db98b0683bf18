export * from './embedded-postgres.ts';
export * from './orm.ts';
export * from './paging.ts';
export * from './partitions.ts';
export * from './sql.ts';
export * from './sync-clock.ts';
