import { Migration } from '@mikro-orm/migrations';

/**
 * Meetings (seed §6.10): meeting_rooms (title, schedule, password hash, settings, its host) and
 * meeting_participants (who joined, who was removed and may not come back).
 */
export class Migration20261130001410_meetings extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "rtc"."meeting_rooms" (
      "meeting_id" bigint primary key,
      "title" varchar(200) not null,
      "room_name" varchar(100) not null,
      "password_hash" varchar(200),
      "owner_id" bigint not null,
      "host_id" bigint not null,
      "max_participants" int not null default 100,
      "settings" jsonb not null,
      "start_time" timestamptz,
      "end_time" timestamptz,
      "status" varchar(20) not null default 'scheduled',
      "created_at" timestamptz not null default now()
    )`);
    this.addSql('create index "meeting_rooms_owner_idx" on "rtc"."meeting_rooms" ("owner_id")');
    this.addSql('create index "meeting_rooms_status_idx" on "rtc"."meeting_rooms" ("status")');
    this.addSql('create index "meeting_rooms_start_idx" on "rtc"."meeting_rooms" ("start_time")');
    this.addSql(`create table "rtc"."meeting_participants" (
      "meeting_id" bigint not null,
      "user_id" bigint not null,
      "removed" boolean not null default false,
      "joined_at" timestamptz not null default now(),
      primary key ("meeting_id", "user_id")
    )`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "rtc"."meeting_participants"');
    this.addSql('drop table if exists "rtc"."meeting_rooms"');
  }
}
