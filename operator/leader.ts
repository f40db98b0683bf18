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

/** What one try to acquire or renew the Lease found; `renewedAt` is the renewTime it wrote. */
type Attempt = { outcome: 'held'; renewedAt: number } | { outcome: 'held-by-another' | 'failed' };

export class LeaderElector {
  readonly #o: Required<Omit<LeaderElectionOptions, 'logger' | 'onStartedLeading' | 'onStoppedLeading'>> &
    LeaderElectionOptions;
  readonly #config: KubeConfig;
  #leading = false;
  #timer: NodeJS.Timeout | undefined;
  #deadline: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(config: KubeConfig, options: LeaderElectionOptions) {
    this.#o = { leaseDurationSeconds: 15, retryPeriodMs: 2_000, ...options };
    this.#config = config;
  }

  get leading(): boolean {
    return this.#leading;
  }

  /**
   * How long a leader keeps leading without a renewal, counted from the renewTime it wrote (the
   * instant others count the Lease's expiry from, not when the slow write came back). Shorter than
   * the Lease: a leader steps down before any other replica may take over (client-go's
   * renewDeadline, 10 s of 15).
   */
  get #renewDeadlineMs(): number {
    return (this.#o.leaseDurationSeconds * 1000 * 2) / 3;
  }

  start(): void {
    const tick = async () => {
      if (this.#stopped) return;
      const attempt = await this.#tryAcquireOrRenew().catch((error: unknown): Attempt => {
        this.#o.logger.warn({ err: error }, 'leader election: lease not renewed');
        return { outcome: 'failed' };
      });
      if (this.#stopped) return;
      if (attempt.outcome === 'held') this.#renewed(attempt.renewedAt);
      // Another replica holds a live Lease: it leads now, so this one stops at once.
      else if (attempt.outcome === 'held-by-another' && this.#leading)
        this.#stepDown('another replica holds the lease');
      this.#timer = setTimeout(() => void tick(), this.#o.retryPeriodMs);
    };
    void tick();
  }

  #renewed(renewedAt: number): void {
    if (!this.#leading) {
      this.#leading = true;
      this.#o.logger.info({ identity: this.#o.identity }, 'became leader');
      this.#o.onStartedLeading();
    }
    // The deadline runs on its own timer: a renewal stuck in a slow request must not keep a
    // replica leading past it.
    clearTimeout(this.#deadline);
    const left = renewedAt + this.#renewDeadlineMs - Date.now();
    this.#deadline = setTimeout(
      () => this.#stepDown('lease not renewed within the renew deadline'),
      Math.max(0, left),
    );
  }

  #stepDown(reason: string): void {
    clearTimeout(this.#deadline);
    if (!this.#leading) return;
    this.#leading = false;
    this.#o.logger.warn({ identity: this.#o.identity, reason }, 'lost leadership');
    this.#o.onStoppedLeading();
  }

  #path(name?: string): string {
    const base = `/apis/coordination.k8s.io/v1/namespaces/${this.#o.namespace}/leases`;
    return name ? `${base}/${name}` : base;
  }

  /** Stops competing; a leader gives the lease up so another replica takes over at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#deadline);
    if (!this.#leading) return;
    this.#leading = false;
    this.#o.onStoppedLeading();
    try {
      const lease = await this.#request<Lease>('GET', this.#path(this.#o.name));
      if (lease.spec?.holderIdentity !== this.#o.identity) return;
      const { holderIdentity: _released, ...rest } = lease.spec;
      await this.#request('PUT', this.#path(this.#o.name), {
        ...lease,
        spec: { ...rest, leaseDurationSeconds: 1 },
      });
    } catch (error) {
      this.#o.logger.warn({ err: error }, 'leader election: lease not released');
    }
  }

  /** A Lease request that gives up at the renew deadline: past it, its answer is of no use. */
  #request<T>(method: string, path: string, body?: unknown): Promise<T> {
    return rawRequest<T>(this.#config, method, path, body, 'application/json', this.#renewDeadlineMs);
  }

  async #tryAcquireOrRenew(): Promise<Attempt> {
    const { name, namespace, identity, leaseDurationSeconds } = this.#o;
    const now = new Date();
    let lease: Lease;
    try {
      lease = await this.#request<Lease>('GET', this.#path(name));
    } catch (error) {
      if (status(error) !== 404) throw error;
      try {
        await this.#request('POST', this.#path(), {
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
        return { outcome: 'held', renewedAt: now.getTime() };
      } catch (createError) {
        if (status(createError) === 409) return { outcome: 'held-by-another' }; // created first elsewhere
        throw createError;
      }
    }
    const spec = lease.spec ?? {};
    const renewed = spec.renewTime ? new Date(spec.renewTime).getTime() : 0;
    const expired = renewed + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000 < now.getTime();
    const mine = spec.holderIdentity === identity;
    if (!mine && spec.holderIdentity && !expired) return { outcome: 'held-by-another' };
    lease.spec = {
      ...spec,
      holderIdentity: identity,
      leaseDurationSeconds,
      acquireTime: mine && spec.acquireTime ? spec.acquireTime : micro(now),
      renewTime: micro(now),
      ...(mine ? {} : { leaseTransitions: (spec.leaseTransitions ?? 0) + 1 }),
    };
    try {
      await this.#request('PUT', this.#path(name), lease);
      return { outcome: 'held', renewedAt: now.getTime() };
    } catch (error) {
      // Someone else wrote it since it was read: whoever it was, the next read tells.
      if (status(error) === 409) return { outcome: 'failed' };
      throw error;
    }
  }
}
