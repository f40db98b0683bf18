import { readFileSync } from 'node:fs';
import { Parser } from '@asyncapi/parser';
import type { DescMessage } from '@bufbuild/protobuf';
import { expect } from 'chai';
import type { z } from 'zod';
import { framesTable } from '../../scripts/readme/frames-table.ts';
import {
  asyncApiDocument,
  CLIENT_FRAME_TYPES,
  ClientFrame,
  decodeClientFrame,
  decodeServerFrame,
  encodeClientFrame,
  encodeServerFrame,
  jsonCodec,
  SERVER_FRAME_TYPES,
  ServerFrameSchema,
} from '../../services/gateway/protocol/index.ts';
import { caseOfType } from '../../services/gateway/protocol/proto-mapping.ts';
import {
  ClientFrameSchema as ClientFrameProto,
  ServerFrameSchema as ServerFrameProto,
} from '../../services/platform/contracts/gen/anychat/gateway/v1/frames_pb.ts';

const T = 1_764_000_000_123;
const CLIENT_SAMPLES: Record<(typeof CLIENT_FRAME_TYPES)[number], Array<Record<string, unknown>>> = {
  PING: [{ type: 'PING', timestamp: T }, { type: 'PING' }],
  SEND_MESSAGE: [
    {
      type: 'SEND_MESSAGE',
      msgId: 'c1',
      data: { sessionType: 'single', targetId: '7', contentType: 'text', content: 'hello\u202e ✓' },
    },
    {
      type: 'SEND_MESSAGE',
      msgId: 'c2',
      timestamp: T,
      data: {
        sessionType: 'group',
        targetId: '9',
        contentType: 'image',
        content: { url: 'https://x/y.png', width: 1024, height: 768, size: 102_400, tags: ['a', null, true] },
        mentions: ['7', '8'],
        mentionAll: false,
      },
    },
    {
      type: 'SEND_MESSAGE',
      msgId: 'c3',
      data: {
        sessionType: 'single',
        targetId: '7',
        contentType: 'text',
        content: 'read me once',
        selfDestruct: { ttlSeconds: 0, startsOn: 'read' },
      },
    },
    {
      type: 'SEND_MESSAGE',
      msgId: 'c4',
      data: {
        sessionType: 'group',
        targetId: '9',
        contentType: 'text',
        content: 'a week',
        selfDestruct: { ttlSeconds: 7 * 86_400, startsOn: 'send' },
      },
    },
  ],
  MESSAGE_ACK: [{ type: 'MESSAGE_ACK', msgId: 'a1', data: { messageIds: ['1', '922337203685477580'] } }],
  TYPING: [{ type: 'TYPING', data: { sessionId: 's_1_2', sessionType: 'single' } }],
  SYNC: [
    { type: 'SYNC', data: { syncSeq: 0 } },
    { type: 'SYNC', data: { syncSeq: Number.MAX_SAFE_INTEGER } },
  ],
};

const SERVER_SAMPLES: Record<string, Array<Record<string, unknown>>> = {
  CONNECT_ACK: [
    {
      type: 'CONNECT_ACK',
      timestamp: T,
      data: { userId: '1', deviceId: 'd1', serverTime: T, heartbeatInterval: 30, syncSeq: 12 },
    },
  ],
  CONNECT_ERROR: [
    { type: 'CONNECT_ERROR', timestamp: T, data: { status: 401, code: 10104, message: 'token invalid' } },
    {
      type: 'CONNECT_ERROR',
      data: { status: 503, code: 6, message: 'try later', retryAfterMs: 1500 },
    },
  ],
  PONG: [{ type: 'PONG', timestamp: T }],
  SEND_ACK: [
    {
      type: 'SEND_ACK',
      msgId: 'c1',
      timestamp: T,
      data: { messageId: '5', sessionId: 's_1_2', seq: 3, syncSeq: 40, timestamp: T },
    },
  ],
  NEW_MESSAGE: [
    {
      type: 'NEW_MESSAGE',
      msgId: '5',
      timestamp: T,
      data: {
        messageId: '5',
        sessionId: 'g_9',
        sessionType: 'group',
        senderId: '1',
        senderName: 'Ann',
        senderAvatar: null,
        targetId: '9',
        clientMsgId: 'c1',
        contentType: 'card',
        content: { userId: '3', nickname: 'Ben', nested: { depth: [1, 2.5, { x: 'y' }] } },
        mentions: ['2'],
        recalled: false,
        editedAt: T,
        seq: 1,
        timestamp: T,
        syncSeq: 41,
      },
    },
    {
      type: 'NEW_MESSAGE',
      msgId: '6',
      data: {
        messageId: '6',
        sessionId: 's_1_2',
        sessionType: 'single',
        senderId: '2',
        senderName: null,
        senderAvatar: 'https://x/a.png',
        targetId: '1',
        clientMsgId: 'c9',
        contentType: 'text',
        content: null,
        mentions: [],
        recalled: true,
        seq: 2,
        timestamp: T,
        syncSeq: 42,
      },
    },
  ],
  MESSAGE_READ: [
    {
      type: 'MESSAGE_READ',
      timestamp: T,
      data: { sessionId: 's_1_2', userId: '2', messageIds: [], readSeq: 9, syncSeq: 43, timestamp: T },
    },
  ],
  GROUP_MESSAGE_READ: [
    {
      type: 'GROUP_MESSAGE_READ',
      data: {
        sessionId: 'g_9',
        groupId: '9',
        userId: '3',
        messageId: '5',
        readCount: 10,
        syncSeq: 44,
        timestamp: T,
      },
    },
  ],
  MESSAGE_EDITED: [
    {
      type: 'MESSAGE_EDITED',
      data: {
        messageId: '5',
        sessionId: 's_1_2',
        seq: 3,
        editedBy: '1',
        contentType: 'text',
        content: 'fixed ✓',
        version: 2,
        editedAt: T,
        syncSeq: 46,
        timestamp: T,
      },
    },
    {
      type: 'MESSAGE_EDITED',
      data: {
        messageId: '5',
        sessionId: 'g_9',
        seq: 3,
        editedBy: '1',
        contentType: 'quote',
        content: null,
        version: 1,
        editedAt: T,
        syncSeq: 47,
        timestamp: T,
      },
    },
  ],
  MESSAGE_REACTION: [
    {
      type: 'MESSAGE_REACTION',
      data: {
        messageId: '5',
        sessionId: 'g_9',
        userId: '2',
        emoji: '👍🏽',
        added: true,
        count: 3,
        syncSeq: 48,
        timestamp: T,
      },
    },
  ],
  MESSAGE_PINNED: [
    {
      type: 'MESSAGE_PINNED',
      data: { messageId: '5', sessionId: 'g_9', pinned: false, by: '1', syncSeq: 49, timestamp: T },
    },
  ],
  THREAD_UPDATED: [
    {
      type: 'THREAD_UPDATED',
      data: {
        rootMessageId: '5',
        sessionId: 'g_9',
        messageId: '6',
        replyCount: 2,
        unreadCount: 1,
        syncSeq: 50,
        timestamp: T,
      },
    },
    {
      type: 'THREAD_UPDATED',
      data: {
        rootMessageId: '5',
        sessionId: 'g_9',
        replyCount: 2,
        unreadCount: 0,
        syncSeq: 51,
        timestamp: T,
      },
    },
  ],
  MESSAGE_DESTROYED: [
    {
      type: 'MESSAGE_DESTROYED',
      data: { messageId: '5', sessionId: 's_1_2', seq: 3, syncSeq: 52, timestamp: T },
    },
  ],
  DRAFT_UPDATED: [
    {
      type: 'DRAFT_UPDATED',
      data: {
        sessionId: 's_1_2',
        text: 'half a thought',
        quoteMessageId: '5',
        updatedAt: T,
        originDeviceId: 'web-1',
        syncSeq: 53,
        timestamp: T,
      },
    },
    {
      type: 'DRAFT_UPDATED',
      data: { sessionId: 'g_9', text: null, quoteMessageId: null, updatedAt: T, syncSeq: 54, timestamp: T },
    },
  ],
  MESSAGE_RECALLED: [
    {
      type: 'MESSAGE_RECALLED',
      data: {
        messageId: '5',
        sessionId: 'g_9',
        seq: 1,
        recalledBy: '0',
        byAdministrator: true,
        syncSeq: 45,
        timestamp: T,
      },
    },
    {
      type: 'MESSAGE_RECALLED',
      data: { messageId: '6', sessionId: 's_1_2', seq: 2, recalledBy: '2', syncSeq: 46, timestamp: T },
    },
  ],
  NOTIFICATION: [
    {
      type: 'NOTIFICATION',
      timestamp: T,
      data: {
        syncSeq: 47,
        kind: 'group.invited',
        payload: { groupId: '9', inviter: { userId: '1', nickname: 'Ann' }, ids: ['1', '2'], none: null },
        timestamp: T,
        originDeviceId: 'd2',
      },
    },
  ],
  SYNC_COMPLETE: [{ type: 'SYNC_COMPLETE', timestamp: T, data: { syncSeq: 47 } }],
  USER_TYPING: [
    { type: 'USER_TYPING', data: { userId: '2', sessionId: 's_1_2', timestamp: T, expiresIn: 3 } },
  ],
  USER_ONLINE: [{ type: 'USER_ONLINE', data: { userId: '2', timestamp: T, platform: 'iOS' } }],
  USER_OFFLINE: [{ type: 'USER_OFFLINE', data: { userId: '2', timestamp: T } }],
  FORCE_LOGOUT: [
    {
      type: 'FORCE_LOGOUT',
      timestamp: T,
      data: { reason: 'multi_login', message: 'signed out', timestamp: T, authSessionId: 'sess-1' },
    },
  ],
  RECONNECT: [{ type: 'RECONNECT', data: { reason: 'server_draining', reconnectAfterMs: 1234 } }],
  ERROR: [
    { type: 'ERROR', msgId: 'c1', timestamp: T, data: { code: 50107, message: 'not a friend' } },
    { type: 'ERROR', data: { code: 1, message: 'frame is not valid JSON' } },
  ],
};

/** Field names of an object schema that the binary encoding carries (deprecated JSON-only ones left out). */
function documentedKeys(schema: z.ZodObject): string[] {
  return Object.entries(schema.shape)
    .filter(([, field]) => !(field as z.ZodType).meta()?.deprecated)
    .map(([key]) => key)
    .sort();
}

function agrees(protoDesc: DescMessage, schemas: readonly z.ZodObject[]) {
  const data = protoDesc.oneofs[0]!;
  const envelope = protoDesc.fields.filter((f) => !f.oneof).map((f) => f.localName);
  for (const schema of schemas) {
    const type = (schema.shape.type as z.ZodLiteral<string>).value;
    expect([...envelope, 'data'].sort(), type).to.include.members(documentedKeys(schema));
    const field = data.fields.find((f) => f.localName === caseOfType(type));
    const dataSchema = schema.shape.data as z.ZodObject | undefined;
    if (!dataSchema) {
      expect(field, `${type} has no data, so no oneof case`).to.equal(undefined);
      continue;
    }
    expect(field, `${type}: oneof case ${caseOfType(type)}`).to.not.equal(undefined);
    expect(field!.message!.fields.map((f) => f.localName).sort(), type).to.deep.equal(
      documentedKeys(dataSchema),
    );
  }
  const types = schemas.map((s) => caseOfType((s.shape.type as z.ZodLiteral<string>).value));
  for (const field of data.fields) expect(types, `oneof case ${field.localName}`).to.include(field.localName);
}

describe('WebSocket frames: the JSON schemas and frames.proto agree', () => {
  it('name the same frame types and the same fields of each', () => {
    agrees(ClientFrameProto, ClientFrame.options);
    agrees(ServerFrameProto, ServerFrameSchema.options);
  });

  it('round-trip every client frame type through the binary encoding unchanged', () => {
    expect(Object.keys(CLIENT_SAMPLES).sort()).to.deep.equal([...CLIENT_FRAME_TYPES].sort());
    for (const frame of Object.values(CLIENT_SAMPLES).flat()) {
      expect(ClientFrame.parse(frame), 'sample is valid').to.deep.equal(frame);
      expect(decodeClientFrame(encodeClientFrame(frame)), String(frame.type)).to.deep.equal(frame);
    }
  });

  it('round-trip every server frame type through the binary encoding unchanged', () => {
    expect(Object.keys(SERVER_SAMPLES).sort()).to.deep.equal([...SERVER_FRAME_TYPES].sort());
    for (const frame of Object.values(SERVER_SAMPLES).flat()) {
      expect(ServerFrameSchema.parse(frame), 'sample is valid').to.deep.equal(frame);
      expect(decodeServerFrame(encodeServerFrame(frame as never)), String(frame.type)).to.deep.equal(frame);
    }
  });

  it('JSON still reads and writes the deprecated places of fields (until v2)', () => {
    const legacyAck = jsonCodec.decode(Buffer.from('{"type":"MESSAGE_ACK","messageIds":["5"]}'), false);
    expect(legacyAck).to.deep.equal({ frame: { type: 'MESSAGE_ACK', data: { messageIds: ['5'] } } });
    const error = JSON.parse(jsonCodec.encode(SERVER_SAMPLES.ERROR![0] as never) as string);
    expect(error).to.deep.include({
      code: 50107,
      message: 'not a friend',
      data: { code: 50107, message: 'not a friend' },
    });
    expect(ServerFrameSchema.parse(error)).to.deep.equal(error);
    const logout = JSON.parse(jsonCodec.encode(SERVER_SAMPLES.FORCE_LOGOUT![0] as never) as string);
    expect(logout.data).to.include({ authSessionId: 'sess-1', sessionId: 'sess-1' });
  });

  it('refuses what is not a frame of its encoding, with the reason', () => {
    expect(jsonCodec.decode(Buffer.from([0x0a, 0x04]), true)).to.have.property('problem');
    expect(jsonCodec.decode(Buffer.from('{"type":'), false)).to.deep.equal({
      problem: 'frame is not valid JSON',
    });
  });
});

describe('WebSocket frames: the documents', () => {
  it('the AsyncAPI document is valid AsyncAPI 3 and names every frame with its schema', async function () {
    this.timeout(20_000);
    const document = asyncApiDocument('1.2.3');
    const { document: parsed, diagnostics } = await new Parser().parse(JSON.stringify(document));
    // Severity 0 and 1 are errors and warnings.
    expect(
      diagnostics.filter((d) => d.severity <= 1).map((d) => `${d.message} at ${d.path.join('.')}`),
    ).to.deep.equal([]);
    expect(parsed, 'parsed').to.not.equal(undefined);
    expect(parsed!.info().version()).to.equal('1.2.3');
    const names = parsed!
      .messages()
      .all()
      .map((message) => message.name());
    expect(names.sort()).to.deep.equal([...CLIENT_FRAME_TYPES, ...SERVER_FRAME_TYPES].sort());
    const sendMessage = parsed!.components().messages().get('SEND_MESSAGE')!;
    expect(sendMessage.payload()?.properties()?.data?.properties()?.sessionType?.enum()).to.deep.equal([
      'single',
      'group',
      'system',
    ]);
    const receiving = parsed!
      .operations()
      .filterByReceive()
      .map((operation) => operation.id());
    expect(receiving).to.include('receiveSEND_MESSAGE');
  });

  it("the README's frame table is the schemas' (else: node scripts/readme/write-frames.ts)", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const [header, ...rows] = framesTable.readFrom(readme);
    expect(header, 'the frame table between its markers').to.have.length(4);
    expect(rows).to.deep.equal(framesTable.rows());
    expect(rows).to.have.length(CLIENT_FRAME_TYPES.length + SERVER_FRAME_TYPES.length);
  });
});
