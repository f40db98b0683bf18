import { expect } from 'chai';
import { NOTICE_LIST_MAX } from '../../services/group/domain/events.ts';
import type {
  SystemMessageRequested,
  TimelineAppendRequested,
} from '../../services/platform/contracts/gen/anychat/message/v1/events_pb.ts';
import { SystemMessageTopic, TimelineTopics } from '../../services/platform/contracts/index.ts';
import { eventSubscription } from '../../services/platform/events/index.ts';
import { createLogger } from '../../services/platform/logger.ts';
import { registerUser, type SignedIn } from '../support/api-client.ts';
import { befriendAll } from '../support/chat.ts';
import { eventually } from '../support/eventually.ts';
import { forEachBackend } from '../support/platform.ts';

/** Members first put into the group, then as many again added: both more than a notice names. */
const BATCH = NOTICE_LIST_MAX + 1;
const CAP = 2 * BATCH + 1;

/**
 * A group notice is copied into every member's timeline, so what it lists must not grow with the
 * group: a list of everyone made one change cost members × members, and 500 added to a group of
 * 2,000 ran the platform out of memory (BENCHMARKS.md, "Group notices"). The system message, stored
 * once for the group, still names everyone.
 */
forEachBackend(
  'group notices in members’ timelines',
  (platform) => {
    const api = () => platform().api;
    const timeline: TimelineAppendRequested[] = [];
    const system: SystemMessageRequested[] = [];
    const stops: Array<() => void> = [];
    before(() => {
      const { bus, pubsubName } = platform();
      const logger = createLogger('silent');
      stops.push(
        bus.subscribe(
          'test-observer',
          eventSubscription({
            pubsubName,
            topic: TimelineTopics.append,
            logger,
            handle: async (m) => void timeline.push(m),
          }),
        ),
        bus.subscribe(
          'test-observer',
          eventSubscription({
            pubsubName,
            topic: SystemMessageTopic,
            logger,
            handle: async (m) => void system.push(m),
          }),
        ),
      );
    });
    after(() => {
      for (const stop of stops) stop();
    });

    it('names at most NOTICE_LIST_MAX members in the timeline notice; the system message names all', async function () {
      this.timeout(300_000);
      const owner = (await registerUser(api())) as SignedIn;
      const users: SignedIn[] = [];
      for (let start = 0; start < 2 * BATCH; start += 8)
        users.push(
          ...(await Promise.all(
            Array.from(
              { length: Math.min(8, 2 * BATCH - start) },
              () => registerUser(api()) as Promise<SignedIn>,
            ),
          )),
        );
      // Friends of the owner are added directly (strangers would be invited).
      await befriendAll(api(), owner, users);
      const first = users.slice(0, BATCH).map((u) => u.userId);
      const second = users.slice(BATCH).map((u) => u.userId);
      const { groupId } = await api().ok<{ groupId: string }>('POST', '/api/v1/groups', {
        token: owner.accessToken,
        body: { name: 'Many', memberIds: first },
      });

      const created = await eventually('the group.created notice', () =>
        timeline.find((e) => e.kind === 'group.created' && e.payload?.groupId === groupId),
      );
      expect(created.recipients).to.have.length(BATCH + 1);
      expect(created.payload?.memberIds).to.have.length(NOTICE_LIST_MAX);
      const createdMessage = await eventually('the group.created system message', () =>
        system.find((e) => e.kind === 'group.created' && e.groupId === groupId),
      );
      expect(createdMessage.data?.memberIds).to.have.members([owner.userId, ...first]);

      await api().ok('POST', `/api/v1/groups/${groupId}/members`, {
        token: owner.accessToken,
        body: { userIds: second },
      });
      const joined = await eventually('the group.member.joined notice', () =>
        timeline.find((e) => e.kind === 'group.member.joined' && e.payload?.groupId === groupId),
      );
      expect(joined.recipients).to.have.length(CAP);
      expect(joined.payload).to.include({ joinedCount: BATCH, memberCount: CAP });
      expect(joined.payload?.userIds).to.deep.equal(second.slice(0, NOTICE_LIST_MAX));
      expect(joined.payload?.users).to.have.length(NOTICE_LIST_MAX);
      const joinedMessage = await eventually('the group.member.joined system message', () =>
        system.find((e) => e.kind === 'group.member.joined' && e.groupId === groupId),
      );
      expect(joinedMessage.data?.userIds).to.deep.equal(second);
      expect(joinedMessage.data?.users).to.have.length(BATCH);
    });
  },
  { GROUP_MAX_MEMBERS: String(CAP), RATE_LIMIT_FACTOR: '1000' },
);
