import type { SqlExecutor } from '../../platform/db/index.ts';

export interface ProviderCounts {
  provider: string;
  success: number;
  failed: number;
}

/** Push attempts per provider over a recent window, from push_logs (admin stats, imctl stats). */
export class PushStatistics {
  readonly #sql: SqlExecutor;

  constructor(sql: SqlExecutor) {
    this.#sql = sql;
  }

  async recent(minutes: number): Promise<ProviderCounts[]> {
    const rows = await this.#sql.query<{ provider: string; success: string; failed: string }>(
      `select "provider", count(*) filter (where "status" = 'success') as "success",
         count(*) filter (where "status" <> 'success') as "failed"
       from "push"."push_logs" where "created_at" > now() - make_interval(mins => ?)
       group by "provider" order by "provider"`,
      [minutes],
    );
    return rows.map((row) => ({
      provider: row.provider,
      success: Number(row.success),
      failed: Number(row.failed),
    }));
  }
}
