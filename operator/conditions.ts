/**
 * The conditions of an ImCluster's status: one per type, upserted by type, each with the reasons it
 * may give. The reconciler builds them from the status it read and writes them back only through
 * the status subresource (kube.ts applyStatus).
 */
import type { Condition } from './spec.ts';

/** Every condition type the operator reports, with the reasons each may carry. */
export const CONDITION_REASONS = {
  /** Every component has its desired replicas ready. */
  Ready: ['MigrationPending', 'AllComponentsReady', 'ComponentsNotReady'],
  /** A migration or a rollout is under way. */
  Progressing: ['MigrationPending', 'Stable', 'RollingOut'],
  /** A cluster that was ready has a component without any ready pod. */
  Degraded: ['AsExpected', 'ComponentsDown'],
  /** The version's migration Job has succeeded. */
  MigrationsApplied: ['JobSucceeded', 'JobRunning', 'JobFailing'],
  /** The pub/sub broker is prepared (NATS: the JetStream stream exists). */
  BrokerReady: ['NothingToPrepare', 'NoSecret', 'StreamReady', 'StreamFailed'],
  /** The monthly partitions of message.messages are maintained. */
  PartitionsReady: ['Maintained', 'MaintenanceFailed'],
  /** The gateway's replicas follow its connections (autoscaling only). */
  Scaled: ['FollowingConnections', 'ConnectionsUnreadable'],
} as const;

export type ConditionType = keyof typeof CONDITION_REASONS;
export type ConditionReason<T extends ConditionType> = (typeof CONDITION_REASONS)[T][number];
export type ConditionStatus = Condition['status'];

/** Conditions upserted by type; lastTransitionTime moves only when the status changes. */
export class Conditions {
  readonly #byType = new Map<string, Condition>();
  readonly #generation: number | undefined;
  readonly #now: () => Date;

  /** `existing`: the conditions of the status as read (unknown types are kept as they are). */
  constructor(existing: Condition[] | undefined, generation: number | undefined, now: () => Date) {
    for (const condition of existing ?? []) this.#byType.set(condition.type, condition);
    this.#generation = generation;
    this.#now = now;
  }

  set<T extends ConditionType>(
    type: T,
    status: ConditionStatus,
    reason: ConditionReason<T>,
    message: string,
  ): void {
    const previous = this.#byType.get(type);
    this.#byType.set(type, {
      type,
      status,
      reason,
      message,
      lastTransitionTime:
        previous && previous.status === status ? previous.lastTransitionTime : this.#now().toISOString(),
      ...(this.#generation !== undefined ? { observedGeneration: this.#generation } : {}),
    });
  }

  get(type: ConditionType): Condition | undefined {
    return this.#byType.get(type);
  }

  isTrue(type: ConditionType): boolean {
    return this.#byType.get(type)?.status === 'True';
  }

  /** Sorted by type, so that an unchanged status is written back byte for byte. */
  list(): Condition[] {
    return [...this.#byType.values()].sort((a, b) => a.type.localeCompare(b.type));
  }
}
