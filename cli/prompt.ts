/**
 * Questions on the terminal. Prompts go to stderr so stdout stays clean for `--output json`; nothing
 * is ever asked when stdin is not a terminal (scripts get a usage error naming the flag instead).
 */
import { createInterface } from 'node:readline/promises';
import { CliError, ExitCode, usageError } from './exit-codes.ts';

export const interactive = () => Boolean(process.stdin.isTTY);

export async function ask(question: string, fallback?: string): Promise<string> {
  const lines = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await lines.question(fallback ? `${question} [${fallback}]: ` : `${question}: `)).trim();
    return answer || fallback || '';
  } finally {
    lines.close();
  }
}

/** Reads a line without echoing it (raw mode), for passwords. Ctrl-C aborts with exit code 2. */
export function askSecret(question: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(`${question}: `);
  return new Promise((resolve, reject) => {
    let secret = '';
    const finish = (error?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(secret);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003') return finish(new CliError(ExitCode.usage, 'aborted'));
        if (char === '\u007f' || char === '\b') secret = secret.slice(0, -1);
        else secret += char;
      }
    };
    input.setRawMode(true);
    input.resume();
    input.on('data', onData);
  });
}

export async function confirm(question: string): Promise<boolean> {
  return /^y(es)?$/i.test(await ask(`${question} (type "yes" to confirm)`));
}

/**
 * Asks before destructive operations. `--yes` skips the question; without a terminal there is no
 * one to ask, so the command refuses rather than guess.
 */
export async function confirmOrRefuse(question: string, yes: boolean | undefined): Promise<boolean> {
  if (yes) return true;
  if (!interactive())
    throw usageError(`${question.replace(/\?$/, '')}: refusing without --yes when stdin is not a terminal`);
  const confirmed = await confirm(question);
  if (!confirmed) process.stderr.write('aborted: nothing was changed\n');
  return confirmed;
}

/** All of stdin, without the trailing newline that `echo` or a file adds. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** A password from `--password-stdin`, or asked without echo on a terminal. */
export async function readPassword(fromStdin: boolean | undefined, repeat = false): Promise<string> {
  if (fromStdin) {
    const password = await readStdin();
    if (!password) throw usageError('--password-stdin: stdin was empty');
    return password;
  }
  if (!interactive())
    throw usageError('no terminal to ask the password on: pass --password-stdin and pipe it in');
  const password = await askSecret('Password');
  if (!password) throw usageError('the password must not be empty');
  if (repeat && (await askSecret('Repeat password')) !== password) throw usageError('the passwords differ');
  return password;
}
