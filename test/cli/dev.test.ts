/** `imctl dev` is the README's first command: the embedded platform, stopped cleanly by Ctrl-C. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { CapturedOutput, PLATFORM_SERVING, stopProcess, track } from '../support/processes.ts';

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
    const child = track(
      spawn(
        process.execPath,
        [join(import.meta.dirname, '../../cli/imctl.ts'), 'dev', '--port', '0', '--data-dir', dataDir],
        {
          env: platformEnv(dataDir),
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      ),
    );
    const output = new CapturedOutput(child);
    try {
      const [, url] = await output.waitFor(PLATFORM_SERVING);
      // Printed after the URL: where the first admin goes.
      await output.waitFor(/imctl admin create --username root --database-url postgresql:\/\/\S+/, 10_000);
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).to.equal(200);
      expect(await stopProcess(child, { signal: 'SIGINT' }), output.text).to.equal(0);
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
