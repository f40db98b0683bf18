/**
 * The smallest SQL surface (`?` placeholders) for work outside MikroORM entities: the embedded state
 * store, the outbox, the message partitions. Services get one from their ORM (platform/db), imctl and
 * the operator from a plain connection (postgres.ts).
 */
export interface SqlExecutor {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
}
