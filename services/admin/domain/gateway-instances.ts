import { GATEWAY_CONNECTIONS_KEY, type GatewayConnectionsReport } from '../../platform/contracts/index.ts';
import type { StateStore } from '../../platform/ports/index.ts';

export interface GatewayInstance {
  instanceId: string;
  connections: number;
  reportedAt: string;
}

/** The gateway instances alive now, from the connection counts each one reports into shared state. */
export class GatewayInstances {
  readonly #shared: StateStore;
  /** A report older than this is from an instance that went away. */
  readonly #staleAfterMs: number;

  constructor(shared: StateStore, staleAfterMs: number) {
    this.#shared = shared;
    this.#staleAfterMs = staleAfterMs;
  }

  async live(now = new Date()): Promise<GatewayInstance[]> {
    const report = await this.#shared.get<GatewayConnectionsReport>(GATEWAY_CONNECTIONS_KEY);
    return Object.entries(report?.value.instances ?? {})
      .filter(([, entry]) => now.getTime() - Date.parse(entry.reportedAt) <= this.#staleAfterMs)
      .map(([instanceId, entry]) => ({
        instanceId,
        connections: entry.connections,
        reportedAt: entry.reportedAt,
      }))
      .sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  }
}
