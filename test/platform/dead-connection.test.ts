import { expect } from 'chai';
import pg from 'pg';
import { openServiceDatabase, sqlExecutor } from '../../services/platform/db/index.ts';
import { createLogger } from '../../services/platform/logger.ts';
import { requirePostgres } from '../support/backends.ts';

const URL = 'postgres://postgres@127.0.0.1:5432/postgres';

/** Resolves to 'timed out' when `work` has not settled within `ms`. */
const within = <T>(ms: number, work: Promise<T>) =>
  Promise.race([work, new Promise<'timed out'>((resolve) => setTimeout(() => resolve('timed out'), ms))]);

describe('a database connection cut in the middle of a transaction', function () {
  this.timeout(30_000);
  before(async function () {
    await requirePostgres(this);
  });

  it('goes back to the pool: a pool of one still serves the next query (kysely#1990 leaked it)', async () => {
    const orm = await openServiceDatabase({
      url: URL,
      schema: 'public',
      entities: [],
      migrations: [],
      poolMax: 1,
      logger: createLogger('silent'),
    });
    const killer = new pg.Client({ connectionString: URL });
    await killer.connect();
    try {
      const sql = sqlExecutor(orm);
      const failed = await sql
        .transaction(async (tx) => {
          const [backend] = await tx.query<{ pid: number }>('select pg_backend_pid() as pid');
          // What an outage does: the server ends the connection while the transaction is open.
          await killer.query('select pg_terminate_backend($1)', [backend!.pid]);
          await tx.query('select 1');
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(failed, 'the transaction failed').to.be.instanceOf(Error);
      // The pool's only slot must be free again: the next query gets a new connection.
      const next = await within(5_000, sql.query<{ one: number }>('select 1 as one'));
      expect(next, 'a query after the cut').to.deep.equal([{ one: 1 }]);
      // And the ORM closes without waiting on a connection nobody will hand back.
      expect(await within(5_000, orm.close()), 'closing').to.not.equal('timed out');
    } finally {
      await killer.end();
    }
  });
});
