/**
 * A real LiveKit server for the rtc service's suites: the binary from scripts/test-env/ensure-livekit.sh
 * (built once per machine from the Go module proxy), started in dev mode on loopback with a key and
 * secret generated for the run, free ports, and its webhooks pointed at the platform under test;
 * stopped and its directory removed after.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ensureTool } from './ensure-tool.ts';
import { freePort, spawnLogged, stopProcesses, tail, waitForHttp } from './processes.ts';

export interface LiveKitServer {
  /** Where clients and the server API reach it (ws://127.0.0.1:port). */
  url: string;
  apiKey: string;
  apiSecret: string;
  /** Settings that point the rtc service at this server. */
  env: Record<string, string>;
  /** The last lines of its log, for a failure message. */
  logTail(): string;
  stop(): Promise<void>;
}

/** Path of the livekit-server binary; a failed build fails loudly with the script's last lines. */
export const ensureLiveKit = (): Promise<string> => ensureTool('livekit', 'livekit-server');

/**
 * Starts LiveKit; `webhookUrl` receives its room and participant events, signed with the generated
 * key. `psrpcMaxAttempts` is LiveKit's own `psrpc.max_attempts` (3 by default): how many rounds it
 * looks for a worker (an Egress) before it answers that none took a job.
 */
export async function startLiveKit(
  options: { webhookUrl?: string; psrpcMaxAttempts?: number } = {},
): Promise<LiveKitServer> {
  const binary = await ensureLiveKit();
  const dir = mkdtempSync(join(tmpdir(), 'anychat-livekit-'));
  const [port, tcpPort, udpPort] = [await freePort(), await freePort(), await freePort()];
  const apiKey = `test-${randomBytes(6).toString('hex')}`;
  const apiSecret = randomBytes(32).toString('base64url');
  const logFile = join(dir, 'livekit.log');
  const config = {
    port,
    bind_addresses: ['127.0.0.1'],
    rtc: {
      tcp_port: tcpPort,
      udp_port: udpPort,
      node_ip: '127.0.0.1',
      use_external_ip: false,
      enable_loopback_candidate: true,
    },
    keys: { [apiKey]: apiSecret },
    logging: { level: 'info' },
    ...(options.webhookUrl ? { webhook: { api_key: apiKey, urls: [options.webhookUrl] } } : {}),
    ...(options.psrpcMaxAttempts ? { psrpc: { max_attempts: options.psrpcMaxAttempts } } : {}),
  };
  let child: ChildProcess | undefined;
  try {
    child = spawnLogged(binary, ['--dev', '--config-body', stringify(config)], { logFile });
    await waitForHttp('livekit-server', `http://127.0.0.1:${port}/`, 60_000, () => tail(logFile));
    const url = `ws://127.0.0.1:${port}`;
    return {
      url,
      apiKey,
      apiSecret,
      env: { LIVEKIT_URL: url, LIVEKIT_API_KEY: apiKey, LIVEKIT_API_SECRET: apiSecret },
      logTail: () => tail(logFile, 40),
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
