/**
 * Exit codes scripts can rely on (documented in cli/README.md). Every failure the CLI reports is a
 * CliError carrying one of these and a message that says what to do next.
 */
export const ExitCode = {
  ok: 0,
  /** The server (or database, or Kubernetes) refused or failed the operation. */
  failure: 1,
  /** Bad arguments or input: nothing was sent. */
  usage: 2,
  /** Not logged in, login expired, or wrong credentials. */
  auth: 3,
  /** Logged in, but the admin lacks the permission the operation needs. */
  permission: 4,
  /** The server, database or Kubernetes API could not be reached. */
  unreachable: 5,
  /** The user, group, message, cluster... does not exist. */
  notFound: 6,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class CliError extends Error {
  override name = 'CliError';
  readonly exitCode: ExitCode;

  constructor(exitCode: ExitCode, message: string) {
    super(message);
    this.exitCode = exitCode;
  }
}

export const usageError = (message: string) => new CliError(ExitCode.usage, message);
