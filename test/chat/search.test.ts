import { expect } from 'chai';
import { ErrorCode } from '../../services/platform/errors.ts';
import { registerUser } from '../support/api-client.ts';
import { befriendAll, friendsOnline, type User } from '../support/chat.ts';
import { forEachBackend } from '../support/platform.ts';
import { clientMsgId } from '../support/ws-client.ts';

interface Hit {
  messageId: string;
  sessionId: string;
  contentType: string;
  content: unknown;
  highlight: { text: string; ranges: Array<[number, number]> } | null;
}
interface Found {
  total: number;
  more: boolean;
  mode: 'index' | 'recent' | 'filter';
  messages: Hit[];
}

const marked = (hit: Hit) => hit.highlight!.ranges.map(([from, to]) => hit.highlight!.text.slice(from, to));

forEachBackend('message search through the trigram index', (platform) => {
  const api = () => platform().api;
  const search = (user: User, query: Record<string, string>) =>
    api().ok<Found>('GET', `/api/v1/messages/search?${new URLSearchParams(query)}`, {
      token: user.accessToken,
    });
  const send = (
    from: User,
    targetId: string,
    content: unknown,
    sessionType = 'single',
    contentType = 'text',
  ) =>
    api().ok<{ messageId: string; sessionId: string }>('POST', '/api/v1/messages', {
      token: from.accessToken,
      body: { sessionType, targetId, contentType, content, clientMsgId: clientMsgId() },
    });

  it('finds Chinese and English text over the whole history, ranked, with highlights', async () => {
    const { a, b, wsA, wsB } = await friendsOnline(platform());
    try {
      const long = await wsA.sendMessage(
        b.userId,
        '昨天我们讨论了很多事情，包括明年的预算和新项目计划书的进度，还有团队的安排',
      );
      const short = await wsA.sendMessage(b.userId, '项目计划书');
      await send(b, a.userId, 'Quarterly PLAN review at noon');
      await send(b, a.userId, '完全无关的一句话');

      const found = await search(b, { keyword: '项目计划' });
      expect(found.mode).to.equal('index');
      expect(found.total).to.equal(2);
      expect(
        found.messages.map((m) => m.messageId),
        'the message that is mostly the query first',
      ).to.deep.equal([short.data.messageId, long.data.messageId]);
      expect(marked(found.messages[1]!)).to.deep.equal(['项目计划']);
      expect(found.messages[1]!.highlight!.text).to.include('新项目计划书');

      const byTime = await search(b, { keyword: '项目计划', sort: 'time' });
      expect(byTime.messages.map((m) => m.messageId)).to.deep.equal([
        short.data.messageId,
        long.data.messageId,
      ]);

      const english = await search(a, { keyword: 'plan REVIEW' });
      expect(english.total, 'every term, any case').to.equal(1);
      expect(marked(english.messages[0]!)).to.deep.equal(['PLAN', 'review']);
      expect((await search(a, { keyword: 'plan budget' })).total).to.equal(0);
      expect((await search(a, { keyword: '%%%' })).total, 'wildcards are literal').to.equal(0);
    } finally {
      await Promise.all([wsA.close(), wsB.close()]);
    }
  });

  it('answers one- and two-character queries from my latest messages, and says so', async () => {
    const { b, wsA, wsB } = await friendsOnline(platform());
    try {
      await wsA.sendMessage(b.userId, '今天天气很好');
      await wsA.sendMessage(b.userId, '去吃饭吧');
      const two = await search(b, { keyword: '天气' });
      expect(two).to.include({ mode: 'recent', total: 1 });
      expect(marked(two.messages[0]!)).to.deep.equal(['天气']);
      const one = await search(b, { keyword: '饭' });
      expect(one).to.include({ mode: 'recent', total: 1 });
      const sessionId = two.messages[0]!.sessionId;
      expect((await search(b, { keyword: '吧', sessionId })).total).to.equal(1);
      const stranger = await registerUser(api());
      expect((await search(stranger, { keyword: '天气' })).total, 'only my conversations').to.equal(0);
    } finally {
      await Promise.all([wsA.close(), wsB.close()]);
    }
  });

  it('filters by sender, type and time, and keeps to what I may still see', async () => {
    const { a, b, wsA, wsB } = await friendsOnline(platform());
    try {
      const kept = await send(a, b.userId, '周末一起爬山怎么样');
      const deleted = await send(a, b.userId, '周末一起去看电影');
      const recalled = await send(a, b.userId, '周末一起打球');
      await send(b, a.userId, '周末一起吃火锅');
      await send(
        a,
        b.userId,
        { url: 'https://cdn.example.com/x.pdf', fileName: '周末一起.pdf', fileSize: 3 },
        'single',
        'file',
      );
      await api().ok('DELETE', `/api/v1/messages/${deleted.messageId}`, { token: b.accessToken });
      await api().ok('POST', `/api/v1/messages/${recalled.messageId}/recall`, { token: a.accessToken });

      const mine = await search(b, { keyword: '周末一起' });
      expect(mine.total, 'not deleted for me, not recalled').to.equal(3);
      expect((await search(a, { keyword: '周末一起' })).total, 'deleted only for b').to.equal(4);
      expect((await search(b, { keyword: '周末一起', senderId: a.userId })).total).to.equal(2);
      expect((await search(b, { keyword: '周末一起', contentType: 'file' })).total).to.equal(1);
      expect(
        (await search(b, { keyword: '周末一起', startTime: String(Date.now() + 60_000) })).total,
      ).to.equal(0);
      const filtersOnly = await search(b, { senderId: a.userId, contentType: 'text' });
      expect(filtersOnly).to.include({ mode: 'filter', total: 1 });
      expect(filtersOnly.messages[0]!.messageId).to.equal(kept.messageId);
      expect(filtersOnly.messages[0]!.highlight).to.equal(null);

      await api().ok('POST', '/api/v1/messages/clear', {
        token: b.accessToken,
        body: { sessionId: kept.sessionId },
      });
      expect((await search(b, { keyword: '周末一起' })).total, 'cleared conversation').to.equal(0);
      expect((await search(a, { keyword: '周末一起' })).total, 'the other side keeps it').to.equal(4);
    } finally {
      await Promise.all([wsA.close(), wsB.close()]);
    }
  });

  it('finds what a group said while I was in it, nothing after I left, and refuses searching it then', async () => {
    const users = await Promise.all(Array.from({ length: 3 }, () => registerUser(api())));
    const [owner, stays, leaves] = users as [User, User, User];
    await befriendAll(api(), owner, [stays, leaves]);
    const { groupId } = await api().ok<{ groupId: string }>('POST', '/api/v1/groups', {
      token: owner.accessToken,
      body: { name: '搜索组', memberIds: [stays.userId, leaves.userId] },
    });
    await send(owner, groupId, '季度总结会议纪要第一版', 'group');
    const sessionId = `g_${groupId}`;
    expect((await search(leaves, { keyword: '会议纪要', sessionId })).total).to.equal(1);
    await api().ok('POST', `/api/v1/groups/${groupId}/exit`, { token: leaves.accessToken });
    await send(owner, groupId, '季度总结会议纪要第二版', 'group');
    expect((await search(stays, { keyword: '会议纪要' })).total).to.equal(2);
    expect((await search(leaves, { keyword: '会议纪要' })).total, 'before leaving only').to.equal(1);
    expect((await search(leaves, { keyword: '纪要' })).total, 'short queries too').to.equal(1);
    const refused = await api().call<unknown>(
      'GET',
      `/api/v1/messages/search?${new URLSearchParams({ keyword: '会议纪要', sessionId })}`,
      { token: leaves.accessToken },
    );
    expect(refused.status).to.equal(403);
    const outsider = await registerUser(api());
    const forbidden = await api().call<unknown>(
      'GET',
      `/api/v1/messages/search?${new URLSearchParams({ keyword: '会议纪要', sessionId })}`,
      { token: outsider.accessToken },
    );
    expect(forbidden.body.code).to.not.equal(0);
    expect((await api().call('GET', '/api/v1/messages/search?keyword=x')).status, 'signed in only').to.equal(
      401,
    );
    const tooLong = await api().call('GET', `/api/v1/messages/search?keyword=${'长'.repeat(101)}`, {
      token: stays.accessToken,
    });
    expect(tooLong.body.code).to.equal(ErrorCode.INVALID_PARAMS);
  });
});
