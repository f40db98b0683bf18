/**
 * Steady one-to-one load over checked pairs (checked-pair.ts) while faults are injected: sends at a
 * fixed rate whatever happens to the server, measures how long each fault takes to recover from, and
 * at the end waits for every send to be acknowledged and delivered before counting.
 */
import { befriend, inBatches, percentile, register } from '../load/support.ts';
import { CheckedPair, type PairCounts } from './checked-pair.ts';

export interface Recovery {
  fault: string;
  /** From the fault to the killed part serving again (as the shape saw it). */
  restartS: number;
  /**
   * From the fault until every socket was connected again and every message sent before the
   * restart was acknowledged and delivered: what a user waits at most.
   */
  recoverS: number | null;
  /** ERROR answers to sends (by code) from the fault until recovery; the client sent them again. */
  sendErrors: Record<string, number>;
}

export interface LoadReport {
  pairs: number;
  rate: number;
  counts: Omit<PairCounts, 'sendErrors'>;
  sendErrors: Record<string, number>;
  latencyMs: { p50: number; p99: number; max: number; steadyP99: number };
  recoveries: Recovery[];
  ok: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class CheckedLoad {
  readonly pairs: CheckedPair[] = [];
  readonly recoveries: Recovery[] = [];
  readonly #rate: number;
  readonly #faultWindows: Array<[number, number]> = [];
  #running = false;
  #loop: Promise<void> | undefined;

  private constructor(rate: number) {
    this.#rate = rate;
  }

  /**
   * Registers and befriends `pairs` pairs through `apiUrl` and connects them, socket number `s`
   * (2 × pair + 0 for the sender, 1 for the receiver) to the gateway `gatewayUrl(s)` names at that
   * moment (the shape may name another while one is down).
   */
  static async setUp(options: {
    apiUrl: string;
    gatewayUrl: (socket: number) => string;
    pairs: number;
    rate: number;
  }) {
    const load = new CheckedLoad(options.rate);
    const prefix = `flt${Date.now().toString(36)}`;
    const accounts: Array<[Awaited<ReturnType<typeof register>>, Awaited<ReturnType<typeof register>>]> = [];
    await inBatches(options.pairs, async (index) => {
      const a = await register(options.apiUrl, `${prefix}a${index}`);
      const b = await register(options.apiUrl, `${prefix}b${index}`);
      await befriend(options.apiUrl, a, b);
      accounts[index] = [a, b];
    });
    await inBatches(options.pairs, async (index) => {
      const [a, b] = accounts[index]!;
      const pair = new CheckedPair(
        index,
        (role) => options.gatewayUrl(2 * index + role).replace(/^http/, 'ws'),
        a,
        b,
      );
      await pair.start();
      load.pairs[index] = pair;
    });
    return load;
  }

  /** Starts sending: the pairs take turns, spread evenly over each second. */
  start() {
    this.#running = true;
    this.#loop = (async () => {
      const intervalMs = 1000 / this.#rate;
      let next = performance.now();
      let turn = 0;
      while (this.#running) {
        this.pairs[turn++ % this.pairs.length]!.generate(performance.now());
        next += intervalMs;
        const wait = next - performance.now();
        if (wait > 1) await sleep(wait);
        else if (turn % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    })();
  }

  /**
   * Injects a fault (`inject` kills something and brings it back, answering when it serves again)
   * and measures the recovery, giving up after `limitS`.
   */
  async fault(name: string, inject: () => Promise<void>, limitS = 120): Promise<Recovery> {
    const faultAt = performance.now();
    const errorsBefore = this.#sendErrors();
    await inject();
    const restartedAt = performance.now();
    const deadline = restartedAt + limitS * 1000;
    let recoveredAt: number | undefined;
    while (performance.now() < deadline) {
      if (this.pairs.every((pair) => pair.open && pair.outstandingBefore(restartedAt) === 0)) {
        recoveredAt = performance.now();
        break;
      }
      await sleep(50);
    }
    this.#faultWindows.push([faultAt, recoveredAt ?? deadline]);
    const recovery: Recovery = {
      fault: name,
      restartS: Number(((restartedAt - faultAt) / 1000).toFixed(2)),
      recoverS: recoveredAt === undefined ? null : Number(((recoveredAt - faultAt) / 1000).toFixed(2)),
      sendErrors: Object.fromEntries(
        Object.entries(this.#sendErrors())
          .map(([code, n]) => [code, n - (errorsBefore[code] ?? 0)])
          .filter(([, n]) => n !== 0),
      ),
    };
    this.recoveries.push(recovery);
    return recovery;
  }

  /** ERROR answers to sends so far, by code, over every pair. */
  #sendErrors(): Record<string, number> {
    const totals: Record<string, number> = {};
    for (const pair of this.pairs)
      for (const [code, n] of Object.entries(pair.counts.sendErrors)) totals[code] = (totals[code] ?? 0) + n;
    return totals;
  }

  /**
   * Stops sending, waits (up to `settleS`) for every send to be acknowledged and delivered, asks each
   * receiver still missing something for a SYNC, and counts.
   */
  async finish(settleS = 60): Promise<LoadReport> {
    this.#running = false;
    await this.#loop;
    const deadline = performance.now() + settleS * 1000;
    while (
      performance.now() < deadline &&
      this.pairs.some((pair) => pair.unacked > 0 || pair.undelivered > 0)
    )
      await sleep(100);
    await Promise.all(
      this.pairs
        .filter((pair) => pair.undelivered > 0)
        .map((pair) => Promise.race([pair.finalSync(), sleep(15_000)])),
    );
    const all = this.pairs.map((pair) => pair.finish());
    const sum = (key: keyof Omit<PairCounts, 'sendErrors'>) => all.reduce((n, c) => n + c[key], 0);
    const counts = {
      generated: sum('generated'),
      acked: sum('acked'),
      sendsWritten: sum('sendsWritten'),
      resentSends: sum('resentSends'),
      delivered: sum('delivered'),
      lost: sum('lost'),
      duplicated: sum('duplicated'),
      outOfOrder: sum('outOfOrder'),
      syncGaps: sum('syncGaps'),
      pushResends: sum('pushResends'),
      byFinalSync: sum('byFinalSync'),
      reconnects: sum('reconnects'),
      refused: sum('refused'),
    };
    const sendErrors = this.#sendErrors();
    const samples = this.pairs.flatMap((pair) => pair.latencies);
    const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
    const steady = samples
      .filter((s) => !this.#faultWindows.some(([from, to]) => s.sentAt >= from - 1000 && s.sentAt <= to))
      .map((s) => s.ms)
      .sort((a, b) => a - b);
    const round = (ms: number) => Number(ms.toFixed(1));
    return {
      pairs: this.pairs.length,
      rate: this.#rate,
      counts,
      sendErrors,
      latencyMs: {
        p50: round(percentile(sorted, 50)),
        p99: round(percentile(sorted, 99)),
        max: round(sorted.at(-1) ?? 0),
        steadyP99: round(percentile(steady, 99)),
      },
      recoveries: this.recoveries,
      ok:
        counts.acked === counts.generated &&
        counts.lost === 0 &&
        counts.duplicated === 0 &&
        counts.outOfOrder === 0 &&
        counts.syncGaps === 0 &&
        counts.refused === 0 &&
        this.recoveries.every((r) => r.recoverS !== null),
    };
  }
}

/** One line for people, after the JSON. */
export function summary(report: LoadReport): string {
  const c = report.counts;
  const recoveries = report.recoveries
    .map(
      (r) =>
        `${r.fault}: back ${r.restartS} s, recovered ${r.recoverS ?? 'NOT'} s, send errors ${JSON.stringify(r.sendErrors)}`,
    )
    .join('; ');
  return (
    `${report.ok ? 'OK' : 'FAILED'}: ${report.pairs} pairs at ${report.rate} msg/s, ${c.acked}/${c.generated} acked, ` +
    `${c.delivered} delivered (${c.byFinalSync} by the final sync), ${c.lost} lost, ${c.duplicated} duplicated, ` +
    `${c.outOfOrder} out of order, ${c.syncGaps} syncSeq gaps, ${c.resentSends} sends resent, ${c.reconnects} reconnects, ` +
    `p50 ${report.latencyMs.p50} ms p99 ${report.latencyMs.p99} ms (outside faults ${report.latencyMs.steadyP99} ms); ${recoveries}`
  );
}
