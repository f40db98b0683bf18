/**
 * Message search on a million messages: `scripts/node24 node test/bench/search.bench.ts [messages]`
 * (PostgreSQL; default 1,000,000). Starts the embedded platform on a fresh database, loads the
 * messages with SQL (the searcher's 100 one-to-one conversations, two read fan-out groups they are
 * in, and everyone else's conversations), builds the trigram index, then times
 * GET /api/v1/messages/search for each query (median of RUNS). The same queries run again with the
 * index dropped: that is the ILIKE path the index replaced, the floor of the comparison.
 * Results go to BENCHMARKS.md by hand, with the machine's load the script prints.
 */
import { execSync } from 'node:child_process';
import { loadavg } from 'node:os';
import pg from 'pg';
import { registerUser } from '../support/api-client.ts';
import { befriendAll } from '../support/chat.ts';
import { startPlatform } from '../support/platform.ts';

const TOTAL = Number(process.argv[2] ?? 1_000_000);
const RUNS = 5;
const PEERS = 100;
const PER_PEER = 100;
const GROUP_MESSAGES = Math.floor(TOTAL / 10);
const OTHERS = TOTAL - PEERS * PER_PEER - 2 * GROUP_MESSAGES;

// Words messages are made of: Chinese written without spaces, some English; a rare phrase planted.
const WORDS = [
  ...'今天 明天 天气 项目 计划 会议 讨论 进度 预算 客户 需求 测试 上线 周末 吃饭 电影 下午 晚上 老师 学生 公司 部门 领导 同事 报告 总结 文档 设计 开发 问题 解决 方案 时间 地点 确认 收到 谢谢 好的 没问题 辛苦了 加油 今晚 火锅 咖啡 下班 开会 出差 机票 酒店 快递'.split(
    ' ',
  ),
  ...'meeting deadline review budget release plan report design'.split(' '),
];
const RARE = '量子纠缠';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const platform = await startPlatform('postgresql');
const databaseUrl = platform.backend.env.DATABASE_URL!;
const db = new pg.Client({ connectionString: databaseUrl });
await db.connect();
try {
  const searcher = await registerUser(platform.api);
  // One of the two groups is a real one, so that searching in it passes the membership check.
  const friends = [await registerUser(platform.api), await registerUser(platform.api)];
  await befriendAll(platform.api, searcher, friends);
  const { groupId } = await platform.api.ok<{ groupId: string }>('POST', '/api/v1/groups', {
    token: searcher.accessToken,
    body: { name: 'bench', memberIds: friends.map((f) => f.userId) },
  });
  const groups = [`g_${groupId}`, 'g_800001'];
  const load: Record<string, unknown> = { loadBefore: loadavg().map((l) => +l.toFixed(1)) };
  const started = performance.now();
  await db.query('drop index message.messages_search_trgm_idx');
  await db.query('select setseed(0.42)');
  // text(i): 4 to 12 words; one message in 10,000 carries the rare phrase.
  const text = `case when i % 10000 = 7 then '${RARE}' else '' end ||
    array_to_string(array(select ($1::text[])[1 + floor(random() * ${WORDS.length})::int]
                            from generate_series(1, 4 + (i % 9))), '')`;
  const insert = (from: string, extra = '') =>
    db.query(
      `insert into message.messages (message_id, session_id, session_type, sender_id, target_id, client_msg_id,
         seq, content_type, content, search_text, created_at)
       select 1000000000 + i, x.session_id, x.session_type, x.sender_id, x.target_id, 'b' || i, x.seq, 'text',
              jsonb_build_object('text', t.text), t.text, now() - (i || ' seconds')::interval
         from ${from}, lateral (select ${text} as text) t ${extra}`,
      [WORDS],
    );
  // The searcher's one-to-one conversations: PEERS x PER_PEER, in the timelines of both sides.
  await insert(`generate_series(1, ${PEERS * PER_PEER}) i,
    lateral (select 's_' || least(${searcher.userId}::bigint, 900000 + i % ${PEERS}) || '_' || greatest(${searcher.userId}::bigint, 900000 + i % ${PEERS}) as session_id,
                    'single' as session_type,
                    case when i % 2 = 0 then ${searcher.userId}::bigint else 900000 + i % ${PEERS} end as sender_id,
                    case when i % 2 = 0 then 900000 + i % ${PEERS} else ${searcher.userId}::bigint end as target_id,
                    i / ${PEERS} + 1 as seq) x`);
  // Two read fan-out groups the searcher is in (stored once, seen through membership periods).
  await insert(`generate_series(${PEERS * PER_PEER + 1}, ${PEERS * PER_PEER + 2 * GROUP_MESSAGES}) i,
    lateral (select case when i % 2 = 0 then '${groups[0]}' else '${groups[1]}' end as session_id, 'group' as session_type, 900000 + i % 50 as sender_id,
                    800000 + i % 2 as target_id, i / 2 as seq) x`);
  // Everyone else: one-to-one conversations the searcher is not in.
  const firstOther = PEERS * PER_PEER + 2 * GROUP_MESSAGES + 1;
  await insert(`generate_series(${firstOther}, ${firstOther + OTHERS - 1}) i,
    lateral (select 's_' || (700000 + i % 5000) || '_' || (710000 + i % 5000) as session_id, 'single' as session_type,
                    700000 + i % 5000 as sender_id, 710000 + i % 5000 as target_id, i / 5000 as seq) x`);
  await db.query(`insert into message.timeline (user_id, sync_seq, kind, message_id)
    select u, 1000 + row_number() over (partition by u order by m.seq, m.message_id), 'message', m.message_id
      from message.messages m, lateral (values (m.sender_id), (m.target_id)) v(u)
     where m.session_type = 'single'`);
  for (const group of groups) {
    await db.query(
      `insert into message.conversations (session_id, session_type, last_seq, read_fanout_from)
       values ($1, 'group', $2, 0) on conflict (session_id) do update set read_fanout_from = 0`,
      [group, GROUP_MESSAGES],
    );
    await db.query(
      `insert into message.group_members (session_id, user_id, from_seq, after_sync_seq) values ($1, $2, 0, 0)`,
      [group, searcher.userId],
    );
  }
  const loaded = performance.now();
  const gin =
    'create index messages_search_trgm_idx on message.messages using gin (search_text message.gin_trgm_ops)';
  await db.query(gin);
  const indexed = performance.now();
  await db.query('analyze message.messages, message.timeline, message.group_members');
  const size = await db.query(`select pg_size_pretty(sum(pg_relation_size(relid))) as size
    from pg_partition_tree('message.messages_search_trgm_idx')`);
  const queries: Array<{ name: string; query: Record<string, string> }> = [
    { name: `rare 4 chars (${RARE})`, query: { keyword: RARE } },
    { name: 'common 4 chars (项目计划)', query: { keyword: '项目计划' } },
    { name: 'two terms (会议 deadline)', query: { keyword: '会议 deadline' } },
    { name: 'English (budget)', query: { keyword: 'budget' } },
    { name: 'in one group (预算报告)', query: { keyword: '预算报告', sessionId: groups[0]! } },
    { name: '2 chars (天气)', query: { keyword: '天气' } },
    { name: '1 char (饭)', query: { keyword: '饭' } },
  ];
  const run = async () => {
    const results: Record<string, { ms: number; total: number; mode: string }> = {};
    for (const { name, query } of queries) {
      const times: number[] = [];
      let answer: { total: number; mode: string } | undefined;
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        answer = await platform.api.ok('GET', `/api/v1/messages/search?${new URLSearchParams(query)}`, {
          token: searcher.accessToken,
        });
        times.push(performance.now() - t0);
      }
      results[name] = { ms: +median(times).toFixed(1), total: answer!.total, mode: answer!.mode };
    }
    return results;
  };
  const withIndex = await run();
  await db.query('drop index message.messages_search_trgm_idx');
  const ilikeFloor = await run();
  await db.query(gin);
  const counts = await db.query('select count(*)::int as messages from message.messages');
  console.log(
    JSON.stringify(
      {
        commit: execSync('git rev-parse --short HEAD').toString().trim(),
        date: new Date().toISOString(),
        messages: counts.rows[0].messages,
        searcherVisible: PEERS * PER_PEER + 2 * GROUP_MESSAGES,
        loadSeconds: +((loaded - started) / 1000).toFixed(1),
        indexBuildSeconds: +((indexed - loaded) / 1000).toFixed(1),
        indexSize: size.rows[0].size,
        ...load,
        loadAfter: loadavg().map((l) => +l.toFixed(1)),
        withIndex,
        ilikeFloor,
      },
      null,
      2,
    ),
  );
} finally {
  await db.end();
  await platform.stop();
}
