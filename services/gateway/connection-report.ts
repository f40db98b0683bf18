import { GATEWAY_CONNECTIONS_KEY, type GatewayConnectionsReport } from '../platform/contracts/index.ts';
import type { Logger } from '../platform/logger.ts';
import { type StateStore, updateItem } from '../platform/ports/index.ts';

export interface ConnectionReporterOptions {
  /** The shared state store every gateway instance writes its count into. */
  store: StateStore;
  instanceId: string;
  intervalSeconds: number;
  count: () => number;
  logger: Logger;
}

/** Least time between two reports caused by connects and disconnects. */
const CHANGE_REPORT_GAP_MS = 1000;
/** Writers racing on the one document retry this often before giving up until the next report. */
const MAX_ATTEMPTS = 8;

/**
 * Reports this gateway instance's open connections into one shared-state document that every
 * instance writes (GATEWAY_CONNECTIONS_KEY): at start, every interval, and after connects and
 * disconnects (at most once a second). Writes are read-modify-write with ETags, retried on a
 * conflict; each write also prunes instances silent for three intervals, and the document itself
 * expires when no instance reports any more. Stopping removes this instance's entry.
 */
export class ConnectionReporter {
  readonly #o: ConnectionReporterOptions;
  #timer: NodeJS.Timeout | undefined;
  #soon: NodeJS.Timeout | undefined;
  #lastReport = 0;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(options: ConnectionReporterOptions) {
    this.#o = options;
  }

  start(): void {
    this.#timer = setInterval(() => this.#report(), this.#o.intervalSeconds * 1000);
    this.#timer.unref();
    this.#report();
  }

  /** A connection opened or closed: report soon, at most once a second. */
  changed(): void {
    if (this.#stopped || this.#soon) return;
    const wait = Math.max(0, this.#lastReport + CHANGE_REPORT_GAP_MS - Date.now());
    this.#soon = setTimeout(() => {
      this.#soon = undefined;
      this.#report();
    }, wait);
    this.#soon.unref();
  }

  /** Stops reporting and removes this instance's entry (draining or stopping). */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    clearTimeout(this.#soon);
    await this.#running;
    await this.#update((report) => {
      delete report.instances[this.#o.instanceId];
    }).catch((error: unknown) =>
      this.#o.logger.warn({ err: error }, 'could not remove the connection report'),
    );
  }

  /** One write at a time; a request during a write runs once after it. */
  #report(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#lastReport = Date.now();
    this.#running = this.#update((report) => {
      report.instances[this.#o.instanceId] = {
        connections: this.#o.count(),
        reportedAt: new Date().toISOString(),
      };
    })
      .catch((error: unknown) => this.#o.logger.warn({ err: error }, 'connection report failed'))
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.changed();
        }
      });
  }

  async #update(change: (report: GatewayConnectionsReport) => void): Promise<void> {
    const staleBefore = Date.now() - 3 * this.#o.intervalSeconds * 1000;
    await updateItem<GatewayConnectionsReport>(
      this.#o.store,
      GATEWAY_CONNECTIONS_KEY,
      (current) => {
        const instances = Object.fromEntries(
          Object.entries(current?.instances ?? {}).filter(
            ([id, entry]) => id === this.#o.instanceId || Date.parse(entry.reportedAt) >= staleBefore,
          ),
        );
        const report: GatewayConnectionsReport = { instances };
        change(report);
        return report;
      },
      // Gone with the last instance: a reader never sees a document nobody keeps up.
      { ttlInSeconds: 3 * this.#o.intervalSeconds, maxAttempts: MAX_ATTEMPTS, jitterMs: 20 },
    );
  }
}
