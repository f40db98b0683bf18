import { CommunicationProtocolEnum, DaprClient, LogLevel } from '@dapr/dapr';

export interface SidecarOptions {
  host: string;
  httpPort: number;
  daprApiToken: string | undefined;
}

/** HTTP client to the sidecar. The SDK's own logger stays at error level: its debug lines print headers. */
export function createDaprClient(options: SidecarOptions): DaprClient {
  return new DaprClient({
    daprHost: options.host,
    daprPort: String(options.httpPort),
    communicationProtocol: CommunicationProtocolEnum.HTTP,
    ...(options.daprApiToken ? { daprApiToken: options.daprApiToken } : {}),
    logger: { level: LogLevel.Error },
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
