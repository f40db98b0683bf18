import { Migration } from '@mikro-orm/migrations';

/**
 * meeting_recordings (seed §4.10 names the table, §6 gives no columns): one LiveKit Egress of a
 * meeting's room, from start to its file. `file_id` is chosen when recording starts so that
 * registering the file with the file service is idempotent; it names a file only once `done`.
 * At most one recording of a meeting runs at a time (the partial unique index).
 */
export class Migration20261201001400_meeting_recordings extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "rtc"."meeting_recordings" (
      "recording_id" bigint primary key,
      "meeting_id" bigint not null,
      "egress_id" varchar(100) unique,
      "started_by" bigint not null,
      "status" varchar(10) not null,
      "storage_key" varchar(500) not null unique,
      "file_id" bigint not null,
      "duration_ms" bigint,
      "size" bigint,
      "error" varchar(500),
      "started_at" timestamptz not null default now(),
      "ended_at" timestamptz
    )`);
    this.addSql(
      'create index "meeting_recordings_meeting_idx" on "rtc"."meeting_recordings" ("meeting_id", "started_at")',
    );
    this.addSql(
      `create unique index "meeting_recordings_running_idx" on "rtc"."meeting_recordings" ("meeting_id")
       where "status" in ('starting', 'active', 'stopping')`,
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "rtc"."meeting_recordings"');
  }
}
