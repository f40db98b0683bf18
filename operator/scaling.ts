/**
 * Gateway replicas from open connections: ceil(connections / target per pod) within min..max.
 * Scaling up happens at once; scaling down only to the highest recommendation of the stabilization
 * window, so a dip does not drain gateways that would be needed again a minute later (the HPA rule).
 */
import type { ImClusterSpec } from './spec.ts';

type Autoscaling = ImClusterSpec['gateway']['autoscaling'];

export class GatewayScaler {
  readonly #history = new Map<string, Array<{ at: number; replicas: number }>>();

  recommend(clusterKey: string, connections: number, autoscaling: Autoscaling, now = Date.now()): number {
    const raw = Math.min(
      autoscaling.maxReplicas,
      Math.max(autoscaling.minReplicas, Math.ceil(connections / autoscaling.targetConnectionsPerPod)),
    );
    const windowMs = autoscaling.scaleDownStabilizationSeconds * 1000;
    const history = (this.#history.get(clusterKey) ?? []).filter((entry) => now - entry.at <= windowMs);
    history.push({ at: now, replicas: raw });
    this.#history.set(clusterKey, history);
    return Math.max(...history.map((entry) => entry.replicas));
  }

  forget(clusterKey: string): void {
    this.#history.delete(clusterKey);
  }
}
