/**
 * Leader election over a coordination.k8s.io Lease, so that of several operator replicas exactly
 * one reconciles at a time. Writes carry the Lease's resourceVersion: two replicas racing for it
 * cannot both win (the loser gets 409 and stays a follower).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../common/index.ts';
import { RawApiError, rawRequest } from './raw.ts';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds?: number;
  retryPeriodMs?: number;
  logger: Logger;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
}

/** Lease times are MicroTime: six fractional digits. */
const micro = (date: Date) => date.toISOString().replace(/Z$/, '000Z');

const status = (error: unknown) => (error instanceof RawApiError ? error.status : undefined);

interface Lease {
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export class LeaderElector {
  readonly #o: Required<Omit<LeaderElectionOptions, 'logger' | 'onStartedLeading' | 'onStoppedLeading'>> &
    LeaderElectionOptions;
  readonly #config: KubeConfig;
  #leading = false;
  #lastRenewal = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(config: KubeConfig, options: LeaderElectionOptions) {
    this.#o = { leaseDurationSeconds: 15, retryPeriodMs: 2_000, ...options };
    this.#config = config;
  }

  get leading(): boolean {
    return this.#leading;
  }

  start(): void {
    const tick = async () => {
      if (this.#stopped) return;
      const held = await this.#tryAcquireOrRenew().catch((error: unknown) => {
        this.#o.logger.warn({ err: error }, 'leader election: lease not renewed');
        return false;
      });
      const now = Date.now();
      if (held) this.#lastRenewal = now;
      if (held && !this.#leading) {
        this.#leading = true;
        this.#o.logger.info({ identity: this.#o.identity }, 'became leader');
        this.#o.onStartedLeading();
      } else if (
        !held &&
        this.#leading &&
        now - this.#lastRenewal > this.#o.leaseDurationSeconds * 1000 * 0.8
      ) {
        // Could not renew before others may take over: stop reconciling first.
        this.#leading = false;
        this.#o.logger.warn({ identity: this.#o.identity }, 'lost leadership');
        this.#o.onStoppedLeading();
      }
      if (!this.#stopped) this.#timer = setTimeout(() => void tick(), this.#o.retryPeriodMs);
    };
    void tick();
  }

  /** Stops competing; a leader gives the lease up so another replica takes over at once. */
  #path(name?: string): string {
    const base = `/apis/coordination.k8s.io/v1/namespaces/${this.#o.namespace}/leases`;
    return name ? `${base}/${name}` : base;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (!this.#leading) return;
    this.#leading = false;
    this.#o.onStoppedLeading();
    try {
      const lease = await rawRequest<Lease>(this.#config, 'GET', this.#path(this.#o.name));
      if (lease.spec?.holderIdentity !== this.#o.identity) return;
      const { holderIdentity: _released, ...rest } = lease.spec;
      await rawRequest(this.#config, 'PUT', this.#path(this.#o.name), {
        ...lease,
        spec: { ...rest, leaseDurationSeconds: 1 },
      });
    } catch (error) {
      this.#o.logger.warn({ err: error }, 'leader election: lease not released');
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { name, namespace, identity, leaseDurationSeconds } = this.#o;
    const now = new Date();
    let lease: Lease;
    try {
      lease = await rawRequest<Lease>(this.#config, 'GET', this.#path(name));
    } catch (error) {
      if (status(error) !== 404) throw error;
      try {
        await rawRequest(this.#config, 'POST', this.#path(), {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds,
            acquireTime: micro(now),
            renewTime: micro(now),
            leaseTransitions: 0,
          },
        });
        return true;
      } catch (createError) {
        if (status(createError) === 409) return false; // another replica created it first
        throw createError;
      }
    }
    const spec = lease.spec ?? {};
    const renewed = spec.renewTime ? new Date(spec.renewTime).getTime() : 0;
    const expired = renewed + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000 < now.getTime();
    const mine = spec.holderIdentity === identity;
    if (!mine && spec.holderIdentity && !expired) return false;
    lease.spec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds,
      acquireTime: mine && spec.acquireTime ? spec.acquireTime : micro(now),
      renewTime: micro(now),
      ...(mine ? {} : { leaseTransitions: (spec.leaseTransitions ?? 0) + 1 }),
    };
    try {
      await rawRequest(this.#config, 'PUT', this.#path(name), lease);
      return true;
    } catch (error) {
      if (status(error) === 409) return false; // someone else wrote it since we read it
      throw error;
    }
  }
}
