/**
 * The recent Kubernetes Events about one ImCluster — what the operator did (Normal) and what failed
 * (Warning), repeats counted — as `imctl cluster status <name>` shows them under the conditions.
 * Read through the core Events API by the cluster's uid (events.k8s.io Events are the same objects).
 */

import { formatAge } from '../../duration.ts';
import { renderTable } from '../../output.ts';
import type { KubeTarget } from './kube.ts';

/** How many of the newest Events are shown. */
const SHOWN = 10;

export interface ClusterEvent {
  type: string;
  reason: string;
  message: string;
  /** Occurrences: a repeated event is one object whose series counts up. */
  count: number;
  lastSeen: string | undefined;
  /** The controller that reported it (`anychat.io/operator`) and its replica. */
  source: string | undefined;
}

/** The Events read, or why they could not be (the status is shown either way). */
export type ClusterEvents = { events: ClusterEvent[] } | { eventsUnreadable: string };

const iso = (value: Date | string | undefined) =>
  value === undefined ? undefined : value instanceof Date ? value.toISOString() : value;

export async function readClusterEvents(
  target: KubeTarget,
  namespace: string,
  uid: string,
): Promise<ClusterEvents> {
  const { CoreV1Api } = await import('@kubernetes/client-node');
  const api = target.config.makeApiClient(CoreV1Api);
  try {
    const list = await Promise.race([
      api.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.uid=${uid}` }),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('no answer within 30s')), 30_000).unref(),
      ),
    ]);
    const events = list.items.map(
      (event): ClusterEvent => ({
        type: event.type ?? 'Normal',
        reason: event.reason ?? '',
        message: event.message ?? '',
        count: event.series?.count ?? (event.count || 1),
        lastSeen: iso(event.series?.lastObservedTime ?? event.lastTimestamp ?? event.eventTime),
        source:
          [event.reportingComponent, event.reportingInstance].filter(Boolean).join('/') ||
          event.source?.component,
      }),
    );
    events.sort((a, b) => (b.lastSeen ?? '').localeCompare(a.lastSeen ?? ''));
    return { events: events.slice(0, SHOWN) };
  } catch (error) {
    const code = (error as { code?: number }).code;
    return { eventsUnreadable: code ? `HTTP ${code}` : (error as Error).message };
  }
}

export function renderEvents(read: ClusterEvents): string {
  if ('eventsUnreadable' in read) return `Events: not readable (${read.eventsUnreadable})`;
  if (read.events.length === 0) return 'Events: none';
  const table = renderTable(read.events, [
    { header: 'Type', value: (e) => e.type },
    { header: 'Reason', value: (e) => e.reason },
    { header: 'Age', value: (e) => formatAge(e.lastSeen) },
    { header: 'Count', value: (e) => e.count },
    { header: 'Message', value: (e) => e.message },
  ]);
  return `Events:\n${table}`;
}
