import { Migration } from '@mikro-orm/migrations';

/** Bot accounts' profiles (auth's bots): `bot_owner_id` is set for a bot, and names its owner. */
export class Migration20261201001010_bot_profiles extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "user"."user_profiles" add column "bot_owner_id" bigint null');
  }

  override async down(): Promise<void> {
    this.addSql('alter table "user"."user_profiles" drop column "bot_owner_id"');
  }
}
