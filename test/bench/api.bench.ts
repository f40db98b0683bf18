/**
 * API throughput baseline: `node test/bench/api.bench.ts [pglite|postgresql]`.
 * Starts the embedded platform, then measures authenticated reads (GET /users/me: JWT verify,
 * revocation lookup, one profile query) under concurrency, and sequential logins (argon2id).
 * Results go to BENCHMARKS.md by hand, with the machine they ran on.
 */
import { type ApiClient, registerUser } from '../support/api-client.ts';
import { startPlatform } from '../support/platform.ts';

const backend = (process.argv[2] ?? 'pglite') as 'pglite' | 'postgresql';
const CONCURRENCY = 32;
const DURATION_MS = 10_000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const platform = await startPlatform(backend);
try {
  const api: ApiClient = platform.api;
  const user = await registerUser(api);
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + DURATION_MS;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const started = performance.now();
        const response = await api.call('GET', '/api/v1/users/me', { token: user.accessToken });
        latencies.push(performance.now() - started);
        if (response.status !== 200) errors++;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const logins: number[] = [];
  for (let i = 0; i < 20; i++) {
    const started = performance.now();
    await api.ok('POST', '/api/v1/auth/login', {
      body: { account: user.account, password: user.password, deviceType: 'Web', deviceId: `bench-${i}` },
    });
    logins.push(performance.now() - started);
  }
  logins.sort((a, b) => a - b);
  const memory = process.memoryUsage();
  console.log(
    JSON.stringify(
      {
        backend,
        node: process.version,
        usersMe: {
          concurrency: CONCURRENCY,
          requests: latencies.length,
          errors,
          perSecond: Math.round(latencies.length / (DURATION_MS / 1000)),
          p50ms: +percentile(latencies, 50).toFixed(1),
          p99ms: +percentile(latencies, 99).toFixed(1),
        },
        login: { p50ms: +percentile(logins, 50).toFixed(1), p99ms: +percentile(logins, 99).toFixed(1) },
        rssMiB: Math.round(memory.rss / 2 ** 20),
      },
      null,
      2,
    ),
  );
} finally {
  await platform.stop();
}
