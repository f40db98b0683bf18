/**
 * A real MinIO server for the file service's suites: the binary from scripts/test-env/ensure-minio.sh
 * (built once per machine from the Go module proxy), one server per suite on a free loopback port
 * over a fresh directory, stopped and removed after.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTool } from './ensure-tool.ts';
import { freePort, spawnLogged, stopProcesses, tail, waitForHttp } from './processes.ts';

export interface MinioServer {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  /** Settings that point the file service at this server. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Path of the MinIO binary; a failed build fails loudly with the script's last lines. */
export const ensureMinio = (): Promise<string> => ensureTool('minio', 'MinIO');

export async function startMinio(): Promise<MinioServer> {
  const binary = await ensureMinio();
  const dir = mkdtempSync(join(tmpdir(), 'anychat-minio-'));
  const [port, consolePort] = [await freePort(), await freePort()];
  const accessKey = 'anychat-test';
  const secretKey = 'anychat-test-secret-key';
  const logFile = join(dir, 'minio.log');
  let child: ChildProcess | undefined;
  try {
    child = spawnLogged(
      binary,
      [
        'server',
        join(dir, 'data'),
        '--address',
        `127.0.0.1:${port}`,
        '--console-address',
        `127.0.0.1:${consolePort}`,
      ],
      {
        logFile,
        env: {
          ...process.env,
          MINIO_ROOT_USER: accessKey,
          MINIO_ROOT_PASSWORD: secretKey,
          MINIO_BROWSER: 'off',
          MINIO_UPDATE: 'off',
        },
      },
    );
    const endpoint = `http://127.0.0.1:${port}`;
    await waitForHttp('MinIO', `${endpoint}/minio/health/ready`, 60_000, () => tail(logFile));
    return {
      endpoint,
      accessKey,
      secretKey,
      env: {
        FILE_STORAGE: 's3',
        FILE_S3_ENDPOINT: endpoint,
        FILE_S3_ACCESS_KEY: accessKey,
        FILE_S3_SECRET_KEY: secretKey,
      },
      async stop() {
        await stopProcesses([child]);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopProcesses([child]);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
