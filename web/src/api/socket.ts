import type { OutgoingMessage, ServerFrame } from './types.ts';

/** `elsewhere`: another tab of this browser (the same device) took the connection over. */
export type SocketState = 'connecting' | 'online' | 'offline' | 'elsewhere';

export interface SocketHandlers {
  /** The access token to connect with (fresh after a refresh). */
  token(): string;
  /** Where this device's timeline stands: the server replays every event after it. */
  syncSeq(): number | undefined;
  frame(frame: ServerFrame): void;
  state(state: SocketState): void;
  /** The token was refused (close 4001 or CONNECT_ERROR 401): refresh it, or sign out. */
  unauthorized(): Promise<void>;
  /** The login session ended (FORCE_LOGOUT, close 4003). */
  loggedOut(reason: string): void;
}

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 15_000;

/**
 * The WebSocket to the gateway: connects with the device's `syncSeq` (the server replays what was
 * missed, then SYNC_COMPLETE), sends PING every heartbeat, acknowledges NEW_MESSAGE, reconnects with
 * jittered exponential backoff (and at once when the browser comes back online), and sends queued
 * messages again after each connect with the same `clientMsgId` (the server answers a repeat with
 * the first result).
 */
export class ChatSocket {
  #ws: WebSocket | null = null;
  #attempt = 0;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #ready = false;
  /** Messages sent and not yet acknowledged, in the order they were written. */
  readonly #outbox = new Map<string, OutgoingMessage>();
  readonly #online = () => this.#reconnectNow();
  // A socket may outlive the network silently: drop it when the browser says it is offline.
  readonly #offline = () => this.#ws?.close(1000);
  #lastHeard = 0;

  constructor(readonly handlers: SocketHandlers) {
    window.addEventListener('online', this.#online);
    window.addEventListener('offline', this.#offline);
  }

  start(): void {
    this.#stopped = false;
    this.#attempt = 0;
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    window.removeEventListener('online', this.#online);
    window.removeEventListener('offline', this.#offline);
    clearTimeout(this.#retry);
    clearInterval(this.#heartbeat);
    this.#ws?.close(1000);
    this.#ws = null;
  }

  /** Queues a message; it goes out now if connected, else after the next connect. */
  send(message: OutgoingMessage): void {
    this.#outbox.set(message.clientMsgId, message);
    if (this.#ready) this.#transmit(message);
  }

  /** The SEND_ACK (or a refusal) for `clientMsgId` arrived: stop resending it. */
  settle(clientMsgId: string): void {
    this.#outbox.delete(clientMsgId);
  }

  pending(): OutgoingMessage[] {
    return [...this.#outbox.values()];
  }

  typing(sessionId: string): void {
    this.#raw({ type: 'TYPING', data: { sessionId, sessionType: 'single' } });
  }

  #transmit(message: OutgoingMessage) {
    this.#raw({
      type: 'SEND_MESSAGE',
      msgId: message.clientMsgId,
      timestamp: Date.now(),
      data: {
        sessionType: message.sessionType,
        targetId: message.targetId,
        contentType: message.contentType,
        content: message.content,
        ...(message.mentions?.length ? { mentions: message.mentions } : {}),
      },
    });
  }

  #raw(frame: unknown) {
    if (this.#ws?.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(frame));
  }

  #connect() {
    if (this.#stopped) return;
    this.handlers.state('connecting');
    const url = new URL('/ws', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('platform', 'web');
    const syncSeq = this.handlers.syncSeq();
    if (syncSeq !== undefined) url.searchParams.set('syncSeq', String(syncSeq));
    // The token rides in the subprotocol header, never in the URL (which ends up in logs).
    const ws = new WebSocket(url, ['bearer', this.handlers.token()]);
    this.#ws = ws;
    ws.onmessage = (event) => {
      this.#lastHeard = Date.now();
      if (typeof event.data !== 'string') return;
      let frame: ServerFrame;
      try {
        frame = JSON.parse(event.data) as ServerFrame;
      } catch {
        return;
      }
      this.#onFrame(ws, frame);
    };
    ws.onclose = (event) => {
      if (this.#ws !== ws) return;
      this.#ws = null;
      this.#ready = false;
      clearInterval(this.#heartbeat);
      if (event.code === 4009) {
        // Another tab of this device connected: it has the live connection until this one is used again.
        this.handlers.state('elsewhere');
        return;
      }
      this.handlers.state('offline');
      if (event.code === 4003) return;
      if (event.code === 4001) {
        void this.handlers.unauthorized().then(
          () => this.#schedule(),
          () => {},
        );
        return;
      }
      this.#schedule();
    };
  }

  #onFrame(ws: WebSocket, frame: ServerFrame) {
    switch (frame.type) {
      case 'CONNECT_ACK': {
        const interval = Math.max(5, frame.data.heartbeatInterval) * 1000;
        this.#attempt = 0;
        this.#ready = true;
        clearInterval(this.#heartbeat);
        this.#heartbeat = setInterval(() => {
          // Nothing heard (not even a PONG) for two heartbeats: the connection is gone.
          if (Date.now() - this.#lastHeard > 2 * interval) ws.close(1000);
          else this.#raw({ type: 'PING' });
        }, interval);
        this.handlers.state('online');
        for (const message of this.#outbox.values()) this.#transmit(message);
        break;
      }
      case 'NEW_MESSAGE':
        this.#raw({ type: 'MESSAGE_ACK', data: { messageIds: [frame.data.messageId] } });
        break;
      case 'FORCE_LOGOUT':
        this.stop();
        this.handlers.loggedOut(frame.data.reason);
        break;
      case 'RECONNECT':
        ws.close(1000);
        break;
    }
    this.handlers.frame(frame);
  }

  #schedule() {
    // While the browser knows it is offline, its 'online' event starts the next attempt.
    if (this.#stopped || !navigator.onLine) return;
    clearTimeout(this.#retry);
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.#attempt++);
    this.#retry = setTimeout(() => this.#connect(), ceiling / 2 + Math.random() * (ceiling / 2));
  }

  #reconnectNow() {
    if (this.#stopped || this.#ws) return;
    this.#attempt = 0;
    clearTimeout(this.#retry);
    this.#connect();
  }
}
