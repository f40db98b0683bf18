/** Shared by the sensitive-words commands: the list is read and written whole. */
import type { SensitiveWords } from '../../api-types.ts';
import type { AdminClient } from '../../client.ts';
import { usageError } from '../../exit-codes.ts';
import { type OutputMode, print, renderFields } from '../../output.ts';

export const FILTER_ACTIONS = ['mask', 'reject'] as const;

export function cleanWords(words: unknown[] | undefined): string[] {
  const cleaned = (words ?? []).map((word) => String(word).trim()).filter(Boolean);
  if (cleaned.length === 0) throw usageError('name at least one word');
  return cleaned;
}

export const readWords = (client: AdminClient) => client.get<SensitiveWords>('/sensitive-words');

export async function writeWords(
  client: AdminClient,
  words: string[],
  action: string,
): Promise<SensitiveWords> {
  const unique = [...new Set(words)];
  const answer = await client.put<SensitiveWords | null>('/sensitive-words', { words: unique, action });
  return answer ?? { words: unique, action };
}

export function printWords(mode: OutputMode, list: SensitiveWords): void {
  print(mode, list, (l) =>
    renderFields([
      ['Action', l.action],
      ['Words', `${l.words.length}`],
      ...(l.words.length ? ([['List', l.words.join(', ')]] as const) : []),
    ]),
  );
}
