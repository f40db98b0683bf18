/**
 * The yargs program: global options, every command, and usage errors turned into exit code 2.
 * Separate from cli/imctl.ts so the entry point stays the only place that sets process.exitCode.
 */
import yargs from 'yargs';
import packageJson from '../package.json' with { type: 'json' };
import { type AnyCommand, reportError, toYargs } from './command.ts';
import { COMMANDS } from './commands/index.ts';
import { CliError, ExitCode } from './exit-codes.ts';
import { defaultOutputMode, OUTPUT_MODES } from './output.ts';

/** The command words of `argv` that name a command (`['users', 'ban']`), and that command. */
function commandOf(argv: string[]): { words: string[]; command: AnyCommand | undefined } {
  const words: string[] = [];
  let choices: readonly AnyCommand[] = COMMANDS;
  let command: AnyCommand | undefined;
  for (const word of argv) {
    if (word.startsWith('-')) continue;
    const next = choices.find((candidate) => candidate.command.split(' ')[0] === word);
    if (!next) break;
    words.push(word);
    command = next;
    choices = 'commands' in next ? next.commands : [];
  }
  return { words, command };
}

/** yargs' validation messages, made to say which command and what it expects. */
function usageFailure(argv: string[], message: string): CliError {
  const { words, command } = commandOf(argv);
  const help = `run \`imctl ${[...words, '--help'].join(' ')}\` for usage and examples`;
  if (command && /^Not enough non-option arguments/.test(message)) {
    const expected = command.command.split(' ').slice(1).join(' ');
    return new CliError(
      ExitCode.usage,
      `missing arguments: usage: imctl ${words.join(' ')} ${expected}\n${help}`,
    );
  }
  if (command && 'commands' in command && /^Not enough/.test(message))
    return new CliError(ExitCode.usage, `name one of the ${words.join(' ')} commands\n${help}`);
  const unknown = argv.filter((word) => !word.startsWith('-'))[words.length];
  if (/^Did you mean/.test(message))
    return new CliError(ExitCode.usage, `unknown command "${unknown}". ${message}\n${help}`);
  // A stray word where a command name belongs reads better as what it is.
  if (message === `Unknown argument: ${unknown}` && (!command || 'commands' in command))
    return new CliError(ExitCode.usage, `unknown command "${unknown}"\n${help}`);
  return new CliError(ExitCode.usage, `${message}\n${help}`);
}

/** Parses `argv`, runs the command it names, and resolves with the exit code. */
export async function runCli(argv: string[]): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const report = (code: number) => {
    exitCode = code;
  };
  const program = yargs(argv)
    .scriptName('imctl')
    .usage(
      '$0 <command> [options]\n\nOperate an AnyChat platform: users, groups, broadcasts, stats, clusters, databases.',
    )
    .option('server', {
      alias: 's',
      type: 'string',
      global: true,
      describe: 'Admin API base URL, e.g. http://localhost:8080 (default: the stored login)',
    })
    .option('output', {
      alias: 'o',
      choices: OUTPUT_MODES,
      default: defaultOutputMode(),
      defaultDescription: 'table on a terminal, else json',
      global: true,
      describe: 'Output format',
    })
    .option('config', {
      type: 'string',
      global: true,
      describe: 'Login file (default: $IMCTL_CONFIG or ~/.config/imctl/config.json)',
    })
    .completion('completion', 'Print the shell completion script (bash, zsh)')
    .example('imctl login --server http://localhost:8080', 'log in first')
    .example('imctl users ban 1850000000000000001 --reason spam --duration 7d', 'ban a user for a week')
    .example('imctl completion >> ~/.bashrc', 'enable tab completion')
    .demandCommand(1, 'name a command')
    .recommendCommands()
    .strict()
    .env(false)
    .version(packageJson.version)
    .alias('help', 'h')
    .alias('version', 'V')
    .wrap(Math.min(120, process.stdout.columns || 100))
    .exitProcess(false)
    // Throwing stops yargs before any handler runs; the error comes back out of parseAsync.
    .fail((message, error) => {
      if (error instanceof CliError) throw error;
      throw usageFailure(argv, message ?? error?.message ?? 'invalid arguments');
    });
  for (const command of COMMANDS) program.command(toYargs(command, report));
  try {
    await program.parseAsync();
  } catch (error) {
    return reportError(error);
  }
  return exitCode;
}
