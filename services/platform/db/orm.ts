import type { MigrationObject } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { type EntityManager, type EntitySchema, MikroORM } from '@mikro-orm/postgresql';
import type { Pool } from 'pg';
import type { SqlExecutor } from '../../../common/index.ts';
import type { Logger } from '../logger.ts';
import { releaseDeadConnections } from './dead-connections.ts';

export type { EntitySchema, MigrationObject };
export { MikroORM };

export interface ServiceDatabaseOptions {
  url: string;
  /** PostgreSQL schema owned by the service; its tables and migration history live there. */
  schema: string;
  entities: EntitySchema[];
  migrations: MigrationObject[];
  poolMax: number;
  logger: Logger;
}

/** One MikroORM per service, bound to the service's own schema. */
export async function openServiceDatabase(options: ServiceDatabaseOptions): Promise<MikroORM> {
  return MikroORM.init({
    clientUrl: options.url,
    schema: options.schema,
    entities: options.entities,
    extensions: [Migrator],
    migrations: {
      migrationsList: options.migrations,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      silent: true,
      // Migrations are written by hand; no schema snapshot files in the working directory.
      snapshot: false,
    },
    // Idle connections are kept (idleTimeoutMillis 0): with pg-pool reaping idle clients, closing the
    // ORM later hung waiting for them, which froze shutdown. The pool is small and bounded anyway.
    pool: { min: 0, max: options.poolMax, idleTimeoutMillis: 0 },
    driverOptions: {
      onPoolCreated: (pool: Pool) => releaseDeadConnections(pool, options.logger, options.schema),
    },
    // Snowflake ids are bigint columns; they travel as strings.
    discovery: { warnWhenNoEntities: false },
    debug: false,
    logger: (message) => options.logger.debug({ orm: options.schema }, message),
    allowGlobalContext: false,
  });
}

/** Applies the committed migrations that have not run yet; returns their names. */
export async function migrate(orm: MikroORM, schema: string): Promise<string[]> {
  await orm.em.getConnection().execute(`create schema if not exists "${schema}"`);
  const applied = await orm.migrator.up();
  return applied.map((migration) => migration.name);
}

/** Raw SQL over the ORM's connection pool, with `?` placeholders. */
export function sqlExecutor(orm: MikroORM): SqlExecutor {
  const connection = orm.em.getConnection();
  const over = (trx?: Parameters<typeof connection.execute>[3]): SqlExecutor => ({
    query: (sql, params = []) => connection.execute(sql, params, 'all', trx) as never,
    transaction: (work) => (trx ? work(over(trx)) : connection.transactional((inner) => work(over(inner)))),
  });
  return over();
}

/** Raw SQL inside an entity manager's transaction (or on its connection outside one). */
export function sqlExecutorOf(em: EntityManager): SqlExecutor {
  return {
    query: (sql, params = []) => em.execute(sql, params, 'all') as never,
    transaction: (work) => em.transactional((inner) => work(sqlExecutorOf(inner))),
  };
}

/**
 * Whether the database answers now. MikroORM connects lazily (isConnected stays false until a first
 * query), so readiness asks with a query of its own.
 */
export async function databaseAnswers(orm: MikroORM): Promise<boolean> {
  try {
    await orm.em.getConnection().execute('select 1', [], 'all');
    return true;
  } catch {
    return false;
  }
}
