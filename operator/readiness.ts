/**
 * The cluster's phase and its Ready, Progressing and Degraded conditions, from whether the version
 * has migrated and how many replicas of each component are ready. Pure: the reconciler reads the
 * Deployments and writes the status.
 */
import type { Conditions } from './conditions.ts';
import type { ComponentStatus, ImClusterStatus } from './spec.ts';

export type Phase = NonNullable<ImClusterStatus['phase']>;

export function assessReadiness(
  conditions: Conditions,
  migrated: boolean,
  components: Record<string, ComponentStatus>,
): Phase {
  // Degraded means "was working, now is not" and stays so until every pod is back: a cluster still
  // coming up for the first time is only progressing.
  const wasWorking = conditions.isTrue('Ready') || conditions.isTrue('Degraded');
  if (!migrated) {
    conditions.set('Ready', 'False', 'MigrationPending', 'waiting for the migration Job');
    conditions.set('Progressing', 'True', 'MigrationPending', 'the migration Job runs before services roll');
    conditions.set('Degraded', 'False', 'AsExpected', 'nothing is failing');
    return 'Progressing';
  }
  const waiting = Object.entries(components).filter(([, c]) => c.ready < c.desired);
  if (waiting.length === 0) {
    conditions.set('Ready', 'True', 'AllComponentsReady', 'every component has its desired replicas ready');
    conditions.set('Progressing', 'False', 'Stable', 'nothing is rolling out');
    conditions.set('Degraded', 'False', 'AsExpected', 'nothing is failing');
    return 'Ready';
  }
  const list = waiting.map(([name, c]) => `${name} ${c.summary}`).join(', ');
  conditions.set('Ready', 'False', 'ComponentsNotReady', `not ready: ${list}`);
  conditions.set('Progressing', 'True', 'RollingOut', `waiting for ${list}`);
  const down = waiting.filter(([, c]) => c.ready === 0 && c.desired > 0).map(([name]) => name);
  if (down.length > 0 && wasWorking) {
    conditions.set('Degraded', 'True', 'ComponentsDown', `no ready pod: ${down.join(', ')}`);
    return 'Degraded';
  }
  conditions.set('Degraded', 'False', 'AsExpected', 'nothing is failing');
  return 'Progressing';
}
