/** imctl's database commands against a fresh database on the machine's PostgreSQL. */
import { expect } from 'chai';
import { withPostgres } from '../../common/index.ts';
import { type Backend, createBackend, requirePostgres } from '../support/backends.ts';
import { imctl } from '../support/imctl.ts';

describe('imctl migrate, partitions and the first admin against PostgreSQL', function () {
  this.timeout(120_000);
  let backend: Backend;
  let databaseUrl: string;

  before(async function () {
    await requirePostgres(this);
    backend = await createBackend('postgresql');
    databaseUrl = backend.env.DATABASE_URL!;
  });
  after(async () => backend?.dispose());

  it('migrates every schema once, then reports them up to date', async () => {
    const first = await imctl(['migrate', '--database-url', databaseUrl], { timeoutMs: 90_000 });
    expect(first.code, first.stderr).to.equal(0);
    expect(JSON.stringify(first.json())).to.include('Migration20261122000700_admin');
    const again = await imctl(['migrate', '--database-url', databaseUrl, '--output', 'table'], {
      timeoutMs: 90_000,
    });
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.match(/up to date/);
  });

  it('lists the monthly partitions, and ensure creates the current month and those ahead', async () => {
    const before = await imctl(['partitions', 'list', '--database-url', databaseUrl]);
    expect(before.code, before.stderr).to.equal(0);
    const months = (result: typeof before) =>
      result.json<{ partitions: Array<{ month: string }> }>().partitions.map((p) => p.month);
    // Migrations create the partitioned table; its months come from the partition maintenance.
    expect(months(before)).to.deep.equal([]);
    expect(before.stderr).to.include('imctl partitions ensure');
    const current = new Date().toISOString().slice(0, 7);

    const ensured = await imctl([
      'partitions',
      'ensure',
      '--months-ahead',
      '6',
      '--database-url',
      databaseUrl,
    ]);
    expect(ensured.code, ensured.stderr).to.equal(0);
    const after = months(await imctl(['partitions', 'list', '--database-url', databaseUrl]));
    const sixAhead = new Date();
    sixAhead.setUTCDate(1);
    sixAhead.setUTCMonth(sixAhead.getUTCMonth() + 6);
    expect(after).to.include.members([current, sixAhead.toISOString().slice(0, 7)]);

    const bad = await imctl(['partitions', 'ensure', '--months-ahead', '99', '--database-url', databaseUrl]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include('months-ahead');
  });

  it('creates the first admin straight in the database, refusing bad input with its field and exit 2', async () => {
    const create = (username: string, password: string, ...more: string[]) =>
      imctl(
        [
          'admin',
          'create',
          '--username',
          username,
          '--password-stdin',
          '--database-url',
          databaseUrl,
          ...more,
        ],
        { stdin: password },
      );
    const weak = await create('root', 'short');
    expect(weak.code).to.equal(2);
    expect(weak.stderr).to.match(/password: at least 12 characters/);

    const created = await create('root', 'long enough password', '--role', 'auditor');
    expect(created.code, created.stderr).to.equal(0);
    expect(created.json<{ adminId: string; username: string; role: string }>()).to.include({
      username: 'root',
      role: 'auditor',
    });
    // The row is there, with a password hash and never the password.
    const [row] = await withPostgres(databaseUrl, (sql) =>
      sql.query<{ role: string; hash: string }>(
        `select r.name as role, u.password_hash as hash
           from admin.admin_users u join admin.admin_roles r using (role_id) where u.username = ?`,
        ['root'],
      ),
    );
    expect(row?.role).to.equal('auditor');
    expect(row?.hash).to.be.a('string').and.not.include('long enough password');

    const again = await create('root', 'long enough password');
    expect(again.code).to.equal(1);
    expect(again.stderr).to.match(/an administrator named root exists/);
  });
});
