/**
 * What imctl says to bad input, missing logins and unreachable servers: a message naming the
 * problem and the fix on stderr, nothing on stdout, and the documented exit code (cli/README.md).
 * Nothing here needs a running platform; the admin API end to end is tested with the admin service.
 */
import { writeFileSync } from 'node:fs';
import { expect } from 'chai';
import { type ImctlResult, imctl, tempConfigPath } from '../support/imctl.ts';
import { freePort } from '../support/processes.ts';

const expectFailure = (result: ImctlResult, code: number, message: RegExp) => {
  expect(result.code, `exit code; stderr: ${result.stderr}`).to.equal(code);
  expect(result.stderr).to.match(message);
  expect(result.stdout).to.equal('');
};

/** A login file as `imctl login` writes it, for a server of the test's choosing. */
function storedLogin(server: string, expiresAt = new Date(Date.now() + 3_600_000).toISOString()): string {
  const path = tempConfigPath();
  writeFileSync(path, JSON.stringify({ server, token: 'stored-token', expiresAt, username: 'ops' }), {
    mode: 0o600,
  });
  return path;
}

/** The command paths listed under "Commands:" in a help text (`imctl users list` → ['users', 'list']). */
function subcommands(help: string): string[][] {
  const section = help.split(/^Commands:$/m)[1]?.split(/\n\s*\n/)[0] ?? '';
  return section
    .split('\n')
    .map((line) => line.trim().split(/\s{2,}/)[0] ?? '')
    .filter((usage) => usage.startsWith('imctl '))
    .map((usage) =>
      usage
        .split(' ')
        .slice(1)
        .filter((word) => !/^[<[]/.test(word)),
    );
}

describe('imctl usage errors and exit codes', function () {
  this.timeout(30_000);

  it('refuses unknown commands and options with exit code 2', async () => {
    expectFailure(await imctl(['bogus']), 2, /unknown command "bogus"[\s\S]*imctl --help/);
    expectFailure(await imctl(['xyzzyq']), 2, /unknown command "xyzzyq"\nrun `imctl --help`/);
    expectFailure(await imctl(['users', 'bam']), 2, /unknown command "bam". Did you mean ban\?/);
    expectFailure(await imctl(['users', 'list', '--bogus']), 2, /Unknown argument: bogus/);
    expectFailure(await imctl([]), 2, /name a command/);
    expectFailure(await imctl(['users']), 2, /name one of the users commands[\s\S]*imctl users --help/);
  });

  it('names missing arguments and the usage of the command', async () => {
    expectFailure(await imctl(['users', 'ban']), 2, /missing arguments: usage: imctl users ban <userId>/);
    expectFailure(await imctl(['users', 'ban', '42']), 2, /Missing required argument: reason/);
    expectFailure(
      await imctl(['groups', 'remove-member', '7']),
      2,
      /usage: imctl groups remove-member <groupId> <userId>/,
    );
    expectFailure(await imctl(['admin', 'create']), 2, /Missing required argument: username/);
  });

  it('validates values before anything is sent', async () => {
    expectFailure(
      await imctl(['users', 'ban', '42', '--reason', 'spam', '--duration', '5x']),
      2,
      /invalid --duration "5x": use a number with a unit, like 90s, 30m, 1h, 7d/,
    );
    expectFailure(await imctl(['users', 'list', '--output', 'xml']), 2, /Argument: output, Given: "xml"/);
    expectFailure(await imctl(['users', 'list', '--page', 'two']), 2, /--page must be a whole number/);
    expectFailure(
      await imctl(['users', 'list', '--state', 'sleeping']),
      2,
      /Argument: state, Given: "sleeping"/,
    );
    expectFailure(await imctl(['audit', '--since', 'yesterday']), 2, /invalid --since "yesterday"/);
    expectFailure(await imctl(['stats', '--interval', '10ms']), 2, /--interval must be at least 500ms/);
    expectFailure(
      await imctl(['users', 'list', '--server', 'ftp://example.com']),
      2,
      /only http:\/\/ and https:\/\//,
    );
  });

  it('exits 3 and says to run imctl login when there is no valid login', async () => {
    expectFailure(await imctl(['users', 'list']), 3, /not logged in: run `imctl login --server URL`/);
    expectFailure(
      await imctl(['users', 'list', '--server', 'http://127.0.0.1:9']),
      3,
      /not logged in to http:\/\/127\.0\.0\.1:9: run `imctl login --server http:\/\/127\.0\.0\.1:9`/,
    );
    const expired = storedLogin('http://127.0.0.1:9', '2020-01-01T00:00:00.000Z');
    expectFailure(
      await imctl(['stats'], { configPath: expired }),
      3,
      /login to http:\/\/127\.0\.0\.1:9 expired at 2020-01-01T00:00:00\.000Z: run `imctl login/,
    );
  });

  it('exits 5 when the server cannot be reached', async () => {
    const server = `http://127.0.0.1:${await freePort()}`;
    const configPath = storedLogin(server);
    expectFailure(
      await imctl(['users', 'list'], { configPath }),
      5,
      /cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\): is the server running\? pass --server/,
    );
    expectFailure(
      await imctl(['login', '--server', server, '--username', 'ops', '--password-stdin'], {
        stdin: 'secret\n',
      }),
      5,
      /cannot reach/,
    );
  });

  it('never asks without a terminal: destructive commands need --yes, passwords --password-stdin', async () => {
    const configPath = storedLogin(`http://127.0.0.1:${await freePort()}`);
    expectFailure(
      await imctl(['users', 'delete', '42'], { configPath }),
      2,
      /delete user 42: refusing without --yes when stdin is not a terminal/,
    );
    expectFailure(
      await imctl(['groups', 'dismiss', '7'], { configPath }),
      2,
      /dismiss group 7: refusing without --yes/,
    );
    expectFailure(
      await imctl(['login', '--server', 'http://127.0.0.1:9', '--username', 'ops']),
      2,
      /pass --password-stdin/,
    );
    expectFailure(
      await imctl(['login', '--server', 'http://127.0.0.1:9', '--password-stdin'], { stdin: 'x' }),
      2,
      /pass --username/,
    );
  });

  it('needs a database URL for the database commands, and exits 5 when it cannot connect', async () => {
    expectFailure(await imctl(['partitions', 'list']), 2, /no database: pass --database-url/);
    expectFailure(await imctl(['migrate']), 2, /no database: pass --database-url/);
    expectFailure(
      await imctl(['migrate', '--services', 'Bad Name', '--database-url', 'postgres://x@h/db']),
      2,
      /--services/,
    );
    expectFailure(
      await imctl(['migrate', '--services', 'message,nosuch', '--database-url', 'postgres://x@h/db']),
      2,
      /unknown service\(s\) nosuch; known: all, .*message/,
    );
    const url = `postgres://anychat:secret@127.0.0.1:${await freePort()}/anychat`;
    const unreachable = await imctl(['partitions', 'list', '--database-url', url]);
    expectFailure(unreachable, 5, /cannot reach the database at postgres:\/\/anychat:\*\*\*@127\.0\.0\.1/);
    expect(unreachable.stderr).not.to.include('secret');
    const firstAdmin = await imctl(
      ['admin', 'create', '--username', 'root', '--password-stdin', '--database-url', url],
      { stdin: 'long enough password' },
    );
    expectFailure(firstAdmin, 5, /cannot reach the database at postgres:\/\/anychat:\*\*\*@127\.0\.0\.1/);
  });

  it('prints its version and a shell completion script', async () => {
    const version = await imctl(['--version']);
    expect(version.code).to.equal(0);
    expect(version.stdout.trim()).to.match(/^\d+\.\d+\.\d+/);
    const completion = await imctl(['completion']);
    expect(completion.code).to.equal(0);
    expect(completion.stdout).to.include('imctl --get-yargs-completions');
  });

  it('shows at least one example in the --help of every command', async function () {
    this.timeout(120_000);
    const seen: string[] = [];
    const pending: string[][] = [[]];
    while (pending.length > 0) {
      // Two at a time: each help is a Node start.
      const batch = pending.splice(0, 2);
      const helps = await Promise.all(batch.map((path) => imctl([...path, '--help'])));
      batch.forEach((path, i) => {
        const help = helps[i]!;
        const name = ['imctl', ...path].join(' ');
        seen.push(name);
        expect(help.code, `${name} --help: ${help.stderr}`).to.equal(0);
        const examples = help.stdout.split(/^Examples:$/m)[1] ?? '';
        expect(examples, `${name} --help has no examples:\n${help.stdout}`).to.match(/^\s+imctl \S/m);
        for (const sub of subcommands(help.stdout))
          if (sub.length > path.length && sub[0] !== 'completion') pending.push(sub);
      });
    }
    for (const command of [
      'imctl users ban',
      'imctl groups remove-member',
      'imctl messages recall',
      'imctl broadcast',
      'imctl sensitive-words add',
      'imctl admin create',
      'imctl cluster status',
      'imctl partitions ensure',
      'imctl migrate',
      'imctl dev',
    ])
      expect(seen).to.include(command);
    expect(seen.length).to.be.greaterThan(30);
  });
});
