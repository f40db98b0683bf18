import { CommunicationProtocolEnum, DaprClient, type LoggerService, LogLevel } from '@dapr/dapr';
import type { Logger } from '../../logger.ts';

export interface SidecarOptions {
  host: string;
  httpPort: number;
  daprApiToken: string | undefined;
}

/**
 * The SDK's own log lines go nowhere. Every failure it logs also comes back to the adapters (as
 * `{error}` or a throw), which report it as a typed error; its lines would print state keys (an ETag
 * conflict on a limit's tally, an expected outcome, names an address, an e-mail or a phone number)
 * and, at debug level, request headers.
 */
const QUIET: LoggerService = { error() {}, warn() {}, info() {}, verbose() {}, debug() {} };

/** HTTP client to the sidecar. */
export function createDaprClient(options: SidecarOptions): DaprClient {
  return new DaprClient({
    daprHost: options.host,
    daprPort: String(options.httpPort),
    communicationProtocol: CommunicationProtocolEnum.HTTP,
    ...(options.daprApiToken ? { daprApiToken: options.daprApiToken } : {}),
    logger: { level: LogLevel.Error, service: QUIET },
  });
}

export interface SidecarFailure {
  status: number | undefined;
  body: string;
}

/** The SDK reports sidecar failures as an Error whose message is JSON {status, error_msg}; read it back. */
export function sidecarFailure(error: unknown): SidecarFailure {
  const message = error instanceof Error ? error.message : String(error);
  try {
    const parsed = JSON.parse(message) as { status?: number; error_msg?: string };
    return { status: parsed.status, body: parsed.error_msg ?? '' };
  } catch {
    return { status: undefined, body: message };
  }
}

/**
 * Waits until the sidecar reports it can serve the app's outbound calls (components loaded), so a
 * service never starts taking traffic it cannot forward. Fails with a clear message after the timeout.
 */
export async function waitForSidecar(
  options: SidecarOptions,
  timeoutMs: number,
  logger: Logger,
): Promise<void> {
  const url = `http://${options.host}:${options.httpPort}/v1.0/healthz/outbound`;
  const deadline = Date.now() + timeoutMs;
  let lastProblem = '';
  let logged = false;
  for (;;) {
    try {
      const response = await fetch(url, {
        headers: options.daprApiToken ? { 'dapr-api-token': options.daprApiToken } : {},
        signal: AbortSignal.timeout(2_000),
      });
      if (response.ok) return;
      lastProblem = `HTTP ${response.status}`;
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline)
      throw new Error(
        `the Dapr sidecar at ${options.host}:${options.httpPort} was not ready within ${Math.round(timeoutMs / 1000)} s (${lastProblem}); is daprd running with --dapr-http-port ${options.httpPort}?`,
      );
    if (!logged) {
      logger.info({ sidecar: `${options.host}:${options.httpPort}` }, 'waiting for the Dapr sidecar');
      logged = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
