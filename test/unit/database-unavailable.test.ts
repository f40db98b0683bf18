import { ConnectionException } from '@mikro-orm/core';
import { expect } from 'chai';
import pg from 'pg';
import { isDatabaseUnavailable } from '../../services/platform/db/index.ts';
import { ErrorCode } from '../../services/platform/errors.ts';
import { toAppError } from '../../services/platform/http/errors-middleware.ts';

/** What node-postgres throws for a statement, on a client connected to `url`. */
async function errorOf(url: string, sql: string): Promise<unknown> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query(sql);
  } catch (error) {
    return error;
  } finally {
    await client.end().catch(() => {});
  }
  throw new Error(`${sql} did not fail`);
}

describe('A database that cannot serve is "unavailable, retry", not an internal error', () => {
  it('a refused connection (nothing listens) is unavailable: 000006, 503, Retry-After', async () => {
    const refused = await errorOf('postgres://postgres@127.0.0.1:1/postgres', 'select 1');
    expect(isDatabaseUnavailable(refused)).to.equal(true);
    const appError = toAppError(refused);
    expect(appError.code).to.equal(ErrorCode.SERVICE_UNAVAILABLE);
    expect(appError.status).to.equal(503);
    expect(appError.headers['Retry-After']).to.equal('1');
  });

  it('a server that is shutting down (SQLSTATE 57P01, from a terminated backend) is unavailable', async () => {
    const victim = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
    const killer = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
    await victim.connect();
    await killer.connect();
    victim.on('error', () => {});
    try {
      const { rows } = await victim.query<{ pid: number }>('select pg_backend_pid() as pid');
      const sleeping = victim.query('select pg_sleep(30)').then(
        () => undefined,
        (error: unknown) => error,
      );
      await killer.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
      const terminated = await sleeping;
      expect(terminated, 'the sleeping query failed').to.not.equal(undefined);
      expect(isDatabaseUnavailable(terminated)).to.equal(true);
    } finally {
      await killer.end();
      await victim.end().catch(() => {});
    }
  });

  it("MikroORM's ConnectionException, also when wrapped as another error's cause, is unavailable", () => {
    const wrapped = new Error('store failed', {
      cause: new ConnectionException(new Error('connect ECONNREFUSED')),
    });
    expect(isDatabaseUnavailable(wrapped)).to.equal(true);
  });

  it('a wrong statement or a broken constraint stays an internal or business error', async () => {
    const syntax = await errorOf('postgres://postgres@127.0.0.1:5432/postgres', 'selec 1');
    expect(isDatabaseUnavailable(syntax)).to.equal(false);
    expect(toAppError(syntax).code).to.equal(ErrorCode.UNKNOWN);
    expect(isDatabaseUnavailable(new Error('boom'))).to.equal(false);
    const cyclic: { cause?: unknown } & Error = new Error('cycle');
    cyclic.cause = cyclic;
    expect(isDatabaseUnavailable(cyclic)).to.equal(false);
  });
});
