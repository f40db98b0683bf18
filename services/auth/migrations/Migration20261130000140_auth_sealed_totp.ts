import { Migration } from '@mikro-orm/migrations';
import { fieldKeysTableSql } from '../../platform/security/field-keys.ts';

/**
 * TOTP secrets sealed at rest (AES-256-GCM, seed 002 §10.7): the column holds `enc1:<key id>:...`;
 * the keys generated when none is configured live in `field_keys`. Plain secrets already stored are
 * sealed by the service at start (the key comes from settings, which a migration does not see).
 */
export class Migration20261130000140_auth_sealed_totp extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "auth"."user_second_factors" alter column "secret" type text');
    this.addSql(fieldKeysTableSql('auth'));
  }

  override async down(): Promise<void> {
    this.addSql('drop table "auth"."field_keys"');
  }
}
