import { Migration } from '@mikro-orm/migrations';

/** Calls not ended yet, counted at every metrics scrape (anychat_rtc_calls_active): a small index, not the whole history. */
export class Migration20261201001800_calls_active extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create index "call_sessions_active_idx" on "rtc"."call_sessions" ("status") where "end_time" is null`,
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop index "rtc"."call_sessions_active_idx"');
  }
}
