import type { InvokePort } from '../ports/index.ts';

/**
 * An internal method that takes a list of ids in one field (with any other fields fixed) and
 * answers a list of items, at most one per id. `maxIds` is what the callee accepts in one call:
 * its input schema caps the list with it, and every caller goes through `invokeBulk`, which
 * splits longer lists. A caller with more ids than one call takes gets all of them answered,
 * rather than a refusal it might swallow (blank names in a conversation list).
 */
export interface BulkMethod<Item, Fixed extends object = Record<never, never>> {
  app: string;
  method: string;
  idsField: string;
  maxIds: number;
  /** Carries the item and fixed-field types only. */
  readonly _types?: { item: Item; fixed: Fixed };
}

/** Ids one call of a bulk method takes unless it says otherwise. */
const DEFAULT_MAX_IDS = 500;

export function bulkMethod<Item, Fixed extends object = Record<never, never>>(
  app: string,
  method: string,
  idsField: string,
  maxIds = DEFAULT_MAX_IDS,
): BulkMethod<Item, Fixed> {
  return { app, method, idsField, maxIds };
}

/**
 * Calls a bulk method for every id (each asked once) in calls the callee accepts, one after
 * another, and returns the items of all answers in order.
 */
export async function invokeBulk<Item, Fixed extends object>(
  invoke: InvokePort,
  bulk: BulkMethod<Item, Fixed>,
  ids: Iterable<string>,
  ...fixed: keyof Fixed extends never ? [] : [Fixed]
): Promise<Item[]> {
  const unique = [...new Set(ids)];
  const items: Item[] = [];
  for (let start = 0; start < unique.length; start += bulk.maxIds) {
    const answer = await invoke.invoke<Item[] | null>(bulk.app, bulk.method, {
      ...fixed[0],
      [bulk.idsField]: unique.slice(start, start + bulk.maxIds),
    });
    // A method that only records (delivered receipts) answers nothing.
    items.push(...(answer ?? []));
  }
  return items;
}
