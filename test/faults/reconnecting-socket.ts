/**
 * A client WebSocket that behaves as the README asks a client to: connects, waits for CONNECT_ACK,
 * and when the socket goes (the server was killed, a gateway died) connects again — after
 * `retryAfterMs` on a CONNECT_ERROR 503, else after a short backoff — with the query the caller
 * gives for each attempt (the receivers' syncSeq). A 401 is final: the fault runs count it.
 */
import WebSocket from 'ws';

export interface Frame {
  type: string;
  msgId?: string;
  code?: number;
  data?: Record<string, unknown>;
}

export interface SocketHandlers {
  /** Every frame of an accepted connection (CONNECT_ACK included). */
  frame(frame: Frame): void;
  /** A connection was accepted (CONNECT_ACK); `first` on the first one only. */
  opened(first: boolean): void;
}

/** An attempt that neither opens nor fails within this is abandoned (a server hung on a dead database). */
const CONNECT_TIMEOUT_MS = 10_000;
const PING_EVERY_MS = 20_000;

export class ReconnectingSocket {
  open = false;
  /** Accepted connections so far (1 = never reconnected). */
  connects = 0;
  /** Set when the server refused the token (CONNECT_ERROR 401): the socket gives up. */
  refused: string | undefined;
  #ws: WebSocket | undefined;
  #stopped = false;
  #failures = 0;
  #retryAfterMs: number | undefined;
  #ping: NodeJS.Timeout | undefined;
  readonly #url: () => string;
  readonly #handlers: SocketHandlers;

  /** `url` is asked again for every attempt: the query may change (syncSeq), and so may the gateway. */
  constructor(url: () => string, handlers: SocketHandlers) {
    this.#url = url;
    this.#handlers = handlers;
  }

  /** Connects; resolves at the first CONNECT_ACK. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        const ws = new WebSocket(this.#url());
        ws.once('error', reject);
        ws.on('message', (raw) => {
          const frame = JSON.parse(raw.toString()) as Frame;
          if (frame.type === 'CONNECT_ERROR') reject(new Error(`connect refused: ${raw.toString()}`));
          if (frame.type !== 'CONNECT_ACK') return;
          ws.off('error', reject);
          this.#accepted(ws, frame);
          resolve();
        });
      };
      attempt();
    });
  }

  send(frame: Frame): boolean {
    if (!this.open || this.#ws?.readyState !== WebSocket.OPEN) return false;
    this.#ws.send(JSON.stringify(frame));
    return true;
  }

  stop() {
    this.#stopped = true;
    this.open = false;
    clearInterval(this.#ping);
    this.#ws?.terminate();
  }

  #accepted(ws: WebSocket, ack: Frame) {
    this.#ws = ws;
    this.open = true;
    this.#failures = 0;
    const first = this.connects === 0;
    ws.removeAllListeners('message');
    ws.on('message', (raw) => this.#handlers.frame(JSON.parse(raw.toString()) as Frame));
    ws.on('error', () => {});
    ws.once('close', () => this.#lost(ws));
    clearInterval(this.#ping);
    this.#ping = setInterval(() => this.send({ type: 'PING' }), PING_EVERY_MS);
    // CONNECT_ACK is handled while `connects` still counts the connections before this one.
    this.#handlers.frame(ack);
    this.connects++;
    this.#handlers.opened(first);
  }

  #lost(ws: WebSocket) {
    if (this.#ws !== ws) return;
    this.open = false;
    clearInterval(this.#ping);
    this.#schedule();
  }

  #schedule() {
    if (this.#stopped || this.refused) return;
    const backoff = Math.min(2_000, 100 * 2 ** this.#failures) + Math.random() * 200;
    const delay = this.#retryAfterMs ?? backoff;
    this.#retryAfterMs = undefined;
    setTimeout(() => this.#attempt(), delay);
  }

  #attempt() {
    if (this.#stopped) return;
    const ws = new WebSocket(this.#url());
    let settled = false;
    const fail = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      this.#failures++;
      ws.terminate();
      this.#schedule();
    };
    const timer = setTimeout(fail, CONNECT_TIMEOUT_MS);
    ws.on('error', fail);
    ws.on('close', fail);
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as Frame;
      if (frame.type === 'CONNECT_ERROR') {
        const data = frame.data as { status?: number; retryAfterMs?: number } | undefined;
        if (data?.status === 401) this.refused = raw.toString();
        else this.#retryAfterMs = data?.retryAfterMs;
        fail();
        return;
      }
      if (frame.type !== 'CONNECT_ACK' || settled) return;
      settled = true;
      clearTimeout(timer);
      ws.removeAllListeners('error');
      ws.removeAllListeners('close');
      this.#accepted(ws, frame);
    });
  }
}
