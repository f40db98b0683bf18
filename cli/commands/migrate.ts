import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { exitCodeOf, REPOSITORY_ROOT, startEntryPoint } from '../child.ts';
import { defineCommand } from '../command.ts';
import { databaseUrlOption, requireDatabaseUrl } from '../database.ts';
import { usageError } from '../exit-codes.ts';
import { printJson } from '../output.ts';

interface Args {
  databaseUrl?: string;
  services: string;
}

/** services/migrate.ts prints `<schema>: up to date` or `<schema>: applied A, B` per schema. */
const RESULT_LINE = /^([\w-]+): (?:up to date|applied (.+))$/;

/**
 * Service names as the repository lays them out (services/<name>/index.ts), read from disk so the
 * CLI needs no import of the service registry; migrate.ts remains the authority.
 */
function knownServices(): string[] {
  const root = join(REPOSITORY_ROOT, 'services');
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name !== 'platform')
    .filter((entry) => existsSync(join(root, entry.name, 'index.ts')))
    .map((entry) => entry.name);
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
    const known = knownServices();
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
      return exitCodeOf(startEntryPoint('services/migrate.ts', { env, stdio: 'inherit' }));

    // JSON: the per-schema lines become one document; anything else the child prints goes to stderr.
    const child = startEntryPoint('services/migrate.ts', { env, stdio: 'pipe-stdout' });
    const schemas: Array<{ schema: string; applied: string[] }> = [];
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = RESULT_LINE.exec(line);
      if (match) schemas.push({ schema: match[1]!, applied: match[2] ? match[2].split(', ') : [] });
      else process.stderr.write(`${line}\n`);
    });
    const code = await exitCodeOf(child);
    printJson({ ok: code === 0, schemas });
    return code;
  },
});
