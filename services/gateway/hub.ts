import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { inSpan, tracingEnabled } from '../../common/trace-context.ts';
import type { Config } from '../platform/config.ts';
import {
  type Delivery,
  type GatewayDeliveryEvent,
  parseGroupSeqs,
  type ServerFrame,
} from '../platform/contracts/index.ts';
import { AppError, ErrorCode, isAppError, type Language, messageFor } from '../platform/errors.ts';
import { languageOf } from '../platform/http/context.ts';
import type { Logger } from '../platform/logger.ts';
import type { InvokePort, StateStore } from '../platform/ports/index.ts';
import type { DeliveryRouter, PresenceRegistry } from '../platform/presence/index.ts';
import { type AccessTokenVerifier, requireScope, revokedSessionKey } from '../platform/security/index.ts';
import { FriendsClient } from './clients/friends.ts';
import { MessagesClient } from './clients/messages.ts';
import { Connection, type ConnectionDeps, type FirstPage } from './connection.ts';
import { FrameHandler } from './frame-handler.ts';
import { connectsRefused, observeDelivery } from './metrics.ts';
import { PreparedFrame } from './prepared-frame.ts';
import { CloseCode, COMPRESSION, codecFor, type FrameCodec, SUBPROTOCOLS } from './protocol/index.ts';

export interface GatewayOptions {
  instanceId: string;
  config: Config['gateway'];
  /** MESSAGE_ALLOW_STRANGERS: whether users who are not friends may write (and show typing) to each other. */
  allowStrangers: boolean;
  rateLimitFactor: number;
  logger: Logger;
  authenticate: AccessTokenVerifier;
  /** Where revoked sessions are recorded (the shared store the token check reads). */
  revocations: StateStore;
  presence: PresenceRegistry;
  router: DeliveryRouter;
  invoke: InvokePort;
  /** The client's address of an upgrade request: the TCP peer unless it is a trusted proxy (platform/http/client-address.ts). */
  clientAddress: (request: IncomingMessage) => string;
  /** A connection was added or removed (connection count reports). */
  onConnectionsChanged?: () => void;
  /**
   * A device left for good (its socket dropped and it did not come back within the offline grace):
   * the push service pushes it what it did not acknowledge (`gateway.device.left`).
   */
  onDeviceLeft?: (left: DeviceLeftNotice) => Promise<void>;
}

/** A device taken out of the presence registry, and how far it had acknowledged the timeline. */
export interface DeviceLeftNotice {
  userId: string;
  deviceId: string;
  afterSyncSeq: number;
  leftAt: Date;
}

interface SocketState {
  language: Language;
  /** Frames that came before authentication finished; undefined once they are handled. */
  early: Array<{ payload: Buffer; isBinary: boolean }> | undefined;
  connection?: Connection;
}

const ACK_TIMEOUT_MS = 5000;
const GAP_WAIT_MS = 300;
const TIMELINE_PAGE = 200;
const CONNECTS_PER_MINUTE = 60;
/** A connect refused for a server-side fault is tried again after this, plus up to the reconnect jitter. */
const RETRY_MIN_MS = 1000;

/** A delivered frame into a socket: offered in its ordered stream, or sent as it is. */
function push(conn: Connection, delivery: Delivery) {
  if (delivery.syncSeq !== undefined) conn.offer(delivery.syncSeq, delivery.frame);
  else conn.send(delivery.frame);
}

const pushSpan = (conn: Connection, frameType: string) =>
  [
    `gateway push ${frameType}`,
    {
      kind: 'producer',
      attributes: {
        'anychat.frame.type': frameType,
        'anychat.user.id': conn.userId,
        'anychat.device.id': conn.deviceId,
      },
    },
  ] as const;

/**
 * The gateway of one instance: accepts `/ws`, authenticates, keeps this instance's devices in the
 * presence registry, takes client frames (validated, rate-limited) and pushes what the instance's
 * delivery topic brings to the devices it holds.
 */
export class GatewayHub {
  readonly instanceId: string;
  readonly #o: GatewayOptions;
  readonly #wss: WebSocketServer;
  readonly #byUser = new Map<string, Set<Connection>>();
  readonly #pendingDelivered = new Map<string, Set<string>>();
  readonly #frames: FrameHandler;
  readonly #messages: MessagesClient;
  readonly #friends: FriendsClient;
  readonly #connectWindows = new Map<string, { start: number; count: number }>();
  readonly #timer: NodeJS.Timeout;
  /** Per-socket state the shared listeners read; goes with the socket. */
  readonly #sockets = new WeakMap<WebSocket, SocketState>();
  readonly #listeners = this.#sharedListeners();
  readonly #depsByCodec = new Map<FrameCodec, ConnectionDeps>();
  #ticks = 0;
  #draining = false;
  /** Disconnect handlers still running (presence updates); shutdown waits for them. */
  readonly #closing = new Set<Promise<void>>();
  /**
   * Devices whose socket dropped, still in the presence registry for the offline grace: user and
   * device id → the timer that takes them out. A device back within it keeps its entry untouched.
   */
  readonly #leaving = new Map<string, { conn: Connection; timer: NodeJS.Timeout }>();

  constructor(options: GatewayOptions) {
    this.#o = options;
    this.instanceId = options.instanceId;
    this.#messages = new MessagesClient(options.invoke);
    this.#friends = new FriendsClient(options.invoke);
    this.#wss = new WebSocketServer({
      noServer: true,
      // The hub tracks its connections itself (#byUser); ws's own set would add a closure per socket.
      clientTracking: false,
      // Frames between maxFrameBytes and this get an ERROR frame; beyond it ws closes with 1009.
      maxPayload: options.config.maxFrameBytes * 4,
      // Frames over 1 KB are deflated for clients that offer it (seed §5.4.6). Off by default: a
      // compressing connection holds zlib state (BENCHMARKS.md, "WebSocket frames").
      perMessageDeflate: options.config.compression ? COMPRESSION : false,
      // The encoding a client asks for is the subprotocol chosen; `bearer` (a token in the header) means JSON.
      handleProtocols: (protocols) =>
        SUBPROTOCOLS.find((name) => protocols.has(name)) ?? (protocols.has('bearer') ? 'bearer' : false),
    });
    this.#frames = new FrameHandler({
      config: options.config,
      allowStrangers: options.allowStrangers,
      logger: options.logger,
      router: options.router,
      messages: this.#messages,
      friends: this.#friends,
      sync: (conn, syncSeq) => this.#sync(conn, syncSeq),
      closeForFlooding: (conn) => conn.close(CloseCode.RATE_LIMITED, 'rate limit'),
    });
    this.#timer = setInterval(() => this.#tick(), 1000);
    this.#timer.unref();
  }

  /** Users with at least one open connection here. */
  connectedUserIds(): string[] {
    return [...this.#byUser.keys()];
  }

  get userCount() {
    return this.#byUser.size;
  }

  get connectionCount() {
    let count = 0;
    for (const set of this.#byUser.values()) count += set.size;
    return count;
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer) {
    if (this.#draining) {
      connectsRefused.inc({ reason: 'draining' });
      return refuse(socket, 503, 'Service Unavailable');
    }
    const address = this.#o.clientAddress(request) || 'unknown';
    if (!this.#admitConnect(address)) {
      connectsRefused.inc({ reason: 'rate_limited' });
      return refuse(
        socket,
        429,
        'Too Many Requests',
        { 'Retry-After': '60' },
        ErrorCode.GATEWAY_TOO_MANY_CONNECTIONS,
      );
    }
    const url = new URL(request.url ?? '/', 'http://gateway');
    const token =
      url.searchParams.get('token') ?? bearerFromProtocols(request.headers['sec-websocket-protocol']);
    const syncParam = url.searchParams.get('syncSeq') ?? url.searchParams.get('lastSyncSeq');
    const language = languageOf(request.headers['accept-language']);
    // The device's positions in its read fan-out groups; a list that is not one is refused.
    const groupSeqs = parseGroupSeqs(url.searchParams.get('groupSeqs') ?? '');
    if (!groupSeqs) return refuse(socket, 400, 'Bad Request');
    // Opening the socket (token, presence, the replay) is a trace of its own, the upgrade's when
    // it came with a traceparent: what it logs and calls carries it. Frames are traces of their own.
    const caller = typeof request.headers.traceparent === 'string' ? request.headers.traceparent : undefined;
    this.#wss.handleUpgrade(request, socket, head, (ws) => {
      void inSpan('gateway connect', { kind: 'server', parent: caller }, () =>
        this.#open(ws, socket, {
          token,
          syncSeq: syncParam !== null && /^[0-9]{1,15}$/.test(syncParam) ? Number(syncParam) : undefined,
          groupSeqs,
          platform: (url.searchParams.get('platform') ?? '').slice(0, 20),
          language,
        }),
      );
    });
  }

  #admitConnect(address: string): boolean {
    const now = Date.now();
    const limit = Math.ceil(CONNECTS_PER_MINUTE * this.#o.rateLimitFactor);
    let window = this.#connectWindows.get(address);
    if (!window || now - window.start >= 60_000) {
      window = { start: now, count: 0 };
      this.#connectWindows.set(address, window);
    }
    return ++window.count <= limit;
  }

  async #open(
    ws: WebSocket,
    socket: Duplex,
    params: {
      token: string | null;
      syncSeq: number | undefined;
      groupSeqs: Map<string, number>;
      platform: string;
      language: Language;
    },
  ) {
    const codec = codecFor(ws.protocol);
    // Shared listeners find the socket's state here: no closures per connection (they would hold
    // everything of this call, the token included, for the connection's lifetime).
    const socketState: SocketState = { language: params.language, early: [] };
    this.#sockets.set(ws, socketState);
    ws.on('message', this.#listeners.message);
    ws.on('error', this.#listeners.error);

    let principal: Awaited<ReturnType<AccessTokenVerifier>>;
    try {
      if (!params.token) throw new AppError(ErrorCode.UNAUTHENTICATED, { detail: 'token missing' });
      principal = await this.#o.authenticate(params.token);
      // The socket delivers every message of the account: a bot token needs messages:read for it.
      requireScope(principal, 'messages:read', 'the WebSocket');
    } catch (error) {
      // Only a refusal of the token itself (a 4xx code: 10104, 10105, 12) ends in 4001, on which a
      // client signs its user out; a fault on the server's side (5xx, or anything unexpected) is retried.
      if (!isAppError(error) || error.status >= 500) {
        connectsRefused.inc({ reason: 'unavailable' });
        this.#o.logger.warn({ err: error }, 'token could not be checked; connect refused for now');
        this.#tryAgainLater(rawSocket(ws, codec), params.language);
        return;
      }
      connectsRefused.inc({ reason: 'unauthenticated' });
      ws.send(
        codec.encode({
          type: 'CONNECT_ERROR',
          timestamp: Date.now(),
          data: { status: error.status, code: error.code, message: messageFor(error.code, params.language) },
        }),
      );
      ws.close(CloseCode.UNAUTHENTICATED, 'unauthenticated');
      return;
    }
    if (ws.readyState !== WebSocket.OPEN) return;

    const conn = new Connection(
      ws,
      {
        userId: principal.userId,
        deviceId: principal.deviceId,
        authSessionId: principal.sessionId,
        platform: params.platform || principal.deviceType,
        scopes: principal.scopes,
      },
      this.#connectionDeps(codec),
      // Without an extension (per-message deflate) frames prepared once are written to the socket as they are.
      ws.extensions === '' ? socket : undefined,
    );
    ws.on('close', this.#listeners.close);
    for (const other of this.#byUser.get(conn.userId) ?? []) {
      if (other.deviceId !== conn.deviceId) continue;
      // The same device connected again: the old socket is a leftover; the device stays online.
      this.#remove(other);
      other.close(
        CloseCode.REPLACED,
        `${ErrorCode.GATEWAY_DUPLICATE_CONNECTION} replaced by a newer connection`,
      );
    }
    const set = this.#byUser.get(conn.userId) ?? new Set<Connection>();
    this.#byUser.set(conn.userId, set);
    set.add(conn);
    socketState.connection = conn;
    const early = socketState.early ?? [];
    socketState.early = undefined;
    this.#o.onConnectionsChanged?.();

    // A failure of the replay itself is named as a sync failure (110103) in the CONNECT_ERROR.
    let syncing = false;
    try {
      const [[change, first], streams] = await Promise.all([
        // The timeline is read once the device is in the registry: whatever is stored after the
        // read is routed here live, so nothing falls between the two. A resync's first page
        // carries the head too: one read (batched with other connects') for both.
        this.#register(conn).then(
          async (registered) =>
            [
              registered,
              await this.#timeline(conn.userId, params.syncSeq ?? Number.MAX_SAFE_INTEGER, TIMELINE_PAGE),
            ] as const,
        ),
        this.#messages.groupStreams(conn.userId),
      ]);
      const head = first.head;
      const groupSeqs = conn.startGroups(streams, params.groupSeqs, params.syncSeq !== undefined);
      conn.send({
        type: 'CONNECT_ACK',
        timestamp: Date.now(),
        data: {
          userId: conn.userId,
          deviceId: conn.deviceId,
          serverTime: Date.now(),
          heartbeatInterval: this.#o.config.heartbeatSeconds,
          syncSeq: head,
          ...(groupSeqs.length > 0 ? { groupSeqs } : {}),
        },
      });
      for (const { payload, isBinary } of early.splice(0))
        void this.#frames.handle(conn, payload, isBinary, params.language);
      if (change.becameOnline) void this.#announce(conn.userId, 'USER_ONLINE', { platform: conn.platform });
      syncing = true;
      if (params.syncSeq !== undefined)
        await this.#sync(conn, Math.min(params.syncSeq, head), { ...first, after: params.syncSeq });
      else await conn.startAt(head, false);
    } catch (error) {
      this.#o.logger.warn(
        { err: error, userId: conn.userId },
        'connection setup failed; client asked to retry',
      );
      this.#tryAgainLater(conn, params.language, syncing ? ErrorCode.SYNC_FAILED : undefined);
    }
  }

  /** One dependency object per encoding, shared by the connections that use it. */
  #connectionDeps(codec: FrameCodec): ConnectionDeps {
    let deps = this.#depsByCodec.get(codec);
    if (!deps) {
      deps = {
        timeline: (userId, after) => this.#timeline(userId, after, TIMELINE_PAGE),
        delivered: (userId, ids) => this.#queueDelivered(userId, ids),
        groupStreams: (userId) => this.#messages.groupStreams(userId),
        groupPage: (userId, sessionId, afterSeq) =>
          this.#messages.groupPage(userId, sessionId, afterSeq, TIMELINE_PAGE),
        logger: this.#o.logger,
        codec,
        maxBufferedBytes: this.#o.config.maxBufferedBytes,
        ackTimeoutMs: ACK_TIMEOUT_MS,
        gapWaitMs: GAP_WAIT_MS,
        framesPerSecond: this.#o.config.framesPerSecond,
      };
      this.#depsByCodec.set(codec, deps);
    }
    return deps;
  }

  /** The listeners every socket shares; `this` is the socket. */
  #sharedListeners() {
    const hub = this;
    return {
      message(this: WebSocket, payload: Buffer, isBinary: boolean) {
        const state = hub.#sockets.get(this);
        if (!state) return;
        if (state.connection) void hub.#frames.handle(state.connection, payload, isBinary, state.language);
        // Frames sent before authentication finishes wait for it.
        else if (state.early && state.early.length < 32) state.early.push({ payload, isBinary });
      },
      error(this: WebSocket, error: Error) {
        hub.#o.logger.debug({ err: error }, 'websocket error');
      },
      close(this: WebSocket) {
        const conn = hub.#sockets.get(this)?.connection;
        if (!conn) return;
        const closing = hub.#onClose(conn).finally(() => hub.#closing.delete(closing));
        hub.#closing.add(closing);
      },
    };
  }

  /**
   * Refuses a connect for a server-side fault (the database, the state store or a service is
   * unreachable): CONNECT_ERROR 503 with code 6 and when to retry, then close 1013. The client keeps
   * its tokens and connects again after `retryAfterMs`.
   */
  #tryAgainLater(socket: Pick<Connection, 'send' | 'close'>, language: Language, reasonCode?: number) {
    const retryAfterMs = RETRY_MIN_MS + Math.floor(Math.random() * (this.#o.config.reconnectJitterMs + 1));
    socket.send({
      type: 'CONNECT_ERROR',
      timestamp: Date.now(),
      data: {
        status: 503,
        code: ErrorCode.SERVICE_UNAVAILABLE,
        message: messageFor(ErrorCode.SERVICE_UNAVAILABLE, language),
        retryAfterMs,
        ...(reasonCode ? { reasonCode } : {}),
      },
    });
    socket.close(CloseCode.TRY_AGAIN_LATER, `try again in ${retryAfterMs} ms`);
  }

  /**
   * Puts the device in the presence registry, unless it is back within the offline grace: then its
   * entry was never taken out, and nothing is written or announced (a reconnect storm costs the
   * registry nothing).
   */
  async #register(conn: Connection): Promise<{ becameOnline: boolean }> {
    const key = leavingKey(conn);
    const leaving = this.#leaving.get(key);
    if (leaving) {
      clearTimeout(leaving.timer);
      this.#leaving.delete(key);
      conn.registered = true;
      return { becameOnline: false };
    }
    const change = await this.#o.presence.connect(conn.userId, this.instanceId, {
      deviceId: conn.deviceId,
      platform: conn.platform,
    });
    conn.registered = true;
    return change;
  }

  /** The timeline's replay, then each read fan-out group's past the device's position. */
  async #sync(conn: Connection, syncSeq: number, first?: FirstPage) {
    await conn.startAt(syncSeq, true, first);
    await conn.replayGroups();
    const groupSeqs = conn.groupPositions;
    conn.send({
      type: 'SYNC_COMPLETE',
      timestamp: Date.now(),
      data: { syncSeq: conn.cursor, ...(groupSeqs.length > 0 ? { groupSeqs } : {}) },
    });
  }

  #remove(conn: Connection): boolean {
    const set = this.#byUser.get(conn.userId);
    if (!set?.delete(conn)) return false;
    if (set.size === 0) this.#byUser.delete(conn.userId);
    this.#o.onConnectionsChanged?.();
    return true;
  }

  async #onClose(conn: Connection) {
    conn.closed = true;
    // Not in the map: it was replaced by a newer socket of the same device, which keeps the presence.
    if (!this.#remove(conn)) return;
    if ([...(this.#byUser.get(conn.userId) ?? [])].some((c) => c.deviceId === conn.deviceId)) return;
    // Only a device whose entry was written can keep it; a draining instance's devices go now.
    const grace = this.#o.config.offlineGraceMs;
    if (grace > 0 && conn.registered && !this.#draining) {
      const key = leavingKey(conn);
      const timer = setTimeout(() => {
        if (this.#leaving.get(key)?.conn !== conn) return;
        this.#leaving.delete(key);
        const closing = this.#leave(conn).finally(() => this.#closing.delete(closing));
        this.#closing.add(closing);
      }, grace);
      timer.unref();
      this.#leaving.set(key, { conn, timer });
      return;
    }
    await this.#leave(conn);
  }

  /**
   * Takes the device out of the presence registry; USER_OFFLINE when it was the user's last. A
   * device now connected nowhere is announced to the push service with the position it
   * acknowledged: while it was in the registry (its offline grace, or a socket that died before
   * anyone noticed) the messages after that position were not pushed to it, and now they are.
   */
  async #leave(conn: Connection) {
    try {
      const change = await this.#o.presence.disconnect(conn.userId, this.instanceId, conn.deviceId);
      // A shutting-down instance's clients reconnect elsewhere: they are not going offline.
      if (change.becameOffline && !this.#draining) await this.#announce(conn.userId, 'USER_OFFLINE', {});
      if (change.deviceGone) await this.#deviceLeft(conn);
    } catch (error) {
      this.#o.logger.warn({ err: error, userId: conn.userId }, 'presence update on disconnect failed');
    }
  }

  async #deviceLeft(conn: Connection) {
    const afterSyncSeq = conn.acknowledgedCursor;
    // A socket that never got its starting point holds no position to push from.
    if (afterSyncSeq === undefined || !this.#o.onDeviceLeft) return;
    const leftAt = new Date();
    await this.#o
      .onDeviceLeft({ userId: conn.userId, deviceId: conn.deviceId, afterSyncSeq, leftAt })
      .catch((error: unknown) =>
        this.#o.logger.warn(
          { err: error, userId: conn.userId, deviceId: conn.deviceId },
          'device-left event not published; messages of its offline grace are not pushed',
        ),
      );
  }

  /** USER_ONLINE / USER_OFFLINE to the user's friends (unless hidden), wherever they are connected. */
  async #announce(userId: string, type: 'USER_ONLINE' | 'USER_OFFLINE', extra: Record<string, unknown>) {
    try {
      const friendIds = await this.#friends.presenceAudience(userId);
      const timestamp = Date.now();
      await this.#o.router.route(
        friendIds.map((friendId) => ({
          userId: friendId,
          frame: { type, timestamp, data: { userId, timestamp, ...extra } },
        })),
      );
    } catch (error) {
      this.#o.logger.warn({ err: error, userId }, `${type} announcement failed`);
    }
  }

  /** Frames routed to this instance by the delivery topic. */
  deliver(event: GatewayDeliveryEvent) {
    const now = Date.now();
    for (const delivery of event.deliveries) {
      observeDelivery(delivery.frame, now);
      if (delivery.groupSeq !== undefined) {
        this.#deliverToGroup(delivery, delivery.groupSeq);
        continue;
      }
      for (const conn of this.#targets(delivery)) {
        if (delivery.frame.type === 'FORCE_LOGOUT') {
          const data = delivery.frame.data as { authSessionId?: string } | undefined;
          if (data?.authSessionId && data.authSessionId !== conn.authSessionId) continue;
          this.#logout(conn, delivery.frame);
          continue;
        }
        // The push to each socket is a span of the delivery's trace when tracing is on; off, not
        // even the span's options are made (this runs for every frame to every device).
        if (tracingEnabled()) inSpan(...pushSpan(conn, delivery.frame.type), () => push(conn, delivery));
        else push(conn, delivery);
      }
    }
  }

  /**
   * A read fan-out group's message to the members held here: serialized once per encoding (and
   * framed once for sockets without compression) for all of them, and placed in each device's
   * stream of the group. Nothing is allocated per member.
   */
  #deliverToGroup(delivery: Delivery, groupSeq: number) {
    const sessionId = (delivery.frame.data as { sessionId?: unknown } | undefined)?.sessionId;
    if (typeof sessionId !== 'string') return;
    const prepared = new PreparedFrame(delivery.frame);
    this.#offerGroup(delivery, delivery.userId, sessionId, groupSeq, prepared);
    for (const userId of delivery.alsoUserIds ?? [])
      this.#offerGroup(delivery, userId, sessionId, groupSeq, prepared);
  }

  #offerGroup(
    delivery: Delivery,
    userId: string,
    sessionId: string,
    groupSeq: number,
    prepared: PreparedFrame,
  ) {
    const connections = this.#byUser.get(userId);
    if (!connections) return;
    for (const conn of connections)
      if (this.#targeted(conn, delivery)) conn.offerGroup(sessionId, groupSeq, prepared);
  }

  /** FORCE_LOGOUT, then the socket closes (4003); its close handler takes the device out of the registry. */
  #logout(conn: Connection, frame: ServerFrame) {
    conn.send(frame);
    conn.close(CloseCode.LOGGED_OUT, 'logged out');
  }

  /**
   * Closes sockets whose session was revoked. FORCE_LOGOUT normally arrives by event; this catches
   * one the broker lost (the revocation itself is in the shared store, as the token check sees it).
   */
  async #revalidate() {
    const connections = [...this.#byUser.values()].flatMap((set) => [...set]);
    if (connections.length === 0) return;
    const keys = [...new Set(connections.map((conn) => revokedSessionKey(conn.authSessionId)))];
    const revoked = new Set((await this.#o.revocations.getBulk(keys)).map((item) => item.key));
    for (const conn of connections) {
      if (!revoked.has(revokedSessionKey(conn.authSessionId))) continue;
      const now = Date.now();
      this.#logout(conn, {
        type: 'FORCE_LOGOUT',
        timestamp: now,
        data: {
          reason: 'session_revoked',
          authSessionId: conn.authSessionId,
          message: 'signed out',
          timestamp: now,
        },
      });
    }
  }

  #targets(delivery: Delivery): Connection[] {
    return [...(this.#byUser.get(delivery.userId) ?? [])].filter((conn) => this.#targeted(conn, delivery));
  }

  #targeted(conn: Connection, delivery: Delivery) {
    return (
      !conn.closed &&
      conn.deviceId !== delivery.excludeDeviceId &&
      (!delivery.onlyDeviceIds || delivery.onlyDeviceIds.includes(conn.deviceId))
    );
  }

  #timeline(userId: string, afterSyncSeq: number, limit: number) {
    return this.#messages.timeline(userId, afterSyncSeq, limit);
  }

  #queueDelivered(userId: string, messageIds: string[]) {
    const set = this.#pendingDelivered.get(userId) ?? new Set<string>();
    this.#pendingDelivered.set(userId, set);
    for (const id of messageIds) set.add(id);
  }

  async #flushDelivered() {
    const batches = [...this.#pendingDelivered];
    this.#pendingDelivered.clear();
    // One call for all of them (the message service stores them with one statement).
    await this.#messages
      .delivered(batches)
      .catch((error: unknown) => this.#o.logger.warn({ err: error }, 'delivered receipts not recorded'));
  }

  #tick() {
    const now = Date.now();
    this.#ticks++;
    const connections = [...this.#byUser.values()].flatMap((set) => [...set]);
    for (const conn of connections) conn.checkAcks(now);
    void this.#flushDelivered();
    const silentFor = this.#o.config.heartbeatSeconds * 3 * 1000;
    if (this.#ticks % 5 === 0)
      for (const conn of connections)
        if (now - conn.lastSeen > silentFor) {
          this.#o.logger.debug({ userId: conn.userId, deviceId: conn.deviceId }, 'heartbeat timeout');
          conn.close(CloseCode.HEARTBEAT_TIMEOUT, `${ErrorCode.GATEWAY_HEARTBEAT_TIMEOUT} heartbeat timeout`);
        }
    // A third of the TTL, so that two missed beats in a row still leave the instance alive.
    if (this.#ticks % Math.max(1, Math.floor(this.#o.config.presenceTtlSeconds / 3)) === 0)
      void this.#heartbeat();
    if (this.#ticks % this.#o.config.revalidateSeconds === 0)
      void this.#revalidate().catch((error: unknown) =>
        this.#o.logger.warn({ err: error }, 'session revalidation failed'),
      );
    if (this.#ticks % 60 === 0)
      for (const [address, window] of this.#connectWindows)
        if (now - window.start >= 60_000) this.#connectWindows.delete(address);
  }

  /** Keeps this instance alive in the registry; if it dies, its users' entries stop counting. */
  async #heartbeat() {
    await this.#o.presence
      .heartbeat(this.instanceId)
      .catch((error: unknown) => this.#o.logger.warn({ err: error }, 'presence heartbeat failed'));
  }

  /** Lets every device go (they reconnect to another instance) and leaves the registry. */
  async drain() {
    this.#draining = true;
    clearInterval(this.#timer);
    const connections = [...this.#byUser.values()].flatMap((set) => [...set]);
    this.#byUser.clear();
    // Devices within their offline grace leave with the rest; those are not coming back to
    // another instance either, so they are announced as left (#leave).
    const leaving = [...this.#leaving.values()].map(({ conn, timer }) => {
      clearTimeout(timer);
      return conn;
    });
    this.#leaving.clear();
    for (const conn of connections) {
      // Spread the reconnects over the jitter window so the remaining instances are not stampeded.
      conn.send({
        type: 'RECONNECT',
        timestamp: Date.now(),
        data: {
          reason: 'server_draining',
          reconnectAfterMs: Math.floor(Math.random() * (this.#o.config.reconnectJitterMs + 1)),
        },
      });
      conn.close(CloseCode.GOING_AWAY, `${ErrorCode.GATEWAY_DISCONNECTED} server shutting down`);
    }
    await Promise.allSettled([
      ...connections.map((conn) => this.#o.presence.disconnect(conn.userId, this.instanceId, conn.deviceId)),
      ...leaving.map((conn) => this.#leave(conn)),
      ...this.#closing,
    ]);
    await this.#o.presence
      .retire(this.instanceId)
      .catch((error: unknown) => this.#o.logger.warn({ err: error }, 'presence retire failed'));
    await this.#flushDelivered();
    this.#wss.close();
  }
}

const leavingKey = (conn: Connection) => `${conn.userId}/${conn.deviceId}`;

/** A socket not yet wrapped in a Connection, with the same send/close. */
function rawSocket(ws: WebSocket, codec: FrameCodec): Pick<Connection, 'send' | 'close'> {
  return {
    send: (frame) => {
      ws.send(codec.encode(frame));
      return true;
    },
    close: (code, reason) => ws.close(code, reason),
  };
}

function bearerFromProtocols(header: string | undefined): string | null {
  if (!header) return null;
  const protocols = header.split(',').map((p) => p.trim());
  const at = protocols.indexOf('bearer');
  return at >= 0 && protocols[at + 1] ? protocols[at + 1]! : null;
}

/** An upgrade refused with an HTTP answer; with `code`, a JSON envelope names it (e.g. 90104). */
function refuse(
  socket: Duplex,
  status: number,
  text: string,
  headers: Record<string, string> = {},
  code?: number,
) {
  const body = code ? JSON.stringify({ code, message: messageFor(code, 'en'), data: null }) : '';
  const type = code ? 'Content-Type: application/json\r\n' : '';
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\n${type}Content-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`,
  );
}
