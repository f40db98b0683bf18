/**
 * How a command module is written: a yargs command plus `examples` (shown by `--help`) and a `run`
 * that RETURNS the exit code. Errors thrown by `run` are printed here, once, on stderr; only
 * cli/imctl.ts sets process.exitCode.
 */
import type { Argv, CommandModule } from 'yargs';
import { CliError, ExitCode } from './exit-codes.ts';
import type { OutputMode } from './output.ts';

/** Options every command accepts (declared once on the root in cli/app.ts). */
export interface GlobalArgs {
  output: OutputMode;
  server?: string;
  config?: string;
}

export interface CommandSpec<A> {
  command: string;
  describe: string;
  /** `[command line, what it does]`: at least one, `imctl` spelled out. */
  examples: ReadonlyArray<readonly [string, string]>;
  builder?: (yargs: Argv<GlobalArgs>) => Argv<unknown>;
  run: (args: A & GlobalArgs) => Promise<number>;
}

export interface CommandGroup {
  command: string;
  describe: string;
  commands: ReadonlyArray<CommandSpec<never>>;
}

export type AnyCommand = CommandSpec<never> | CommandGroup;

/** Typed in one place so each module can declare its own argument interface. */
export function defineCommand<A>(spec: CommandSpec<A>): CommandSpec<never> {
  return spec as unknown as CommandSpec<never>;
}

export function reportError(error: unknown): number {
  if (error instanceof CliError) {
    process.stderr.write(`imctl: ${error.message}\n`);
    return error.exitCode;
  }
  const detail = process.env.IMCTL_DEBUG ? ((error as Error)?.stack ?? String(error)) : String(error);
  process.stderr.write(`imctl: unexpected error: ${detail}\n(set IMCTL_DEBUG=1 for a stack trace)\n`);
  return ExitCode.failure;
}

const isGroup = (command: AnyCommand): command is CommandGroup => 'commands' in command;

/** The yargs module of a command or group; `report` receives the exit code of whatever ran. */
export function toYargs(
  command: AnyCommand,
  report: (code: number) => void,
): CommandModule<GlobalArgs, never> {
  if (isGroup(command)) {
    const name = command.command.split(' ')[0]!;
    return {
      command: command.command,
      describe: command.describe,
      builder: (yargs) => {
        for (const sub of command.commands) yargs.command(toYargs(sub, report));
        for (const sub of command.commands) {
          const [line, text] = sub.examples[0]!;
          yargs.example(line, text);
        }
        return yargs.demandCommand(1, `name one of the ${name} commands`) as Argv<never>;
      },
      handler: () => {},
    };
  }
  return {
    command: command.command,
    describe: command.describe,
    builder: (yargs) => {
      const built = (command.builder ? command.builder(yargs) : yargs) as Argv<never>;
      for (const [line, text] of command.examples) built.example(line, text);
      return built;
    },
    handler: async (args) => {
      try {
        report(await command.run(args));
      } catch (error) {
        report(reportError(error));
      }
    },
  };
}
