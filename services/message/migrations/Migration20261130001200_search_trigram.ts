import { Migration } from '@mikro-orm/migrations';

/**
 * Keyword search through a trigram index (pg_trgm): `search_text ILIKE '%…%'` is answered from the
 * GIN index for any term of three or more characters, Chinese included (trigrams are taken over
 * characters, not words, so text without spaces is indexed all the same). The extension goes into
 * the service's own schema; where a database already has it elsewhere, the index names the
 * operator class in that schema. On a partitioned table the index covers every partition,
 * including those the partition module creates later.
 */
export class Migration20261130001200_search_trigram extends Migration {
  override async up(): Promise<void> {
    this.addSql(`do $$
    declare
      v_schema text;
    begin
      create extension if not exists pg_trgm schema "message";
      select n.nspname into v_schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace
        where e.extname = 'pg_trgm';
      execute format(
        'create index if not exists "messages_search_trgm_idx" on "message"."messages" using gin ("search_text" %I.gin_trgm_ops)',
        v_schema);
    end
    $$`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists "message"."messages_search_trgm_idx"');
  }
}
