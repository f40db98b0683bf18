export * from './embedded-postgres.ts';
export * from './orm.ts';
export * from './sql.ts';
