/**
 * The conversation list's projection of `message.created` in batches (bulk delivery): a batch gives
 * the same lists as the messages one by one, in any order, and a redelivered batch changes nothing.
 * Against the machine's PostgreSQL, through the session service's own handler.
 */
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { expect } from 'chai';
import {
  type MessageCreated,
  MessageCreatedSchema,
} from '../../services/platform/contracts/gen/anychat/message/v1/events_pb.ts';
import { singleSessionId } from '../../services/platform/contracts/index.ts';
import {
  type MikroORM,
  migrate,
  openServiceDatabase,
  sqlExecutor,
} from '../../services/platform/db/index.ts';
import { SnowflakeGenerator } from '../../services/platform/ids.ts';
import { createLogger } from '../../services/platform/logger.ts';
import { EmbeddedInvoker } from '../../services/platform/ports/embedded/invoke.ts';
import { EmbeddedBus } from '../../services/platform/ports/embedded/pubsub.ts';
import { Directory } from '../../services/session/clients/directory.ts';
import { SessionService } from '../../services/session/domain/session-service.ts';
import { sessionEntities } from '../../services/session/entities.ts';
import { sessionService } from '../../services/session/index.ts';
import { type Backend, createBackend, requirePostgres } from '../support/backends.ts';

const logger = createLogger('silent');
const A = '7000000000000000001';
const B = '7000000000000000002';
const C = '7000000000000000003';

let next = 1;
/** A one-to-one message from `from` to `to` with the given seq. */
function sent(from: string, to: string, seq: number): MessageCreated {
  return create(MessageCreatedSchema, {
    messageId: String(8000000000000000000n + BigInt(next++)),
    sessionId: singleSessionId(from, to),
    sessionType: 'single',
    senderId: from,
    targetId: to,
    participants: [from, to],
    seq: BigInt(seq),
    contentType: 'text',
    preview: `message ${seq}`,
    mentions: [],
    mentionAll: false,
    createdAt: timestampFromDate(new Date(Date.UTC(2026, 10, 30, 9, 0, seq))),
  });
}

interface ListRow {
  owner: string;
  session: string;
  lastSeq: number;
  lastPreview: string;
  readSeq: number;
  unread: number[];
}

describe('conversation list: message.created in batches [postgresql]', () => {
  let backend: Backend;
  let orm: MikroORM;
  let sessions: SessionService;
  let bus: EmbeddedBus;

  before(async function () {
    await requirePostgres(this);
    backend = await createBackend('postgresql');
    orm = await openServiceDatabase({
      url: backend.env.DATABASE_URL!,
      schema: 'session',
      entities: sessionEntities,
      migrations: sessionService.migrations,
      poolMax: 2,
      logger,
    });
    await migrate(orm, 'session');
    bus = new EmbeddedBus(logger);
    sessions = new SessionService({
      orm,
      pubsub: bus.port('session'),
      pubsubName: 'pubsub',
      // The handler under test asks nobody; the list reads below are plain SQL.
      directory: new Directory(new EmbeddedInvoker()),
      ids: new SnowflakeGenerator(1),
      logger,
    });
  });

  after(async () => {
    bus?.close();
    await orm?.close();
    await backend?.dispose();
  });

  beforeEach(async () => {
    await sqlExecutor(orm).query(
      'truncate session.sessions, session.session_unread, session.recalled_messages',
    );
  });

  async function lists(): Promise<ListRow[]> {
    return sqlExecutor(orm).query<ListRow>(
      `select s.owner_id::text as owner, s.session_id as session, s.last_seq::int as "lastSeq",
         s.last_preview as "lastPreview", s.read_seq::int as "readSeq",
         coalesce((select array_agg(u.seq::int order by u.seq) from session.session_unread u
           where u.owner_id = s.owner_id and u.session_id = s.session_id), '{}') as unread
       from session.sessions s order by s.owner_id, s.session_id`,
    );
  }

  // A writes 1, B answers 2, A writes 3; A and C talk too.
  const conversation = () => [sent(A, B, 1), sent(B, A, 2), sent(A, B, 3), sent(C, A, 1), sent(C, A, 2)];
  const expected: ListRow[] = [
    {
      owner: A,
      session: singleSessionId(A, B),
      lastSeq: 3,
      lastPreview: 'message 3',
      readSeq: 3,
      unread: [],
    },
    {
      owner: A,
      session: singleSessionId(A, C),
      lastSeq: 2,
      lastPreview: 'message 2',
      readSeq: 0,
      unread: [1, 2],
    },
    {
      owner: B,
      session: singleSessionId(A, B),
      lastSeq: 3,
      lastPreview: 'message 3',
      readSeq: 2,
      unread: [3],
    },
    {
      owner: C,
      session: singleSessionId(A, C),
      lastSeq: 2,
      lastPreview: 'message 2',
      readSeq: 2,
      unread: [],
    },
  ];

  it('gives the same lists as the messages one by one, in order', async () => {
    for (const event of conversation())
      expect(await sessions.onMessagesCreated([event])).to.deep.equal(['SUCCESS']);
    expect(await lists()).to.deep.equal(expected);
  });

  it('applies a batch at once, whatever its order, with one answer per event', async () => {
    const events = conversation().reverse();
    expect(await sessions.onMessagesCreated(events)).to.deep.equal(events.map(() => 'SUCCESS'));
    expect(await lists()).to.deep.equal(expected);
  });

  it('changes nothing when a batch, or part of it, is delivered again', async () => {
    const events = conversation();
    await sessions.onMessagesCreated(events);
    await sessions.onMessagesCreated([events[0]!, events[3]!, events[0]!]);
    await sessions.onMessagesCreated(events);
    expect(await lists()).to.deep.equal(expected);
  });

  it('drops the events that are not one-to-one messages of their participants and applies the rest', async () => {
    const stranger = { ...sent(A, B, 1), participants: [A, C] };
    const mislabelled = { ...sent(A, C, 1), sessionType: 'group' };
    const good = sent(B, A, 1);
    expect(await sessions.onMessagesCreated([stranger, good, mislabelled])).to.deep.equal([
      'DROP',
      'SUCCESS',
      'DROP',
    ]);
    expect((await lists()).map((row) => [row.owner, row.unread])).to.deep.equal([
      [A, [1]],
      [B, []],
    ]);
  });
});
