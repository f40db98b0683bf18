import { Migration } from '@mikro-orm/migrations';

/**
 * Dapr's PostgreSQL state stores keep their schema version in `dapr_metadata`, which every sidecar
 * creates at start with `CREATE TABLE IF NOT EXISTS`. Sidecars starting together race on it: one
 * fails with 42710 (type already exists), which Dapr does not retry, and exits (`dapr run -f`
 * leaves it down; Kubernetes restarts it). Created here, before any sidecar starts, the race is
 * gone. Same columns as Dapr's; harmless where the state store lives in another database.
 */
export class Migration20261130000000_dapr_metadata extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      'create table if not exists "public"."dapr_metadata" ("key" text not null primary key, "value" text not null)',
    );
  }

  override async down(): Promise<void> {
    // Dapr's table from here on: its state stores keep their versions in it.
  }
}
