import { openServiceDatabase, sqlExecutor } from '../../services/platform/db/index.ts';
import { createLogger } from '../../services/platform/logger.ts';

/** Runs one query on a service's schema through a connection of its own (what a test plants or checks). */
export async function serviceSql<T>(
  databaseUrl: string,
  schema: string,
  sql: string,
  params: unknown[],
): Promise<T[]> {
  const orm = await openServiceDatabase({
    url: databaseUrl,
    schema,
    entities: [],
    migrations: [],
    poolMax: 1,
    logger: createLogger('silent'),
  });
  try {
    return await sqlExecutor(orm).query<T>(sql, params);
  } finally {
    await orm.close();
  }
}
