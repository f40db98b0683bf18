import { expect } from 'chai';
import { registerUser, type SignedIn } from '../support/api-client.ts';
import { befriendAll } from '../support/chat.ts';
import { forEachBackend } from '../support/platform.ts';
import { clientMsgId } from '../support/ws-client.ts';

type User = SignedIn & { account: string };

/**
 * GROUP_MAX_MEMBERS for this suite: above 500, the most ids one call for profiles takes, so that one
 * group at the cap also has more readers of a message and more peers than one such call holds.
 */
const CAP = 502;
/** Requests in flight at once while setting up (registrations hash passwords: the CPU is the limit). */
const PARALLEL = 8;

interface SystemContent {
  kind: string;
  text: string;
  data: { memberIds?: string[] };
}

async function inParallel<T, R>(items: T[], work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += PARALLEL)
    results.push(
      ...(await Promise.all(items.slice(start, start + PARALLEL).map((item, i) => work(item, start + i)))),
    );
  return results;
}

forEachBackend(
  `a group at the member cap (${CAP})`,
  (platform) => {
    const api = () => platform().api;
    const as = <T>(user: User, method: string, path: string, body?: unknown) =>
      api().ok<T>(method, path, { token: user.accessToken, ...(body === undefined ? {} : { body }) });
    let owner: User;
    let members: User[];
    let groupId: string;

    before(async function () {
      this.timeout(900_000);
      owner = (await registerUser(api(), { nickname: 'Founder' })) as User;
      members = await inParallel(
        Array.from({ length: CAP - 1 }, (_, i) => i),
        async (i) => (await registerUser(api(), { nickname: `Member ${i}` })) as User,
      );
      // Only friends are put into a group directly (see group-invitations.test.ts).
      await befriendAll(api(), owner, members, PARALLEL);
      const created = await as<{ groupId: string; memberCount: number; successIds: string[] }>(
        owner,
        'POST',
        '/api/v1/groups',
        { name: 'Everyone', memberIds: members.map((m) => m.userId) },
      );
      expect(created.memberCount).to.equal(CAP);
      expect(created.successIds).to.have.length(CAP - 1);
      groupId = created.groupId;
      await platform().host.settled();
    });

    it('shows every member the group\'s "invited" notice, its text summarized and every id in its data', async function () {
      this.timeout(600_000);
      const notices = await inParallel([owner, ...members], async (user) => {
        const { messages } = await as<{ messages: Array<{ contentType: string; content: SystemContent }> }>(
          user,
          'GET',
          `/api/v1/messages/history?sessionId=g_${groupId}&limit=20`,
        );
        return messages.find((m) => m.contentType === 'system' && m.content.kind === 'group.created')
          ?.content;
      });
      expect(notices.filter((notice) => notice === undefined)).to.have.length(0);
      const notice = notices[0]!;
      expect(notice.text.length).to.be.at.most(1000);
      expect(notice.text).to.match(
        new RegExp(`^Founder created the group and invited Member \\d+, .*, and ${CAP - 1 - 9} others$`),
      );
      expect(notice.data.memberIds).to.have.members([owner.userId, ...members.map((m) => m.userId)]);
    });

    it('names every reader of a message, more than one profile lookup holds', async function () {
      this.timeout(600_000);
      const sent = await as<{ messageId: string }>(owner, 'POST', '/api/v1/messages', {
        sessionType: 'group',
        targetId: groupId,
        contentType: 'text',
        content: 'all read this',
        clientMsgId: clientMsgId(),
      });
      await inParallel(members, (member) =>
        as(member, 'POST', '/api/v1/messages/ack', { sessionId: `g_${groupId}` }),
      );
      const reads = await as<{
        readCount: number;
        unreadCount: number;
        readMembers: Array<{ userId: string; nickname: string | null }>;
      }>(owner, 'GET', `/api/v1/messages/${sent.messageId}/reads?groupId=${groupId}`);
      expect(reads).to.include({ readCount: CAP - 1, unreadCount: 0 });
      const named = new Map(members.map((m, i) => [m.userId, `Member ${i}`]));
      expect(reads.readMembers.filter((r) => r.nickname !== named.get(r.userId))).to.deep.equal([]);
    });

    it('names every peer of a conversation list changed in more than one profile lookup holds', async function () {
      this.timeout(600_000);
      const since = new Date(Date.now() - 1000).toISOString();
      await inParallel(members, (member) =>
        as(owner, 'POST', '/api/v1/sessions', { sessionType: 'single', targetId: member.userId }),
      );
      const changes = await as<{
        sessions: Array<{ sessionType: string; targetId: string; name: string | null }>;
      }>(owner, 'GET', `/api/v1/sessions?lastUpdateTime=${encodeURIComponent(since)}`);
      const single = changes.sessions.filter((s) => s.sessionType === 'single');
      expect(single).to.have.length(CAP - 1);
      const named = new Map(members.map((m, i) => [m.userId, `Member ${i}`]));
      expect(single.filter((s) => s.name !== named.get(s.targetId))).to.deep.equal([]);
    });
  },
  // Hundreds of calls from one address in a few minutes.
  { GROUP_MAX_MEMBERS: String(CAP), RATE_LIMIT_FACTOR: '1000' },
);
