import { createInterface } from 'node:readline';
import {
  ENTRY_POINTS,
  type MigrationResult,
  parseMigrationResultLine,
  SERVICE_NAMES,
} from '../../common/index.ts';
import { exitCodeOf, startEntryPoint } from '../child.ts';
import { defineCommand } from '../command.ts';
import { databaseUrlOption, requireDatabaseUrl } from '../database.ts';
import { usageError } from '../exit-codes.ts';
import { printJson } from '../output.ts';

interface Args {
  databaseUrl?: string;
  services: string;
}

export const migrate = defineCommand<Args>({
  command: 'migrate',
  describe: 'Apply the database migrations of the platform and its services',
  examples: [
    ['imctl migrate --database-url postgres://anychat@localhost/anychat', 'every service'],
    ['imctl migrate --services message,session -o json', 'two services, result as JSON'],
  ],
  builder: (yargs) =>
    yargs.options(databaseUrlOption).option('services', {
      type: 'string',
      default: 'all',
      describe: 'all, or a comma-separated list of services (auth,user,friend,group,session,message,...)',
    }),
  async run(args) {
    const url = requireDatabaseUrl(args.databaseUrl);
    const services = args.services
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean);
    if (services.length === 0 || services.some((name) => !/^[a-z][a-z-]*$/.test(name)))
      throw usageError(`--services "${args.services}": use all, or names like message,session`);
    if (services.includes('all') && services.length > 1)
      throw usageError('--services: all cannot be combined');
    const known: readonly string[] = SERVICE_NAMES;
    const unknown = services.filter((name) => name !== 'all' && !known.includes(name));
    if (unknown.length > 0)
      throw usageError(
        `--services: unknown service(s) ${unknown.join(', ')}; known: all, ${known.join(', ')}`,
      );
    const env = {
      ...process.env,
      DATABASE_URL: url,
      SERVICES: services.join(','),
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    };
    if (args.output === 'table')
      return exitCodeOf(startEntryPoint(ENTRY_POINTS.migrate, { env, stdio: 'inherit' }));

    // JSON: the per-schema lines become one document; anything else the child prints goes to stderr.
    const child = startEntryPoint(ENTRY_POINTS.migrate, { env, stdio: 'pipe-stdout' });
    const schemas: MigrationResult[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const result = parseMigrationResultLine(line);
      if (result) schemas.push(result);
      else process.stderr.write(`${line}\n`);
    });
    const code = await exitCodeOf(child);
    printJson({ ok: code === 0, schemas });
    return code;
  },
});
