/** `imctl dev` is the README's first command: the embedded platform, stopped cleanly by Ctrl-C. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { eventually } from '../support/eventually.ts';

/** The developer's environment minus a DATABASE_URL (the point is the embedded database). */
function platformEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    IMCTL_CONFIG: join(dataDir, 'imctl.json'),
  };
  delete env.DATABASE_URL;
  return env;
}

describe('imctl dev', function () {
  this.timeout(120_000);

  it('starts the embedded platform (PGlite), serves the API, prints the database for admin create, stops on SIGINT', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'imctl-dev-'));
    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, '../../cli/imctl.ts'), 'dev', '--port', '0', '--data-dir', dataDir],
      {
        env: platformEnv(dataDir),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      const url = await Promise.race([
        eventually(
          'the platform prints its URL',
          async () => /is serving (http:\/\/\S+)/.exec(output)?.[1],
          90_000,
        ),
        exited.then((code) => {
          throw new Error(`imctl dev exited (${code}) before serving:\n${output}`);
        }),
      ]);
      expect(output).to.match(/imctl admin create --username root --database-url postgresql:\/\/\S+/);
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).to.equal(200);
      child.kill('SIGINT');
      expect(await exited, output).to.equal(0);
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
