import type { EntityManager } from '@mikro-orm/postgresql';

/** An `ilike … escape '\'` pattern matching `text` anywhere, its own `%`, `_` and `\` taken literally. */
export const containingPattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/**
 * One page of rows and the total they come from, in one round trip each (admin lists).
 * `from` is the `from … where …` part, shared by both queries with the same `params`.
 */
export async function countedPage<R>(
  em: EntityManager,
  query: { select: string; from: string; orderBy: string; params: unknown[]; limit: number; offset: number },
): Promise<{ total: number; rows: R[] }> {
  const [count, rows] = await Promise.all([
    em.execute<Array<{ total: string | number }>>(`select count(*) as "total" ${query.from}`, query.params),
    em.execute<R[]>(`select ${query.select} ${query.from} order by ${query.orderBy} limit ? offset ?`, [
      ...query.params,
      query.limit,
      query.offset,
    ]),
  ]);
  return { total: Number(count[0]?.total ?? 0), rows };
}
