import type { MessageStats } from '../../platform/contracts/index.ts';
import type { AccountsClient } from '../clients/auth.ts';
import type { FilesClient } from '../clients/files.ts';
import type { GroupsClient } from '../clients/groups.ts';
import type { MessagesClient } from '../clients/messages.ts';
import type { PushClient, PushProviderStats } from '../clients/push.ts';
import type { RtcClient } from '../clients/rtc.ts';
import type { GatewayInstances } from './gateway-instances.ts';

export interface PlatformStats {
  users: { total: number; newToday: number; active24h: number };
  connections: {
    total: number;
    gateways: Array<{ instanceId: string; connections: number; reportedAt: string }>;
  };
  messages: MessageStats & { lastMinute: number };
  groups: { total: number; active: number; newToday: number };
  /** Null when the push service did not answer (it may be switched off in a cluster). */
  push: { providers: PushProviderStats[] } | null;
  /** Null when the file service did not answer. */
  files: { files: number; bytes: number; storedBytes: number } | null;
  /** Over the period asked for; null when the rtc service did not answer. */
  calls: CallsOverPeriod | null;
  generatedAt: string;
}

/** Calls and meetings over the last `periodMinutes` minutes. */
export interface CallsOverPeriod {
  periodMinutes: number;
  started: number;
  answered: number;
  missed: number;
  meetings: number;
  /** Meeting running time in the period, in minutes (two decimals). */
  meetingMinutes: number;
}

interface StatisticsClients {
  accounts: AccountsClient;
  groups: GroupsClient;
  messages: MessagesClient;
  push: PushClient;
  files: FilesClient;
  rtc: RtcClient;
}

const DAY_MS = 86_400_000;
/** Minutes of message history the statistics show. */
const MESSAGE_WINDOW_MINUTES = 60;
/** The period calls and meetings are counted over unless another is asked for: a day. */
export const CALL_PERIOD_MINUTES = 24 * 60;

/**
 * Platform statistics, gathered from the services that own the facts: accounts (auth), groups,
 * messages, calls and meetings (rtc), and the connection counts every gateway instance reports into shared state.
 */
export class Statistics {
  readonly #clients: StatisticsClients;
  readonly #gateways: GatewayInstances;

  constructor(clients: StatisticsClients, gateways: GatewayInstances) {
    this.#clients = clients;
    this.#gateways = gateways;
  }

  async collect(callPeriodMinutes = CALL_PERIOD_MINUTES): Promise<PlatformStats> {
    const now = new Date();
    const startOfDay = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    const dayAgo = new Date(now.getTime() - DAY_MS);
    const [accounts, groups, messages, gateways, push, files, calls] = await Promise.all([
      this.#clients.accounts.stats({ newSince: startOfDay, activeSince: dayAgo }),
      this.#clients.groups.stats(startOfDay),
      this.#clients.messages.stats(MESSAGE_WINDOW_MINUTES),
      this.#gateways.live(now),
      this.#clients.push.stats(MESSAGE_WINDOW_MINUTES).then(
        (providers) => ({ providers }),
        () => null,
      ),
      this.#clients.files.stats().then(
        ({ files, bytes, storedBytes }) => ({ files, bytes, storedBytes }),
        () => null,
      ),
      this.#clients.rtc.stats(callPeriodMinutes).then(
        ({ meetingSeconds, ...counts }) => ({
          periodMinutes: callPeriodMinutes,
          ...counts,
          meetingMinutes: Math.round((100 * meetingSeconds) / 60) / 100,
        }),
        () => null,
      ),
    ]);
    return {
      users: { total: accounts.total, newToday: accounts.newSince, active24h: accounts.activeSince },
      connections: {
        total: gateways.reduce((sum, gateway) => sum + gateway.connections, 0),
        gateways,
      },
      messages: { ...messages, lastMinute: messages.perMinute.at(-1)?.count ?? 0 },
      groups: { total: groups.total, active: groups.active, newToday: groups.newSince },
      push,
      files,
      calls,
      generatedAt: now.toISOString(),
    };
  }
}
