import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * PGlite (PostgreSQL compiled to WebAssembly) with its data in a directory that survives restarts,
 * served on a loopback port through pglite-socket so the services use the same PostgreSQL driver
 * as against a real server. Transactions from several connections are serialized by the server.
 */
export async function startEmbeddedPostgres(dataDir: string, maxConnections = 32): Promise<EmbeddedPostgres> {
  const directory = resolve(dataDir, 'pglite');
  mkdirSync(directory, { recursive: true });
  // pg_trgm: the message service's search index (PGlite loads contrib extensions when opened).
  const db = await PGlite.create(directory, { extensions: { pg_trgm } });
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections });
  await server.start();
  const { port } = (server as unknown as { server: { address(): AddressInfo } }).server.address();
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    dataDir: directory,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
