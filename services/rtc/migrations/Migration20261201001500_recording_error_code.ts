import { Migration } from '@mikro-orm/migrations';

/**
 * A failed recording says why with a §7 code a client can show in its language, beside LiveKit's
 * words in `error`: 100114 (no Egress worker took the start), 100110 (LiveKit unreachable), 100117
 * (the host's storage could not keep the file). Null for an egress that failed on its own.
 */
export class Migration20261201001500_recording_error_code extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "rtc"."meeting_recordings" add column "error_code" int');
  }

  override async down(): Promise<void> {
    this.addSql('alter table "rtc"."meeting_recordings" drop column "error_code"');
  }
}
