import { containingPattern, type SqlExecutor } from '../../platform/db/index.ts';
import { type Highlight, highlight, rankOf, searchTerms } from './highlight.ts';
import { MESSAGE_COLUMNS, type StoredMessage, toMessage } from './store.ts';

/**
 * Keyword search over the messages a user may see, through the trigram index on `search_text`
 * (Migration20261130001200). A term of three or more letters or digits is answered from the index;
 * shorter terms (one or two Chinese characters are common queries) give the index nothing to look
 * up, so a query made only of such terms is answered from the user's latest messages instead
 * (`mode: 'recent'`, the RECENT_SCOPE newest of their timeline and of each read fan-out group, or
 * of the one conversation asked for), which the response says.
 */

/** How many matches, newest first, are ranked; the answer says when there were more. */
export const CANDIDATES = 1000;
/** How many of a user's newest messages a query of only one- and two-character terms looks at. */
export const RECENT_SCOPE = 5000;

/** A user's search as the route takes it: a keyword or only filters, one page. */
export interface SearchQuery {
  keyword?: string | undefined;
  sessionId?: string | undefined;
  senderId?: string | undefined;
  contentType?: string | undefined;
  startTime?: Date | undefined;
  endTime?: Date | undefined;
  sort: 'relevance' | 'time';
  page: number;
  pageSize: number;
}

export interface SearchFilters {
  userId: string;
  sessionId: string | undefined;
  senderId: string | undefined;
  contentType: string | undefined;
  from: Date | undefined;
  to: Date | undefined;
}

export interface KeywordSearch extends SearchFilters {
  keyword: string;
  sort: 'relevance' | 'time';
  offset: number;
  limit: number;
}

export interface SearchHit {
  message: StoredMessage;
  highlight: Highlight | null;
}

export interface SearchPage {
  /** How many matched (at most CANDIDATES, see `more`). */
  total: number;
  /** More than CANDIDATES matched: only the newest CANDIDATES were ranked. */
  more: boolean;
  mode: 'index' | 'recent' | 'filter';
  hits: SearchHit[];
}

type Row = Record<string, unknown>;

/**
 * What the user may see: the message reached them (their timeline holds it, or a read fan-out
 * group's while they were in it, so nothing of a group after they left), it is not recalled, not
 * deleted for them and not in a part of the conversation they cleared.
 *
 * `sets` (the index path, where a common term matches many rows of anyone's): the user's timeline
 * and groups as sets, which PostgreSQL hashes once (inside an OR it cannot turn EXISTS into a join,
 * and probing per row is what made such terms slow). `probes` (a short query's scope, already the
 * user's newest messages): a lookup per row, cheaper than hashing the whole timeline.
 */
function visibility(userId: string, reached: 'sets' | 'probes'): { sql: string[]; params: unknown[] } {
  const inPeriod = `exists (select 1 from message.group_members p where p.session_id = m.session_id and p.user_id = ?
                     and m.seq > p.from_seq and (p.to_seq is null or m.seq <= p.to_seq))`;
  const reachedSql =
    reached === 'sets'
      ? `(m.message_id in (select t.message_id from message.timeline t where t.user_id = ? and t.message_id is not null)
          or (m.session_id in (select g.session_id from message.group_members g where g.user_id = ?) and ${inPeriod}))`
      : `(exists (select 1 from message.timeline t where t.user_id = ? and t.message_id = m.message_id) or ${inPeriod})`;
  return {
    sql: [
      reachedSql,
      'm.status = 1',
      'm.seq > coalesce((select cleared_seq from message.cursors c where c.user_id = ? and c.session_id = m.session_id), 0)',
      'not exists (select 1 from message.hidden_messages h where h.user_id = ? and h.message_id = m.message_id)',
    ],
    params: Array<string>(reached === 'sets' ? 5 : 4).fill(userId),
  };
}

function conditions(
  filters: SearchFilters,
  terms: string[],
  reached: 'sets' | 'probes',
): { where: string; params: unknown[] } {
  const { sql, params } = visibility(filters.userId, reached);
  const optional: Array<[string, unknown]> = [
    ...terms.map((term): [string, unknown] => [`m.search_text ilike ? escape '\\'`, containingPattern(term)]),
    ['m.session_id = ?', filters.sessionId],
    ['m.sender_id = ?', filters.senderId],
    ['m.content_type = ?', filters.contentType],
    ['m.created_at >= ?', filters.from],
    ['m.created_at < ?', filters.to],
  ];
  for (const [condition, value] of optional) {
    if (value === undefined) continue;
    sql.push(condition);
    params.push(value);
  }
  return { where: sql.join(' and '), params };
}

/** The newest messages a short query looks at: the user's own latest, or one conversation's. */
function recentScope(filters: SearchFilters): { sql: string; params: unknown[] } {
  if (filters.sessionId)
    return {
      sql: 'select s.message_id from message.messages s where s.session_id = ? order by s.seq desc limit ?',
      params: [filters.sessionId, RECENT_SCOPE],
    };
  return {
    sql: `(select t.message_id from message.timeline t
             where t.user_id = ? and t.message_id is not null order by t.sync_seq desc limit ?)
          union all
          (select g.message_id from message.group_members p
             cross join lateral (select s.message_id from message.messages s
                                  where s.session_id = p.session_id and s.seq > p.from_seq
                                    and (p.to_seq is null or s.seq <= p.to_seq)
                                  order by s.seq desc limit ?) g
            where p.user_id = ?)`,
    params: [filters.userId, RECENT_SCOPE, RECENT_SCOPE, filters.userId],
  };
}

export class MessageSearch {
  readonly #sql: SqlExecutor;

  constructor(sql: SqlExecutor) {
    this.#sql = sql;
  }

  /** Messages matching every term of the keyword (and the filters), ranked or newest first. */
  async byKeyword(query: KeywordSearch): Promise<SearchPage> {
    const terms = searchTerms(query.keyword);
    const mode = terms.some((term) => term.indexable) ? 'index' : 'recent';
    const { where, params } = conditions(
      query,
      terms.map((term) => term.text),
      mode === 'index' ? 'sets' : 'probes',
    );
    const scope = mode === 'recent' ? recentScope(query) : undefined;
    const rows = await this.#sql.query(
      `select m.message_id::text as message_id, m.created_at, m.search_text from message.messages m
        where ${scope ? `m.message_id in (${scope.sql}) and ` : ''}${where}
        order by m.created_at desc, m.message_id desc limit ?`,
      [...(scope?.params ?? []), ...params, CANDIDATES + 1],
    );
    const more = rows.length > CANDIDATES;
    const candidates = rows.slice(0, CANDIDATES).map((row, index) => ({
      messageId: row.message_id as string,
      text: row.search_text as string,
      rank: query.sort === 'relevance' ? rankOf(row.search_text as string, terms) : 0,
      index,
    }));
    // Stable: equal ranks stay newest first.
    candidates.sort((a, b) => b.rank - a.rank || a.index - b.index);
    const page = candidates.slice(query.offset, query.offset + query.limit);
    const messages = await this.#messages(page.map((hit) => hit.messageId));
    return {
      total: candidates.length,
      more,
      mode,
      hits: page.flatMap((hit) => {
        const message = messages.get(hit.messageId);
        return message ? [{ message, highlight: highlight(hit.text, terms) }] : [];
      }),
    };
  }

  /** Messages matching the filters alone, newest first, with their exact count. */
  async byFilters(query: SearchFilters & { offset: number; limit: number }): Promise<SearchPage> {
    const { where, params } = conditions(query, [], 'probes');
    const [count] = await this.#sql.query(
      `select count(*)::int as total from message.messages m where ${where}`,
      params,
    );
    const rows = await this.#sql.query(
      `select ${MESSAGE_COLUMNS} from message.messages m where ${where}
        order by m.created_at desc, m.message_id desc limit ? offset ?`,
      [...params, query.limit, query.offset],
    );
    return {
      total: Number(count?.total ?? 0),
      more: false,
      mode: 'filter',
      hits: rows.map((row: Row) => ({ message: toMessage(row), highlight: null })),
    };
  }

  async #messages(ids: string[]): Promise<Map<string, StoredMessage>> {
    if (ids.length === 0) return new Map();
    const rows = await this.#sql.query(
      `select ${MESSAGE_COLUMNS} from message.messages m
        where m.message_id in (select x::bigint from jsonb_array_elements_text(?::jsonb) x)`,
      [JSON.stringify(ids)],
    );
    return new Map(rows.map((row) => [row.message_id as string, toMessage(row)]));
  }
}
