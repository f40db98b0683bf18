import {
  type AccountStats,
  AuthAdminMethods,
  GroupAdminMethods,
  type GroupStats,
  MessageAdminMethods,
  type MessageStats,
} from '../../platform/contracts/index.ts';
import type { InvokePort } from '../../platform/ports/index.ts';
import type { GatewayInstances } from './gateway-instances.ts';

export interface PlatformStats {
  users: { total: number; newToday: number; active24h: number };
  connections: {
    total: number;
    gateways: Array<{ instanceId: string; connections: number; reportedAt: string }>;
  };
  messages: MessageStats & { lastMinute: number };
  groups: { total: number; active: number; newToday: number };
  generatedAt: string;
}

const DAY_MS = 86_400_000;
/** Minutes of message history the statistics show. */
const MESSAGE_WINDOW_MINUTES = 60;

/**
 * Platform statistics, gathered from the services that own the facts: accounts (auth), groups,
 * messages, and the connection counts every gateway instance reports into shared state.
 */
export class Statistics {
  readonly #invoke: InvokePort;
  readonly #gateways: GatewayInstances;

  constructor(invoke: InvokePort, gateways: GatewayInstances) {
    this.#invoke = invoke;
    this.#gateways = gateways;
  }

  async collect(): Promise<PlatformStats> {
    const now = new Date();
    const startOfDay = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    const dayAgo = new Date(now.getTime() - DAY_MS);
    const [accounts, groups, messages, gateways] = await Promise.all([
      this.#invoke.invoke<AccountStats>('auth', AuthAdminMethods.stats, {
        newSince: startOfDay.toISOString(),
        activeSince: dayAgo.toISOString(),
      }),
      this.#invoke.invoke<GroupStats>('group', GroupAdminMethods.stats, { since: startOfDay.toISOString() }),
      this.#invoke.invoke<MessageStats>('message', MessageAdminMethods.stats, {
        minutes: MESSAGE_WINDOW_MINUTES,
      }),
      this.#gateways.live(now),
    ]);
    return {
      users: { total: accounts.total, newToday: accounts.newSince, active24h: accounts.activeSince },
      connections: {
        total: gateways.reduce((sum, gateway) => sum + gateway.connections, 0),
        gateways,
      },
      messages: { ...messages, lastMinute: messages.perMinute.at(-1)?.count ?? 0 },
      groups: { total: groups.total, active: groups.active, newToday: groups.newSince },
      generatedAt: now.toISOString(),
    };
  }
}
