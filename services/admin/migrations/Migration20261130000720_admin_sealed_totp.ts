import { Migration } from '@mikro-orm/migrations';
import { fieldKeysTableSql } from '../../platform/security/field-keys.ts';

/**
 * Administrators' TOTP secrets sealed at rest (AES-256-GCM, seed 002 §10.7): `totp_secret` holds
 * `enc1:<key id>:...`; keys generated when none is configured live in `field_keys`. Plain secrets
 * already stored are sealed by the service at start (the key comes from settings).
 */
export class Migration20261130000720_admin_sealed_totp extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "admin"."admin_users" alter column "totp_secret" type text');
    this.addSql(fieldKeysTableSql('admin'));
  }

  override async down(): Promise<void> {
    this.addSql('drop table "admin"."field_keys"');
  }
}
