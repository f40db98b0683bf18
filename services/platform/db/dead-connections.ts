import type { Pool, PoolClient } from 'pg';
import type { Logger } from '../logger.ts';

/**
 * Hands a connection back to the pool, as broken, when the server ends it while it is checked out.
 *
 * pg-pool only reclaims a client its holder releases. Kysely's controlled transaction (which
 * MikroORM's `transactional` runs on) never releases one whose rollback failed — and a rollback
 * always fails on a connection the server cut (kysely-org/kysely#1990). Each database outage that
 * cut a transaction thus cost one pool slot for good, until a pool of N was N outages from hanging
 * every query, and closing it hung too. A connection that has ended serves nobody, so releasing it
 * ourselves is always right; its holder's late release, if any, becomes a no-op.
 */
export function releaseDeadConnections(pool: Pool, logger: Logger, schema: string): void {
  const checkedOut = new Set<PoolClient>();
  pool.on('acquire', (client) => checkedOut.add(client));
  pool.on('release', (_error, client) => checkedOut.delete(client as PoolClient));
  pool.on('connect', (client) => {
    client.once('end', () => {
      // One turn later: a holder that saw its query fail gets to release the client itself first.
      setImmediate(() => {
        const held = client as PoolClient;
        if (!checkedOut.has(held)) return;
        const release = held.release;
        held.release = () => {};
        release(new Error('the database ended this connection while it was checked out'));
        logger.warn({ schema }, 'database: released a connection the server ended while it was in use');
      });
    });
  });
}
