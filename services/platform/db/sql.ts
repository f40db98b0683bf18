/** The smallest SQL surface the platform needs outside MikroORM entities (the embedded state store). */
export interface SqlExecutor {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
}
