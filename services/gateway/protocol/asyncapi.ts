import { z } from 'zod';
import { ClientFrame } from './client-frames.ts';
import { CloseCode } from './close-codes.ts';
import { jsonCodec } from './json-codec.ts';
import { protoCodec } from './proto-codec.ts';
import { ServerFrameSchema } from './server-frames.ts';

/** Client frames and the server frames that answer them (AsyncAPI replies). */
const REPLIES: Record<string, string[]> = {
  PING: ['PONG'],
  SEND_MESSAGE: ['SEND_ACK', 'ERROR'],
  SYNC: ['SYNC_COMPLETE'],
};

const typeOf = (schema: z.ZodObject) => (schema.shape.type as z.ZodLiteral<string>).value;

/** A frame's JSON Schema (draft 7, AsyncAPI's schema format), as clients send (input) or receive (output) it. */
function payloadOf(schema: z.ZodType, io: 'input' | 'output') {
  const { $schema: _, ...payload } = z.toJSONSchema(schema, {
    target: 'draft-7',
    io,
    unrepresentable: 'any',
  });
  return payload;
}

/**
 * The AsyncAPI 3 document of the WebSocket protocol (served at /api/v1/asyncapi.json beside
 * openapi.json): one channel, /ws, and every frame as a message whose payload is generated from the
 * same zod schemas that validate frames. It describes the gateway: it receives client frames and
 * sends server frames.
 */
export function asyncApiDocument(version: string) {
  const frames = [
    ...ClientFrame.options.map((schema) => ({ schema, from: 'client' as const })),
    ...ServerFrameSchema.options.map((schema) => ({ schema, from: 'server' as const })),
  ];
  const messages = Object.fromEntries(
    frames.map(({ schema, from }) => {
      const meta = schema.meta() as { description?: string } | undefined;
      return [
        typeOf(schema),
        {
          name: typeOf(schema),
          title: typeOf(schema),
          summary: meta?.description,
          payload: payloadOf(schema, from === 'client' ? 'input' : 'output'),
        },
      ];
    }),
  );
  const channelRef = { $ref: '#/channels/ws' };
  const messageRef = (type: string) => ({ $ref: `#/channels/ws/messages/${type}` });
  const operations = Object.fromEntries(
    frames.map(({ schema, from }) => {
      const type = typeOf(schema);
      const replies = REPLIES[type];
      return [
        `${from === 'client' ? 'receive' : 'send'}${type}`,
        {
          action: from === 'client' ? 'receive' : 'send',
          channel: channelRef,
          summary: from === 'client' ? `A client sends ${type}.` : `The gateway sends ${type}.`,
          messages: [messageRef(type)],
          ...(replies ? { reply: { channel: channelRef, messages: replies.map(messageRef) } } : {}),
        },
      ];
    }),
  );
  return {
    asyncapi: '3.1.0',
    info: {
      title: 'AnyChat WebSocket protocol',
      version,
      description: [
        'Real-time messaging between clients and the gateway (seed §5.4). Every frame is `{type, msgId?, timestamp?, data}`.',
        `Frames are JSON text frames by default (subprotocol \`${jsonCodec.subprotocol}\`, or none); a client that asks for the subprotocol \`${protoCodec.subprotocol}\` exchanges the same frames as binary frames of proto/anychat/gateway/v1/frames.proto (ClientFrame, ServerFrame), with the same guarantees.`,
        `Close codes: ${Object.entries(CloseCode)
          .map(([name, code]) => `${code} ${name}`)
          .join(', ')}.`,
      ].join('\n\n'),
    },
    defaultContentType: 'application/json',
    channels: {
      ws: {
        address: '/ws',
        title: 'The WebSocket endpoint',
        description:
          'Connect to `/ws?token=<accessToken>[&syncSeq=<last syncSeq held>][&platform=iOS]`, or pass the token as the subprotocol pair `bearer, <accessToken>`.',
        messages: Object.fromEntries(
          Object.keys(messages).map((type) => [type, { $ref: `#/components/messages/${type}` }]),
        ),
        bindings: {
          ws: {
            method: 'GET',
            query: {
              type: 'object',
              properties: {
                token: {
                  type: 'string',
                  description: 'The access token (or the `bearer` subprotocol pair).',
                },
                syncSeq: {
                  type: 'integer',
                  minimum: 0,
                  description:
                    'The highest syncSeq held without gaps: what is missing is replayed, then SYNC_COMPLETE.',
                },
                platform: { type: 'string', maxLength: 20, description: 'iOS, Android, Web or PC.' },
              },
            },
            bindingVersion: '0.1.0',
          },
        },
      },
    },
    operations,
    components: { messages },
  };
}
