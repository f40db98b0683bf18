#!/usr/bin/env node
/**
 * imctl, the AnyChat operators' CLI (DESIGN §8; commands and exit codes in cli/README.md). The only
 * file that sets process.exitCode: command handlers return their exit codes.
 */
import { hideBin } from 'yargs/helpers';
import { runCli } from './app.ts';
import { reportError } from './command.ts';

try {
  process.exitCode = await runCli(hideBin(process.argv));
} catch (error) {
  process.exitCode = reportError(error);
}
