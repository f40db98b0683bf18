import { ENTRY_POINTS } from '../../common/index.ts';
import { exitCodeOf, startEntryPoint } from '../child.ts';
import { defineCommand } from '../command.ts';
import { integer } from '../options.ts';

interface Args {
  port?: number;
  databaseUrl?: string;
  dataDir?: string;
}

export const dev = defineCommand<Args>({
  command: 'dev',
  describe: 'Run the whole platform in this terminal (embedded adapters; same as `npm start`)',
  examples: [
    ['imctl dev', 'every service on http://localhost:8080 with an embedded PostgreSQL'],
    ['imctl dev --port 9000 --database-url postgres://anychat@localhost/anychat', 'on your own PostgreSQL'],
  ],
  builder: (yargs) =>
    yargs
      .option('port', {
        alias: 'p',
        type: 'string',
        describe: 'HTTP port (default: 8080, else a free one; 0: any free port)',
        coerce: integer('port', 0, 65535),
      })
      .option('database-url', {
        type: 'string',
        describe: 'PostgreSQL URL (default: $DATABASE_URL, else embedded)',
      })
      .option('data-dir', { type: 'string', describe: 'Where the embedded database keeps its files' }),
  async run(args) {
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (args.port !== undefined) env.PORT = String(args.port);
    if (args.databaseUrl) env.DATABASE_URL = args.databaseUrl;
    if (args.dataDir) env.ANYCHAT_DATA_DIR = args.dataDir;
    // The platform's own exit code (2: bad configuration, 1: failed to start) passes through.
    return exitCodeOf(
      startEntryPoint(ENTRY_POINTS.platform, { env, stdio: 'inherit', ownProcessGroup: true }),
    );
  },
});
