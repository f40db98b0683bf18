import { LRUCache } from 'lru-cache';
import { currentTrace, inSpan, newTraceId } from '../../common/trace-context.ts';
import type { Config } from '../platform/config.ts';
import { peerOf } from '../platform/contracts/index.ts';
import { ErrorCode, isAppError, type Language, messageFor } from '../platform/errors.ts';
import { toAppError } from '../platform/http/errors-middleware.ts';
import { MAX_CLIENT_JSON_DEPTH, nestsDeeperThan } from '../platform/json-depth.ts';
import type { Logger } from '../platform/logger.ts';
import type { DeliveryRouter } from '../platform/presence/index.ts';
import type { FriendsClient } from './clients/friends.ts';
import type { MessagesClient } from './clients/messages.ts';
import type { Connection } from './connection.ts';
import { CLIENT_FRAME_TYPES, ClientFrame } from './protocol/index.ts';

export interface FrameHandlerDeps {
  config: Config['gateway'];
  /** MESSAGE_ALLOW_STRANGERS: typing, like messages, reaches someone who is not a friend only then. */
  allowStrangers: boolean;
  logger: Logger;
  router: DeliveryRouter;
  messages: MessagesClient;
  friends: FriendsClient;
  /** Restarts the device's ordered stream after a syncSeq (SYNC frame). */
  sync(conn: Connection, syncSeq: number): Promise<void>;
  /** Closes a connection that keeps flooding. */
  closeForFlooding(conn: Connection): void;
}

/** How a user stands towards a peer, as the friend service answers it. */
type Relation = Awaited<ReturnType<FriendsClient['relation']>>;

/** Frames refused (over the rate limit) without the client ever pausing to refill, before it is closed. */
const MAX_REFUSED_WITHOUT_PAUSE = 200;
/** How long typing notices trust a relation looked up: a block or an unfriending reaches them within that. */
const RELATION_TTL_MS = 30_000;

/** What the gateway does with each frame a client sends (seed §5.4), in either encoding. */
export class FrameHandler {
  readonly #deps: FrameHandlerDeps;
  /** `user:peer` → their relation, for typing notices. */
  readonly #relations = new LRUCache<string, Relation>({ max: 100_000, ttl: RELATION_TTL_MS });

  constructor(deps: FrameHandlerDeps) {
    this.#deps = deps;
  }

  /**
   * Validates, rate-limits and acts on one frame; answers ERROR for what it refuses. Each frame is
   * a trace of its own (a server span when tracing is on): what handling it logs, calls and
   * publishes carries its trace id.
   */
  handle(conn: Connection, payload: Buffer, isBinary: boolean, language: Language) {
    return inSpan('gateway frame', { kind: 'server' }, () => this.#handle(conn, payload, isBinary, language));
  }

  async #handle(conn: Connection, payload: Buffer, isBinary: boolean, language: Language) {
    conn.lastSeen = Date.now();
    const error = (code: number, msgId: string | undefined, detail?: string, reasonCode?: number) =>
      conn.send({
        type: 'ERROR',
        ...(msgId ? { msgId } : {}),
        timestamp: Date.now(),
        data: {
          code,
          message: detail ? `${messageFor(code, language)}: ${detail}` : messageFor(code, language),
          // The seed's gateway/sync code where one means the same (90103 malformed frame), beside `code`.
          ...(reasonCode ? { reasonCode } : {}),
        },
      });
    const malformed = (msgId: string | undefined, detail: string) =>
      error(ErrorCode.INVALID_PARAMS, msgId, detail, ErrorCode.GATEWAY_BAD_FRAME);
    // Decoded before anything is refused, so that every ERROR names the frame it answers (msgId): a
    // client must know which of its messages were not taken. ws bounds the size (4 × maxFrameBytes).
    const decoded = conn.codec.decode(payload, isBinary);
    const json = 'frame' in decoded ? decoded.frame : undefined;
    const msgId =
      typeof (json as { msgId?: unknown })?.msgId === 'string'
        ? (json as { msgId: string }).msgId
        : undefined;
    if (!conn.admit()) {
      error(
        ErrorCode.TOO_MANY_REQUESTS,
        msgId,
        `more than ${this.#deps.config.framesPerSecond} frames per second`,
      );
      if (conn.refusedSinceFull > MAX_REFUSED_WITHOUT_PAUSE) this.#deps.closeForFlooding(conn);
      return;
    }
    if (payload.byteLength > this.#deps.config.maxFrameBytes)
      return error(
        ErrorCode.PAYLOAD_TOO_LARGE,
        msgId,
        `frames are limited to ${this.#deps.config.maxFrameBytes} bytes`,
      );
    if ('problem' in decoded) return malformed(undefined, decoded.problem);
    if (nestsDeeperThan(json))
      return malformed(msgId, `frame nests deeper than ${MAX_CLIENT_JSON_DEPTH} levels`);
    const type = (json as { type?: unknown })?.type;
    if (typeof type !== 'string' || !(CLIENT_FRAME_TYPES as readonly string[]).includes(type))
      return malformed(
        msgId,
        `unknown frame type ${JSON.stringify(type)}; one of ${CLIENT_FRAME_TYPES.join(', ')}`,
      );
    const parsed = ClientFrame.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return malformed(msgId, `${issue.path.join('.') || 'frame'}: ${issue.message}`);
    }
    const frame = parsed.data;
    // A bot token's socket: sending and typing need messages:send (the socket itself needed messages:read).
    if (
      conn.scopes &&
      (frame.type === 'SEND_MESSAGE' || frame.type === 'TYPING') &&
      !conn.scopes.includes('messages:send')
    )
      return error(ErrorCode.TOKEN_SCOPE_MISSING, msgId, `${frame.type} needs the scope messages:send`);
    try {
      switch (frame.type) {
        case 'PING':
          conn.send({ type: 'PONG', timestamp: Date.now() });
          return;
        case 'SEND_MESSAGE':
          return await conn.serially(() =>
            inSpan('gateway SEND_MESSAGE', { attributes: { 'anychat.msg_id': frame.msgId } }, () =>
              this.#send(conn, frame.msgId, frame.data, error),
            ),
          );
        case 'MESSAGE_ACK':
          conn.acknowledge(frame.data.messageIds);
          return;
        case 'TYPING':
          return await this.#typing(conn, frame.data.sessionId, frame.msgId, error);
        case 'SYNC':
          // A failed replay keeps its own code (e.g. 6) and names the sync's (110103).
          return await this.#deps.sync(conn, frame.data.syncSeq).catch((cause: unknown) => {
            this.#deps.logger.warn({ err: cause }, 'sync failed');
            error(toAppError(cause).code, msgId, undefined, ErrorCode.SYNC_FAILED);
          });
      }
    } catch (cause) {
      this.#deps.logger.error({ err: cause, type: frame.type }, 'frame handling failed');
      error(toAppError(cause).code, msgId);
    }
  }

  /**
   * SEND_MESSAGE: one trace per message sent (the frame's): the store, the publish and the
   * deliveries carry it (as W3C traceparent through the sidecars, which join their spans to it).
   */
  async #send(
    conn: Connection,
    msgId: string,
    data: Extract<ClientFrame, { type: 'SEND_MESSAGE' }>['data'],
    error: (code: number, msgId: string | undefined, detail?: string) => void,
  ) {
    conn.sending(msgId, true);
    try {
      const traceId = currentTrace()?.traceId ?? newTraceId();
      const ack = await this.#deps.messages.send(
        { ...data, senderId: conn.userId, deviceId: conn.deviceId, clientMsgId: msgId },
        { traceId },
      );
      // At debug: the message id beside the trace id, to follow one message by either.
      this.#deps.logger.debug({ msgId, messageId: ack.messageId, seq: ack.seq }, 'message sent');
      // A big group's message has no syncSeq: it takes its place in the group's stream.
      if (ack.syncSeq === 0 && data.sessionType === 'group') conn.consumeGroup(ack.sessionId, ack.seq);
      else conn.consume(ack.syncSeq);
      conn.send({ type: 'SEND_ACK', msgId, timestamp: Date.now(), data: ack });
    } catch (cause) {
      const code = isAppError(cause) ? cause.code : ErrorCode.MESSAGE_SEND_FAILED;
      if (!isAppError(cause)) this.#deps.logger.error({ err: cause }, 'send failed');
      error(code, msgId, isAppError(cause) ? cause.detail : undefined);
    } finally {
      conn.sending(msgId, false);
    }
  }

  async #typing(
    conn: Connection,
    sessionId: string,
    msgId: string | undefined,
    error: (code: number, msgId: string | undefined, detail?: string) => void,
  ) {
    const peer = peerOf(sessionId, conn.userId);
    if (!peer) return error(ErrorCode.FORBIDDEN, msgId, 'you are not in this conversation');
    const relation = await this.#relation(conn.userId, peer);
    // Someone who blocked you never sees you typing; you are not told.
    if (relation.blockedByPeer) return;
    // A conversation id with a stranger is easy to write down; that must not reach them either.
    if (!relation.isFriend && !this.#deps.allowStrangers)
      return error(ErrorCode.MESSAGE_NOT_FRIEND, msgId, 'typing is shown to friends only');
    await this.#deps.router.route([
      {
        userId: peer,
        frame: {
          type: 'USER_TYPING',
          timestamp: Date.now(),
          data: { userId: conn.userId, sessionId, timestamp: Date.now(), expiresIn: 3 },
        },
      },
    ]);
  }

  async #relation(userId: string, peerId: string): Promise<Relation> {
    const key = `${userId}:${peerId}`;
    const cached = this.#relations.get(key);
    if (cached) return cached;
    const relation = await this.#deps.friends.relation(userId, peerId);
    this.#relations.set(key, relation);
    return relation;
  }
}
