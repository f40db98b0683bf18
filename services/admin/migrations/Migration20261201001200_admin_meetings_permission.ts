import { Migration } from '@mikro-orm/migrations';

/**
 * The `meetings:write` permission (ending any meeting for everyone), granted to the built-in roles
 * that run the platform: superadmin (1) and operator (2); auditors only read. A database created
 * after the permission existed has it from the first migration already, hence `on conflict`.
 */
export class Migration20261201001200_admin_meetings_permission extends Migration {
  override async up(): Promise<void> {
    this.addSql(`insert into "admin"."admin_permissions" ("code", "description")
      values ('meetings:write', 'End any meeting for everyone') on conflict do nothing`);
    this.addSql(`insert into "admin"."admin_role_permissions" ("role_id", "permission")
      values (1, 'meetings:write'), (2, 'meetings:write') on conflict do nothing`);
  }

  override async down(): Promise<void> {
    this.addSql(`delete from "admin"."admin_role_permissions" where "permission" = 'meetings:write'`);
    this.addSql(`delete from "admin"."admin_permissions" where "code" = 'meetings:write'`);
  }
}
