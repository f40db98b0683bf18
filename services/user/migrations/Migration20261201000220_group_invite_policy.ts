import { Migration } from '@mikro-orm/migrations';

/**
 * Who may add a user to groups directly: `friends` by default (a stranger's addition is an
 * invitation the user accepts or declines), `nobody` or `everyone`.
 */
export class Migration20261201000220_group_invite_policy extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table "user"."user_settings" add column "group_invite_policy" varchar(10) not null default 'friends'`,
    );
  }

  override async down(): Promise<void> {
    this.addSql('alter table "user"."user_settings" drop column "group_invite_policy"');
  }
}
