import WebSocket, { type RawData } from 'ws';
import { decodeServerFrame, encodeClientFrame, protoCodec } from '../../services/gateway/protocol/index.ts';

/** How frames travel: JSON text frames (the default) or binary protobuf (subprotocol `anychat.v1.proto`). */
export type Encoding = 'json' | 'proto';
export const ENCODINGS: readonly Encoding[] = ['json', 'proto'];
let defaultEncoding: Encoding = 'json';

/**
 * Runs a suite's cases once per encoding (inside the suite's platform, so it starts once): every
 * client the cases open speaks that encoding unless they ask otherwise.
 */
export function forEachEncoding(body: (encoding: Encoding) => void) {
  for (const encoding of ENCODINGS)
    describe(`over ${encoding}`, () => {
      before(() => {
        defaultEncoding = encoding;
      });
      after(() => {
        defaultEncoding = 'json';
      });
      body(encoding);
    });
}

export interface Frame {
  type: string;
  msgId?: string;
  timestamp?: number;
  /** @deprecated JSON only, until v2: ERROR's code (CONNECT_ERROR's status) at the top level; read `data.code`. */
  code?: number;
  /** @deprecated JSON only, until v2: read `data.message`. */
  message?: string;
  // biome-ignore lint/suspicious/noExplicitAny: frames are JSON; tests read the fields they check.
  data?: any;
}

export interface ConnectOptions {
  syncSeq?: number;
  /** Positions in read fan-out groups to give at connect (`groupSeqs=g_1:40,…`). */
  groupSeqs?: Map<string, number>;
  platform?: string;
  /** Send the token as a `bearer` subprotocol instead of in the query. */
  tokenInProtocol?: boolean;
  /** Acknowledge NEW_MESSAGE frames (as a real client does); off to test resends. */
  autoAck?: boolean;
  /** The frames' encoding; default: the suite's (forEachEncoding), else JSON. */
  encoding?: Encoding;
  /** Offer per-message deflate (ws's default); false: a client that does not. */
  compression?: boolean;
}

let counter = 0;
/** Connects refused as "try again later" that connect() retries before it gives up. */
const MAX_CONNECT_ATTEMPTS = 5;
/**
 * How long a connect waits for CONNECT_ACK. A suite that opens 150 sockets at once on a loaded CI
 * machine (load 40) saw the 5 s of other frames run out before the platform answered them all, both
 * before and after the group fan-out change; an app waits longer for its handshake too.
 */
const CONNECT_WAIT_MS = 30_000;
export const clientMsgId = () => `c${Date.now().toString(36)}${(counter++).toString(36)}`;

/**
 * A real WebSocket client of /ws, as an app would write it: it keeps every frame, acknowledges
 * messages, and tracks the highest syncSeq it holds without gaps (what it gives on reconnect).
 */
export class WsClient {
  readonly frames: Frame[] = [];
  readonly ws: WebSocket;
  closeCode: number | undefined;
  /** Bytes of every frame received, as decoded (before compression on the wire). */
  receivedBytes = 0;
  /** Highest syncSeq such that everything up to it was received (or sent by this client). */
  syncSeq = 0;
  /**
   * Position in each read fan-out group's stream: the seq of its last message taken (they come in
   * order, with syncSeq 0), as CONNECT_ACK and SYNC_COMPLETE set them.
   */
  readonly groupSeqs = new Map<string, number>();
  readonly #seen = new Set<number>();
  readonly #waiters: Array<{ match: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];
  readonly #closed: Promise<number>;
  readonly #autoAck: boolean;
  readonly encoding: Encoding;

  private constructor(ws: WebSocket, autoAck: boolean, encoding: Encoding) {
    this.ws = ws;
    this.#autoAck = autoAck;
    this.encoding = encoding;
    this.#closed = new Promise((resolve) =>
      ws.on('close', (code) => {
        this.closeCode = code;
        resolve(code);
      }),
    );
    ws.on('message', (raw: RawData, isBinary: boolean) => {
      this.receivedBytes += (raw as Buffer).byteLength;
      this.#receive(this.#decode(raw as Buffer, isBinary));
    });
  }

  /**
   * Opens and waits for CONNECT_ACK. A refusal for a server-side fault (CONNECT_ERROR 503 with
   * `retryAfterMs`, close 1013) is retried after the delay it names, as an app does; a refused
   * token (401) is not.
   */
  static async connect(baseUrl: string, token: string, options: ConnectOptions = {}): Promise<WsClient> {
    for (let attempt = 1; ; attempt++) {
      const client = WsClient.open(baseUrl, token, options);
      const first = await client.next(
        (f) => f.type === 'CONNECT_ACK' || f.type === 'CONNECT_ERROR',
        CONNECT_WAIT_MS,
      );
      const retryAfterMs = first.type === 'CONNECT_ERROR' ? first.data?.retryAfterMs : undefined;
      if (typeof retryAfterMs === 'number' && attempt < MAX_CONNECT_ATTEMPTS) {
        await client.closed();
        await new Promise((resolve) => setTimeout(resolve, retryAfterMs));
        continue;
      }
      if (first.type === 'CONNECT_ERROR') throw new Error(`CONNECT_ERROR ${JSON.stringify(first)}`);
      // The replay may follow CONNECT_ACK in the same read, taken before this line runs.
      client.#startAt(options.syncSeq ?? first.data.syncSeq);
      if (options.syncSeq !== undefined) await client.next((f) => f.type === 'SYNC_COMPLETE');
      return client;
    }
  }

  /** Opens without waiting for CONNECT_ACK (for refusal tests). */
  static open(baseUrl: string, token: string, options: ConnectOptions = {}): WsClient {
    const url = new URL('/ws', baseUrl.replace(/^http/, 'ws'));
    if (!options.tokenInProtocol) url.searchParams.set('token', token);
    if (options.syncSeq !== undefined) url.searchParams.set('syncSeq', String(options.syncSeq));
    if (options.groupSeqs?.size)
      url.searchParams.set(
        'groupSeqs',
        [...options.groupSeqs].map(([sessionId, seq]) => `${sessionId}:${seq}`).join(','),
      );
    if (options.platform) url.searchParams.set('platform', options.platform);
    const encoding = options.encoding ?? defaultEncoding;
    const ws = new WebSocket(
      url,
      [
        // JSON is what a client gets without asking: the JSON runs ask for nothing.
        ...(encoding === 'proto' ? [protoCodec.subprotocol] : []),
        ...(options.tokenInProtocol ? ['bearer', token] : []),
      ],
      { perMessageDeflate: options.compression ?? true },
    );
    ws.on('error', () => {});
    return new WsClient(ws, options.autoAck ?? true, encoding);
  }

  #decode(raw: Buffer, isBinary: boolean): Frame {
    if (this.encoding === 'proto') {
      if (!isBinary) throw new Error(`a text frame on a protobuf connection: ${raw.toString()}`);
      return decodeServerFrame(raw) as unknown as Frame;
    }
    if (isBinary) throw new Error('a binary frame on a JSON connection');
    return JSON.parse(raw.toString()) as Frame;
  }

  #receive(frame: Frame) {
    this.frames.push(frame);
    if (frame.type === 'CONNECT_ACK' || frame.type === 'SYNC_COMPLETE')
      for (const { sessionId, seq } of frame.data?.groupSeqs ?? []) this.groupSeqs.set(sessionId, seq);
    // A read fan-out group's message (syncSeq 0), or this client's own send to one.
    if ((frame.type === 'NEW_MESSAGE' || frame.type === 'SEND_ACK') && frame.data?.syncSeq === 0)
      this.groupSeqs.set(frame.data.sessionId, frame.data.seq);
    if (
      typeof frame.data?.syncSeq === 'number' &&
      frame.type !== 'CONNECT_ACK' &&
      frame.type !== 'SYNC_COMPLETE'
    )
      this.#advance(frame.data.syncSeq);
    if (frame.type === 'SEND_ACK') this.#advance(frame.data.syncSeq);
    if (frame.type === 'NEW_MESSAGE' && this.#autoAck && this.ws.readyState === WebSocket.OPEN)
      this.send({ type: 'MESSAGE_ACK', data: { messageIds: [frame.data.messageId] } });
    for (const waiter of [...this.#waiters]) {
      if (!waiter.match(frame)) continue;
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.resolve(frame);
    }
  }

  /** The position the connection starts from; frames already taken after it count. */
  #startAt(syncSeq: number) {
    this.syncSeq = Math.max(this.syncSeq, syncSeq);
    while (this.#seen.has(this.syncSeq + 1)) this.#seen.delete(++this.syncSeq);
  }

  #advance(syncSeq: number) {
    this.#seen.add(syncSeq);
    while (this.#seen.has(this.syncSeq + 1)) this.#seen.delete(++this.syncSeq);
  }

  /** Sends a frame in the connection's encoding; a string or bytes go as they are (malformed-frame tests). */
  send(frame: unknown) {
    if (typeof frame === 'string' || frame instanceof Uint8Array) this.ws.send(frame);
    else if (this.encoding === 'proto') this.ws.send(encodeClientFrame(frame as Record<string, unknown>));
    else this.ws.send(JSON.stringify(frame));
  }

  /** The first frame (already received or still to come) after `from` that matches. */
  next(match: (f: Frame) => boolean, timeoutMs = 5000, from = 0): Promise<Frame> {
    const found = this.frames.slice(from).find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (f: Frame) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(
          new Error(
            `no matching frame within ${timeoutMs} ms; got ${this.frames.map((f) => f.type).join(',')}`,
          ),
        );
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  /** Sends SEND_MESSAGE and resolves with the SEND_ACK or ERROR answering it. */
  async sendMessage(
    targetId: string,
    content: unknown,
    options: { contentType?: string; msgId?: string } = {},
  ) {
    const msgId = options.msgId ?? clientMsgId();
    const mark = this.frames.length;
    this.send({
      type: 'SEND_MESSAGE',
      msgId,
      data: { sessionType: 'single', targetId, contentType: options.contentType ?? 'text', content },
    });
    return this.next((f) => (f.type === 'SEND_ACK' || f.type === 'ERROR') && f.msgId === msgId, 10_000, mark);
  }

  /**
   * NEW_MESSAGE frames of conversations, without the platform's notices in the user's system
   * conversation (`n_<user id>`: e.g. a sign-in on another device posts one there).
   */
  messages(): Frame[] {
    return this.frames.filter((f) => f.type === 'NEW_MESSAGE' && !isSystemNotice(f));
  }

  /** NEW_MESSAGE frames of the system conversation: the platform's notices to the user. */
  notices(): Frame[] {
    return this.frames.filter((f) => f.type === 'NEW_MESSAGE' && isSystemNotice(f));
  }

  /** Waits until `count` NEW_MESSAGE frames (system notices aside) matching have arrived. */
  async waitForMessages(count: number, match: (f: Frame) => boolean = () => true, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    while (this.messages().filter(match).length < count) {
      if (Date.now() > deadline)
        throw new Error(`expected ${count} messages, got ${this.messages().filter(match).length}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.messages().filter(match);
  }

  closed(): Promise<number> {
    return this.#closed;
  }

  async close() {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close();
    await this.#closed;
  }
}

function isSystemNotice(frame: Frame): boolean {
  const sessionId = (frame.data as { sessionId?: unknown } | undefined)?.sessionId;
  return typeof sessionId === 'string' && sessionId.startsWith('n_');
}
