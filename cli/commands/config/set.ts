import { defineCommand } from '../../command.ts';
import { ExitCode } from '../../exit-codes.ts';
import { requireId } from '../../options.ts';
import { print } from '../../output.ts';
import { loggedInClient, segment } from '../../session.ts';

interface Args {
  key: string;
  value: string;
}

/** `true`, `42`, `["a"]`, `{"x":1}` are JSON; anything else is taken as a plain string. */
export function parseConfigValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export const setConfig = defineCommand<Args>({
  command: 'set <key> <value>',
  describe: 'Set a configuration key (the value is JSON when it parses as JSON, else a string)',
  examples: [
    ['imctl config set registration.enabled false', 'a boolean'],
    ['imctl config set message.maxTextLength 5000', 'a number'],
    ['imctl config set support.email ops@example.com', 'a plain string'],
  ],
  builder: (yargs) =>
    yargs
      .positional('key', { type: 'string', describe: 'The configuration key' })
      .positional('value', { type: 'string', describe: 'JSON, or a plain string' }),
  async run(args) {
    const key = requireId(args.key, 'key');
    const value = parseConfigValue(String(args.value));
    const answer = await loggedInClient(args).put<unknown>(`/config/${segment(key)}`, { value });
    print(args.output, answer ?? { key, value }, () => `${key} = ${JSON.stringify(value)}`);
    return ExitCode.ok;
  },
});
