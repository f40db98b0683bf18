import { expect } from 'chai';
import type { TimelineAppendRequested } from '../../services/platform/contracts/gen/anychat/message/v1/events_pb.ts';
import { SessionService } from '../../services/platform/contracts/gen/anychat/session/v1/session_pb.ts';
import {
  groupSessionId,
  MessageTopics,
  singleSessionId,
  TimelineTopics,
} from '../../services/platform/contracts/index.ts';
import { ErrorCode } from '../../services/platform/errors.ts';
import { eventSubscription } from '../../services/platform/events/index.ts';
import { createLogger } from '../../services/platform/logger.ts';
import { registerUser } from '../support/api-client.ts';
import { forEachBackend } from '../support/platform.ts';

interface LastMessage {
  messageId: string;
  senderId: string;
  contentType: string;
  preview: string;
  seq: number;
  timestamp: string;
  recalled: boolean;
}

interface Session {
  sessionId: string;
  sessionType: 'single' | 'group';
  targetId: string;
  name: string | null;
  avatar: string | null;
  lastMessage: LastMessage | null;
  unreadCount: number;
  mentionUnread: number;
  readSeq: number;
  isPinned: boolean;
  isMuted: boolean;
  deleted: boolean;
  createdAt: string;
  updatedAt: string;
}

interface SessionList {
  total: number;
  sessions: Session[];
  updateTime: string;
}

interface Unread {
  total: number;
  sessions: number;
  mentionUnread: number;
}

/*
 * The message events below are published as raw JSON in the form the message service wrote before
 * the contracts were proto (numbers for seqs, ISO times), as rows stored then are still published:
 * the session service must read them as it reads the proto JSON of today.
 */
interface MessageCreatedEvent {
  messageId: string;
  sessionId: string;
  sessionType: 'single' | 'group';
  senderId: string;
  targetId: string;
  participants: string[];
  seq: number;
  contentType: string;
  preview: string;
  mentions: string[];
  mentionAll: boolean;
  createdAt: string;
}

interface MessageReadEvent {
  userId: string;
  sessionId: string;
  readSeq: number;
  readAt: string;
}

interface MessageRecalledEvent {
  messageId: string;
  sessionId: string;
  participants: string[];
  seq: number;
  recalledBy: string;
  recalledAt: string;
}

interface MessageClearedEvent {
  userId: string;
  sessionId: string;
  clearedSeq: number;
}

let nextMessageId = 7_000_000_000n;
let nextGroupId = 9_100_000_000n;
const BASE_TIME = Date.parse('2026-11-22T08:00:00Z');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A message event as the message service publishes it; the clock follows the seq. */
function message(
  sessionId: string,
  senderId: string,
  participants: string[],
  seq: number,
  extra: Partial<MessageCreatedEvent> = {},
): MessageCreatedEvent {
  const single = sessionId.startsWith('s_');
  return {
    messageId: String(nextMessageId++),
    sessionId,
    sessionType: single ? 'single' : 'group',
    senderId,
    targetId: single ? participants.find((p) => p !== senderId)! : sessionId.slice(2),
    participants,
    seq,
    contentType: 'text',
    preview: `message ${seq}`,
    mentions: [],
    mentionAll: false,
    createdAt: new Date(BASE_TIME + seq * 1000).toISOString(),
    ...extra,
  };
}

forEachBackend('sessions over HTTP', (platform) => {
  const api = () => platform().api;
  const publish = async (topic: string, data: unknown) => {
    await platform().bus.port('message').publish(platform().pubsubName, topic, data);
  };
  /** Publishes events as the message service would and waits until every handler has run. */
  const deliver = async (topic: string, ...events: unknown[]) => {
    for (const event of events) await publish(topic, event);
    await platform().host.settled();
  };
  const list = (token: string, query = '') =>
    api().ok<SessionList>('GET', `/api/v1/sessions${query}`, { token });
  const one = (token: string, sessionId: string) =>
    api().ok<Session>('GET', `/api/v1/sessions/${sessionId}`, { token });
  const unread = (token: string) => api().ok<Unread>('GET', '/api/v1/sessions/unread', { token });
  /** What the session service hands to the sync timeline (an observer app on the same bus). */
  const timeline: TimelineAppendRequested[] = [];
  before(() => {
    // Subscribed for the whole suite: a consumer group without members would hold its events for retry.
    platform().bus.subscribe(
      'test-observer',
      eventSubscription({
        pubsubName: platform().pubsubName,
        topic: TimelineTopics.append,
        logger: createLogger('silent'),
        handle: async (event) => timeline.push(event),
      }),
    );
  });
  const pair = async () => {
    const alice = await registerUser(api(), { nickname: 'Alice' });
    const bob = await registerUser(api(), { nickname: 'Bob' });
    return { alice, bob, sessionId: singleSessionId(alice.userId, bob.userId) };
  };

  it('lists a conversation from message events, with the peer, last message and unread count', async () => {
    const { alice, bob, sessionId } = await pair();
    const first = message(sessionId, alice.userId, [alice.userId, bob.userId], 1, { preview: 'hi Bob' });
    await deliver(MessageTopics.created, first);

    const bobs = await list(bob.accessToken);
    expect(bobs.total).to.equal(1);
    expect(bobs.sessions[0]).to.deep.include({
      sessionId,
      sessionType: 'single',
      targetId: alice.userId,
      name: 'Alice',
      avatar: null,
      unreadCount: 1,
      mentionUnread: 0,
      readSeq: 0,
      isPinned: false,
      isMuted: false,
      deleted: false,
    });
    expect(bobs.sessions[0]!.lastMessage).to.deep.equal({
      messageId: first.messageId,
      senderId: alice.userId,
      contentType: 'text',
      preview: 'hi Bob',
      seq: 1,
      timestamp: first.createdAt,
      recalled: false,
    });
    expect(Date.parse(bobs.updateTime)).to.be.a('number').and.not.NaN;

    const alices = await list(alice.accessToken);
    expect(alices.sessions[0]).to.deep.include({
      sessionId,
      targetId: bob.userId,
      name: 'Bob',
      unreadCount: 0,
    });
    expect(alices.sessions[0]!.readSeq).to.equal(1);
    expect(await one(bob.accessToken, sessionId)).to.deep.equal(bobs.sessions[0]);
  });

  it('orders pinned conversations first, then by latest message, and pages', async () => {
    const carol = await registerUser(api(), { nickname: 'Carol' });
    const peers = [];
    for (const nickname of ['P1', 'P2', 'P3']) peers.push(await registerUser(api(), { nickname }));
    const ids = peers.map((peer) => singleSessionId(carol.userId, peer.userId));
    // P2 wrote last, then P3, then P1 (message times, not delivery order, decide).
    await deliver(
      MessageTopics.created,
      message(ids[0]!, peers[0]!.userId, [carol.userId, peers[0]!.userId], 1),
      message(ids[1]!, peers[1]!.userId, [carol.userId, peers[1]!.userId], 30),
      message(ids[2]!, peers[2]!.userId, [carol.userId, peers[2]!.userId], 20),
    );
    const order = async () => (await list(carol.accessToken)).sessions.map((s) => s.sessionId);
    expect(await order()).to.deep.equal([ids[1], ids[2], ids[0]]);

    await api().ok('PUT', `/api/v1/sessions/${ids[0]}/pin`, {
      token: carol.accessToken,
      body: { isPinned: true },
    });
    expect(await order()).to.deep.equal([ids[0], ids[1], ids[2]]);

    const page2 = await list(carol.accessToken, '?page=2&pageSize=1');
    expect(page2.total).to.equal(3);
    expect(page2.sessions.map((s) => s.sessionId)).to.deep.equal([ids[1]]);

    await api().ok('PUT', `/api/v1/sessions/${ids[0]}/pin`, {
      token: carol.accessToken,
      body: { isPinned: false },
    });
    expect(await order()).to.deep.equal([ids[1], ids[2], ids[0]]);
  });

  it('counts each message once when events are redelivered or arrive out of order', async () => {
    const { alice, bob, sessionId } = await pair();
    const both = [alice.userId, bob.userId];
    const m1 = message(sessionId, alice.userId, both, 1);
    const m2 = message(sessionId, alice.userId, both, 2);
    const m3 = message(sessionId, alice.userId, both, 3);
    await deliver(MessageTopics.created, m3, m1, m1);
    let seen = await one(bob.accessToken, sessionId);
    expect(seen.unreadCount).to.equal(2);
    expect(seen.lastMessage).to.include({ seq: 3, messageId: m3.messageId, preview: 'message 3' });

    await deliver(MessageTopics.created, m2, m3, m2, m1);
    seen = await one(bob.accessToken, sessionId);
    expect(seen.unreadCount).to.equal(3);
    expect(seen.lastMessage).to.include({ seq: 3, messageId: m3.messageId });
    expect((await unread(bob.accessToken)).total).to.equal(3);
  });

  it('stays right when many events of one conversation are handled at the same time', async () => {
    const { alice, bob, sessionId } = await pair();
    const both = [alice.userId, bob.userId];
    const messages = Array.from({ length: 30 }, (_, i) => message(sessionId, alice.userId, both, i + 1));
    const shuffled = [...messages, ...messages.slice(0, 10)].sort(() => Math.random() - 0.5);
    const read: MessageReadEvent = {
      userId: bob.userId,
      sessionId,
      readSeq: 12,
      readAt: new Date().toISOString(),
    };
    // Published without waiting in between: the handlers run concurrently.
    await Promise.all([
      ...shuffled.map((event) => publish(MessageTopics.created, event)),
      publish(MessageTopics.read, read),
    ]);
    await platform().host.settled();
    const seen = await one(bob.accessToken, sessionId);
    expect(seen.unreadCount).to.equal(18);
    expect(seen.readSeq).to.equal(12);
    expect(seen.lastMessage).to.include({ seq: 30, messageId: messages[29]!.messageId });
  });

  it('keeps every member of a busy group right under concurrent messages, recalls and reads', async () => {
    const members = [];
    for (let i = 0; i < 4; i++) members.push(await registerUser(api()));
    const ids = members.map((m) => m.userId);
    const sessionId = groupSessionId(String(nextGroupId++));
    // Members 0 and 1 talk (member 1 mentions member 3 now and then); 2 and 3 only read.
    const messages = Array.from({ length: 24 }, (_, i) =>
      message(sessionId, ids[i % 2]!, ids, i + 1, i % 5 === 0 ? { mentions: [ids[3]!] } : {}),
    );
    const recalled = [messages[6]!, messages[23]!];
    const reads: MessageReadEvent[] = [
      { userId: ids[2]!, sessionId, readSeq: 10, readAt: new Date().toISOString() },
      { userId: ids[3]!, sessionId, readSeq: 3, readAt: new Date().toISOString() },
    ];
    const events: Array<[string, unknown]> = [
      ...messages.map((m) => [MessageTopics.created, m] as [string, unknown]),
      ...messages.slice(0, 8).map((m) => [MessageTopics.created, m] as [string, unknown]),
      ...recalled.map(
        (m) =>
          [
            MessageTopics.recalled,
            {
              messageId: m.messageId,
              sessionId,
              participants: ids,
              seq: m.seq,
              recalledBy: m.senderId,
              recalledAt: new Date().toISOString(),
            },
          ] as [string, unknown],
      ),
      ...reads.map((r) => [MessageTopics.read, r] as [string, unknown]),
    ].sort(() => Math.random() - 0.5);
    await Promise.all(events.map(([topic, data]) => publish(topic, data)));
    await platform().host.settled();

    const gone = new Set(recalled.map((m) => m.seq));
    for (const [index, member] of members.entries()) {
      const own = messages.filter((m) => m.senderId === member.userId).map((m) => m.seq);
      const readSeq = Math.max(
        0,
        ...own,
        ...reads.filter((r) => r.userId === member.userId).map((r) => r.readSeq),
      );
      const unreadMessages = messages.filter(
        (m) => m.senderId !== member.userId && m.seq > readSeq && !gone.has(m.seq),
      );
      const seen = await one(member.accessToken, sessionId);
      expect(seen, `member ${index}`).to.include({
        readSeq,
        unreadCount: unreadMessages.length,
        mentionUnread: unreadMessages.filter((m) => m.mentions.includes(member.userId)).length,
      });
      expect(seen.lastMessage, `member ${index}`).to.include({
        seq: 24,
        recalled: true,
        preview: '[recalled]',
      });
    }
  });

  it('clears unread up to the read position, whatever order reads and messages come in', async () => {
    const { alice, bob, sessionId } = await pair();
    const both = [alice.userId, bob.userId];
    const readUpTo = (readSeq: number): MessageReadEvent => ({
      userId: bob.userId,
      sessionId,
      readSeq,
      readAt: new Date().toISOString(),
    });
    await deliver(
      MessageTopics.created,
      ...[1, 2, 3, 4].map((seq) => message(sessionId, alice.userId, both, seq)),
    );
    expect((await one(bob.accessToken, sessionId)).unreadCount).to.equal(4);
    await deliver(MessageTopics.read, readUpTo(2));
    expect(await one(bob.accessToken, sessionId)).to.include({ unreadCount: 2, readSeq: 2 });
    await deliver(MessageTopics.read, readUpTo(1), readUpTo(2));
    expect(await one(bob.accessToken, sessionId)).to.include({ unreadCount: 2, readSeq: 2 });
    // Read on another device up to 6 before messages 5 and 6 reached this service.
    await deliver(MessageTopics.read, readUpTo(6));
    await deliver(MessageTopics.created, ...[6, 5].map((seq) => message(sessionId, alice.userId, both, seq)));
    expect(await one(bob.accessToken, sessionId)).to.include({ unreadCount: 0, readSeq: 6 });
    await deliver(MessageTopics.created, message(sessionId, alice.userId, both, 7));
    expect(await one(bob.accessToken, sessionId)).to.include({ unreadCount: 1, readSeq: 6 });
    // A read receipt alone does not list a conversation.
    const carol = await registerUser(api());
    const ghost = singleSessionId(carol.userId, alice.userId);
    await deliver(MessageTopics.read, {
      userId: carol.userId,
      sessionId: ghost,
      readSeq: 3,
      readAt: readUpTo(0).readAt,
    });
    expect((await list(carol.accessToken)).total).to.equal(0);
    expect(
      (await api().call('GET', `/api/v1/sessions/${ghost}`, { token: carol.accessToken })).body.code,
    ).to.equal(ErrorCode.SESSION_NOT_FOUND);
    // ...but it is remembered: the messages it covers arrive already read.
    await deliver(
      MessageTopics.created,
      ...[3, 1, 2, 4].map((seq) => message(ghost, alice.userId, [alice.userId, carol.userId], seq)),
    );
    expect(await one(carol.accessToken, ghost)).to.include({ unreadCount: 1, readSeq: 3 });
  });

  it('never counts my own messages as unread, and a message of mine reads what came before', async () => {
    const { alice, bob, sessionId } = await pair();
    const both = [alice.userId, bob.userId];
    await deliver(
      MessageTopics.created,
      message(sessionId, bob.userId, both, 1),
      message(sessionId, bob.userId, both, 2),
    );
    expect((await one(alice.accessToken, sessionId)).unreadCount).to.equal(2);
    const mine = message(sessionId, alice.userId, both, 4);
    await deliver(MessageTopics.created, mine);
    let seen = await one(alice.accessToken, sessionId);
    expect(seen).to.include({ unreadCount: 0, readSeq: 4 });
    expect(seen.lastMessage).to.include({ senderId: alice.userId, seq: 4 });
    // Bob's message 3 was sent before Alice's reply but arrives after it: already read.
    await deliver(MessageTopics.created, message(sessionId, bob.userId, both, 3));
    seen = await one(alice.accessToken, sessionId);
    expect(seen).to.include({ unreadCount: 0, readSeq: 4 });
    expect(seen.lastMessage).to.include({ seq: 4 });
    expect((await one(bob.accessToken, sessionId)).unreadCount).to.equal(1);
  });

  it('counts @me separately in group conversations', async () => {
    const [alice, bob, carol] = [
      await registerUser(api()),
      await registerUser(api()),
      await registerUser(api()),
    ];
    const groupId = String(nextGroupId++);
    const sessionId = groupSessionId(groupId);
    const members = [alice!.userId, bob!.userId, carol!.userId];
    await deliver(
      MessageTopics.created,
      message(sessionId, alice!.userId, members, 1),
      message(sessionId, alice!.userId, members, 2, { mentions: [bob!.userId] }),
      message(sessionId, carol!.userId, members, 3, { mentionAll: true }),
    );
    const bobs = await one(bob!.accessToken, sessionId);
    expect(bobs).to.deep.include({
      sessionType: 'group',
      targetId: groupId,
      name: null,
      unreadCount: 3,
      mentionUnread: 2,
    });
    // Carol's own message reads what came before it.
    expect(await one(carol!.accessToken, sessionId)).to.include({
      unreadCount: 0,
      mentionUnread: 0,
      readSeq: 3,
    });
    expect(await one(alice!.accessToken, sessionId)).to.include({ unreadCount: 1, mentionUnread: 1 });
    expect(await unread(bob!.accessToken)).to.deep.equal({ total: 3, sessions: 1, mentionUnread: 2 });
  });

  it('shows a recalled last message as recalled, even when the recall arrives before the message', async () => {
    const { alice, bob, sessionId } = await pair();
    const both = [alice.userId, bob.userId];
    const m1 = message(sessionId, alice.userId, both, 1);
    const m2 = message(sessionId, alice.userId, both, 2, { preview: 'oops' });
    await deliver(MessageTopics.created, m1, m2);
    const recall = (m: MessageCreatedEvent): MessageRecalledEvent => ({
      messageId: m.messageId,
      sessionId,
      participants: both,
      seq: m.seq,
      recalledBy: m.senderId,
      recalledAt: new Date().toISOString(),
    });
    await deliver(MessageTopics.recalled, recall(m2), recall(m2));
    let seen = await one(bob.accessToken, sessionId);
    expect(seen.unreadCount).to.equal(1);
    expect(seen.lastMessage).to.include({ seq: 2, recalled: true, preview: '[recalled]' });
    expect((await one(alice.accessToken, sessionId)).lastMessage).to.include({ seq: 2, recalled: true });

    // Recall of message 4 handled before messages 3 and 4 themselves.
    const m3 = message(sessionId, alice.userId, both, 3);
    const m4 = message(sessionId, alice.userId, both, 4, { preview: 'secret' });
    await deliver(MessageTopics.recalled, recall(m4));
    await deliver(MessageTopics.created, m4, m3);
    seen = await one(bob.accessToken, sessionId);
    expect(seen.unreadCount).to.equal(2); // messages 1 and 3
    expect(seen.lastMessage).to.include({ seq: 4, recalled: true, preview: '[recalled]' });

    // Recalling an older message leaves the last one alone.
    const m5 = message(sessionId, alice.userId, both, 5, { preview: 'latest' });
    await deliver(MessageTopics.created, m5);
    await deliver(MessageTopics.recalled, recall(m3));
    seen = await one(bob.accessToken, sessionId);
    expect(seen.unreadCount).to.equal(2); // messages 1 and 5
    expect(seen.lastMessage).to.include({ seq: 5, recalled: false, preview: 'latest' });
  });

  it('hides a deleted conversation until a newer message arrives', async () => {
    const { alice, bob, sessionId } = await pair();
    const both = [alice.userId, bob.userId];
    const old = [1, 2].map((seq) => message(sessionId, alice.userId, both, seq));
    await deliver(MessageTopics.created, ...old);
    await api().ok('DELETE', `/api/v1/sessions/${sessionId}`, { token: bob.accessToken });
    expect((await list(bob.accessToken)).total).to.equal(0);
    expect(await unread(bob.accessToken)).to.deep.equal({ total: 0, sessions: 0, mentionUnread: 0 });
    const gone = await api().call('GET', `/api/v1/sessions/${sessionId}`, { token: bob.accessToken });
    expect(gone.status).to.equal(404);
    expect(gone.body.code).to.equal(ErrorCode.SESSION_DELETED);
    const pin = await api().call('PUT', `/api/v1/sessions/${sessionId}/pin`, {
      token: bob.accessToken,
      body: { isPinned: true },
    });
    expect(pin.body.code).to.equal(ErrorCode.SESSION_DELETED);
    // Deleting again is fine; the other user's list is untouched.
    await api().ok('DELETE', `/api/v1/sessions/${sessionId}`, { token: bob.accessToken });
    expect((await one(alice.accessToken, sessionId)).lastMessage).to.include({ seq: 2 });

    // Redelivered old messages do not bring it back.
    await deliver(MessageTopics.created, ...old);
    expect((await list(bob.accessToken)).total).to.equal(0);

    await deliver(
      MessageTopics.created,
      message(sessionId, alice.userId, both, 3, { preview: 'are you there?' }),
    );
    const back = await list(bob.accessToken);
    expect(back.total).to.equal(1);
    expect(back.sessions[0]).to.deep.include({ sessionId, unreadCount: 1, deleted: false });
    expect(back.sessions[0]!.lastMessage).to.include({ seq: 3, preview: 'are you there?' });
  });

  it('clears the last message and unread count when the history is cleared', async () => {
    const { alice, bob, sessionId } = await pair();
    const both = [alice.userId, bob.userId];
    await deliver(MessageTopics.created, ...[1, 2].map((seq) => message(sessionId, alice.userId, both, seq)));
    const cleared: MessageClearedEvent = { userId: bob.userId, sessionId, clearedSeq: 2 };
    await deliver(MessageTopics.cleared, cleared, cleared);
    let seen = await one(bob.accessToken, sessionId);
    expect(seen).to.include({ unreadCount: 0, lastMessage: null });
    expect((await one(alice.accessToken, sessionId)).lastMessage).to.include({ seq: 2 });
    await deliver(MessageTopics.created, message(sessionId, alice.userId, both, 3));
    seen = await one(bob.accessToken, sessionId);
    expect(seen.unreadCount).to.equal(1);
    expect(seen.lastMessage).to.include({ seq: 3 });
    // A clear handled before the messages it covers still wins.
    await deliver(MessageTopics.cleared, { userId: alice.userId, sessionId, clearedSeq: 5 });
    await deliver(MessageTopics.created, ...[5, 4].map((seq) => message(sessionId, bob.userId, both, seq)));
    expect(await one(alice.accessToken, sessionId)).to.include({ unreadCount: 0, lastMessage: null });
  });

  it('pins and mutes; muted conversations stay out of the unread badge total', async () => {
    const dan = await registerUser(api());
    const [p1, p2] = [await registerUser(api()), await registerUser(api())];
    const s1 = singleSessionId(dan.userId, p1!.userId);
    const s2 = singleSessionId(dan.userId, p2!.userId);
    await deliver(
      MessageTopics.created,
      ...[1, 2, 3].map((seq) => message(s1, p1!.userId, [dan.userId, p1!.userId], seq)),
      ...[1, 2].map((seq) => message(s2, p2!.userId, [dan.userId, p2!.userId], seq)),
    );
    expect(await unread(dan.accessToken)).to.deep.equal({ total: 5, sessions: 2, mentionUnread: 0 });
    const muted = await api().ok<Session>('PUT', `/api/v1/sessions/${s1}/mute`, {
      token: dan.accessToken,
      body: { isMuted: true },
    });
    expect(muted).to.include({ sessionId: s1, isMuted: true, unreadCount: 3 });
    expect(await unread(dan.accessToken)).to.deep.equal({ total: 2, sessions: 1, mentionUnread: 0 });
    // Its own count is still reported.
    expect((await one(dan.accessToken, s1)).unreadCount).to.equal(3);
    const pinned = await api().ok<Session>('PUT', `/api/v1/sessions/${s1}/pin`, {
      token: dan.accessToken,
      body: { isPinned: true },
    });
    expect(pinned).to.include({ isPinned: true, isMuted: true });
    await api().ok('PUT', `/api/v1/sessions/${s1}/mute`, {
      token: dan.accessToken,
      body: { isMuted: false },
    });
    expect(await unread(dan.accessToken)).to.deep.equal({ total: 5, sessions: 2, mentionUnread: 0 });

    const { settings } = await platform().invoker.call(SessionService.method.getSessionSettings, {
      userId: dan.userId,
      sessionIds: [s1, s2, singleSessionId(p1!.userId, p2!.userId)],
    });
    expect(
      settings.map(({ sessionId, isMuted, isPinned }) => ({ sessionId, isMuted, isPinned })),
    ).to.deep.equal([
      { sessionId: s1, isMuted: false, isPinned: true },
      { sessionId: s2, isMuted: false, isPinned: false },
      { sessionId: singleSessionId(p1!.userId, p2!.userId), isMuted: false, isPinned: false },
    ]);
    const badCall = await platform()
      .invoker.call(SessionService.method.getSessionSettings, { userId: 'x', sessionIds: ['nope'] })
      .catch((error: { code?: number }) => error);
    expect((badCall as { code?: number }).code).to.equal(ErrorCode.INVALID_PARAMS);
  });

  it('tells my other devices about pin, mute and delete through the timeline', async () => {
    const { alice, bob, sessionId } = await pair();
    await deliver(MessageTopics.created, message(sessionId, bob.userId, [alice.userId, bob.userId], 1));
    const token = alice.accessToken;
    await api().ok('PUT', `/api/v1/sessions/${sessionId}/pin`, { token, body: { isPinned: true } });
    await api().ok('PUT', `/api/v1/sessions/${sessionId}/pin`, { token, body: { isPinned: true } });
    await api().ok('PUT', `/api/v1/sessions/${sessionId}/mute`, { token, body: { isMuted: true } });
    await api().ok('DELETE', `/api/v1/sessions/${sessionId}`, { token });
    await api().ok('DELETE', `/api/v1/sessions/${sessionId}`, { token });
    await platform().host.settled();
    const mine = timeline.filter((event) => event.recipients.includes(alice.userId));
    expect(mine.map((event) => event.kind)).to.deep.equal([
      'session.updated',
      'session.updated',
      'session.deleted',
    ]);
    for (const event of mine) {
      expect(event.recipients).to.deep.equal([alice.userId]);
      expect(event.originDevice).to.deep.include({ userId: alice.userId, deviceId: `web-${alice.account}` });
      expect(event.eventId).to.match(/^[0-9]+$/);
    }
    expect(new Set(mine.map((event) => event.eventId)).size).to.equal(3);
    expect(mine[0]!.payload).to.include({ sessionId, isPinned: true, isMuted: false });
    expect(mine[1]!.payload).to.include({ sessionId, isPinned: true, isMuted: true });
    expect(mine[2]!.payload).to.deep.equal({ sessionId });
  });

  it('syncs incrementally: everything changed since the cursor, deletions included', async () => {
    const eve = await registerUser(api());
    const peers = [await registerUser(api()), await registerUser(api()), await registerUser(api())];
    const [quiet, pinned, removed] = peers.map((peer) => singleSessionId(eve.userId, peer.userId)) as [
      string,
      string,
      string,
    ];
    await deliver(
      MessageTopics.created,
      ...peers.map((peer, i) =>
        message(singleSessionId(eve.userId, peer.userId), peer.userId, [eve.userId, peer.userId], i + 1),
      ),
    );
    await sleep(1100); // older than the cursor's overlap
    const full = await list(eve.accessToken);
    expect(full.total).to.equal(3);
    const cursor = full.updateTime;

    const fresh = await registerUser(api());
    const added = singleSessionId(eve.userId, fresh.userId);
    await api().ok('PUT', `/api/v1/sessions/${pinned}/pin`, {
      token: eve.accessToken,
      body: { isPinned: true },
    });
    await api().ok('DELETE', `/api/v1/sessions/${removed}`, { token: eve.accessToken });
    await deliver(MessageTopics.created, message(added, fresh.userId, [eve.userId, fresh.userId], 1));

    const changes = await list(eve.accessToken, `?lastUpdateTime=${encodeURIComponent(cursor)}`);
    const byId = new Map(changes.sessions.map((s) => [s.sessionId, s]));
    expect([...byId.keys()].sort()).to.deep.equal([pinned, removed, added].sort());
    expect(changes.total).to.equal(3);
    expect(byId.get(pinned)).to.include({ isPinned: true, deleted: false });
    expect(byId.get(removed)).to.include({ deleted: true, unreadCount: 0 });
    expect(byId.get(added)).to.include({ deleted: false, unreadCount: 1, name: fresh.account });
    expect(byId.has(quiet)).to.equal(false);

    // Changes from just before a cursor are sent again once (they may still have been committing)...
    await sleep(1100);
    const again = await list(eve.accessToken, `?lastUpdateTime=${encodeURIComponent(changes.updateTime)}`);
    expect(again.sessions.map((s) => s.sessionId).sort()).to.deep.equal([pinned, removed, added].sort());
    // ...and not after that. The cursor also reads as milliseconds.
    const next = await list(eve.accessToken, `?lastUpdateTime=${Date.parse(again.updateTime)}`);
    expect(next.sessions).to.deep.equal([]);
    const all = await list(eve.accessToken, '?lastUpdateTime=0');
    expect(all.sessions.map((s) => s.sessionId).sort()).to.deep.equal([quiet, pinned, removed, added].sort());
  });

  it('opens a one-to-one conversation by hand, idempotently', async () => {
    const { alice, bob, sessionId } = await pair();
    const opened = await api().ok<Session>('POST', '/api/v1/sessions', {
      token: alice.accessToken,
      body: { sessionType: 'single', targetId: bob.userId },
    });
    expect(opened).to.deep.include({
      sessionId,
      sessionType: 'single',
      targetId: bob.userId,
      name: 'Bob',
      lastMessage: null,
      unreadCount: 0,
      deleted: false,
    });
    const again = await api().ok<Session>('POST', '/api/v1/sessions', {
      token: alice.accessToken,
      body: { sessionType: 'single', targetId: bob.userId },
    });
    expect(again).to.deep.equal(opened);
    expect((await list(alice.accessToken)).sessions.map((s) => s.sessionId)).to.deep.equal([sessionId]);
    expect((await list(bob.accessToken)).total).to.equal(0); // only mine

    // Opening a deleted conversation lists it again.
    await api().ok('DELETE', `/api/v1/sessions/${sessionId}`, { token: alice.accessToken });
    await api().ok('POST', '/api/v1/sessions', {
      token: alice.accessToken,
      body: { sessionType: 'single', targetId: bob.userId },
    });
    expect((await list(alice.accessToken)).total).to.equal(1);

    const unknown = await api().call('POST', '/api/v1/sessions', {
      token: alice.accessToken,
      body: { sessionType: 'single', targetId: '123456789012345678' },
    });
    expect(unknown.status).to.equal(404);
    expect(unknown.body.code).to.equal(ErrorCode.USER_NOT_FOUND);
    const self = await api().call('POST', '/api/v1/sessions', {
      token: alice.accessToken,
      body: { sessionType: 'single', targetId: alice.userId },
    });
    expect(self.status).to.equal(400);
    expect(self.body.code).to.equal(ErrorCode.INVALID_PARAMS);
    const group = await api().call('POST', '/api/v1/sessions', {
      token: alice.accessToken,
      body: { sessionType: 'group', targetId: '12345' },
    });
    expect(group.body.code).to.equal(ErrorCode.INVALID_PARAMS);
    expect(group.body.message).to.contain('body.sessionType');
  });

  it("never shows or changes another user's conversation", async () => {
    const { alice, bob, sessionId } = await pair();
    await deliver(MessageTopics.created, message(sessionId, alice.userId, [alice.userId, bob.userId], 1));
    const mallory = await registerUser(api());
    const token = mallory.accessToken;
    const attempts: Array<[string, string, unknown?]> = [
      ['GET', `/api/v1/sessions/${sessionId}`],
      ['DELETE', `/api/v1/sessions/${sessionId}`],
      ['PUT', `/api/v1/sessions/${sessionId}/pin`, { isPinned: true }],
      ['PUT', `/api/v1/sessions/${sessionId}/mute`, { isMuted: true }],
    ];
    for (const [method, path, body] of attempts) {
      const response = await api().call(method, path, { token, ...(body ? { body } : {}) });
      expect(response.status, `${method} ${path}`).to.equal(404);
      expect(response.body.code).to.equal(ErrorCode.SESSION_NOT_FOUND);
      expect(response.body.data).to.equal(null);
    }
    expect((await list(token)).total).to.equal(0);
    expect((await list(token, '?lastUpdateTime=0')).sessions).to.deep.equal([]);
    expect(await unread(token)).to.deep.equal({ total: 0, sessions: 0, mentionUnread: 0 });
    expect(await one(bob.accessToken, sessionId)).to.include({
      isPinned: false,
      isMuted: false,
      unreadCount: 1,
    });
    const noToken = await api().call('GET', '/api/v1/sessions');
    expect(noToken.status).to.equal(401);
  });

  it('ignores events it cannot read, without retrying them', async () => {
    const { alice, bob, sessionId } = await pair();
    const stranger = await registerUser(api());
    const both = [alice.userId, bob.userId];
    const good = message(sessionId, alice.userId, both, 1);
    await deliver(
      MessageTopics.created,
      { ...good, seq: 'one' },
      { ...good, sessionType: 'group' },
      { ...good, participants: [...both, stranger.userId] },
      { ...good, sessionId: 'not-a-session' },
      null,
    );
    await deliver(MessageTopics.read, {
      userId: alice.userId,
      sessionId: 'g_9999999999999999999',
      readSeq: 1,
      readAt: good.createdAt,
    });
    await deliver(MessageTopics.read, {
      userId: stranger.userId,
      sessionId,
      readSeq: 1,
      readAt: good.createdAt,
    });
    await deliver(MessageTopics.recalled, {
      messageId: good.messageId,
      sessionId,
      participants: [stranger.userId],
      seq: 1,
      recalledAt: good.createdAt,
    });
    await deliver(MessageTopics.cleared, { userId: stranger.userId, sessionId, clearedSeq: -1 });
    for (const user of [alice, bob, stranger]) expect((await list(user.accessToken)).total).to.equal(0);
  });

  it('answers bad input with 400 and code 1', async () => {
    const user = await registerUser(api());
    const token = user.accessToken;
    const cases: Array<[string, string, unknown?, string?]> = [
      ['GET', '/api/v1/sessions/123', undefined, 'params.id'],
      ['GET', '/api/v1/sessions/s_1_x', undefined, 'params.id'],
      ['GET', `/api/v1/sessions/g_${'9'.repeat(25)}`, undefined, 'params.id'],
      ['DELETE', '/api/v1/sessions/s_0_1', undefined, 'params.id'],
      ['PUT', '/api/v1/sessions/nope/pin', { isPinned: true }, 'params.id'],
      ['PUT', '/api/v1/sessions/s_1_2/pin', { isPinned: 'yes' }, 'body.isPinned'],
      ['PUT', '/api/v1/sessions/s_1_2/mute', {}, 'body.isMuted'],
      ['POST', '/api/v1/sessions', { sessionType: 'single' }, 'body.targetId'],
      ['POST', '/api/v1/sessions', { sessionType: 'system', targetId: '1' }, 'body.sessionType'],
      ['POST', '/api/v1/sessions', { sessionType: 'single', targetId: 'abc' }, 'body.targetId'],
      ['GET', '/api/v1/sessions?lastUpdateTime=yesterday', undefined, 'query.lastUpdateTime'],
      ['GET', '/api/v1/sessions?lastUpdateTime=2026-13-45T99:00:00Z', undefined, 'query.lastUpdateTime'],
      ['GET', '/api/v1/sessions/s_1_9999999999999999999', undefined, 'params.id'],
      [
        'POST',
        '/api/v1/sessions',
        { sessionType: 'single', targetId: '9999999999999999999' },
        'body.targetId',
      ],
      ['GET', '/api/v1/sessions?lastUpdateTime=999999999999999', undefined, 'query.lastUpdateTime'],
      ['GET', '/api/v1/sessions?page=0', undefined, 'query.page'],
      ['GET', '/api/v1/sessions?pageSize=1000', undefined, 'query.pageSize'],
    ];
    for (const [method, path, body, field] of cases) {
      const response = await api().call(method, path, { token, ...(body !== undefined ? { body } : {}) });
      expect(response.status, `${method} ${path}`).to.equal(400);
      expect(response.body.code, `${method} ${path}`).to.equal(ErrorCode.INVALID_PARAMS);
      expect(response.body.message, `${method} ${path}`).to.contain(field);
    }
  });
});
