import { type ClientHttp2Session, connect, constants } from 'node:http2';

export interface Http2Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const REQUEST_TIMEOUT_MS = 10_000;

/**
 * One HTTP/2 connection per provider origin, kept open and shared by concurrent pushes (APNs
 * asks senders to keep connections open rather than open one per push); a connection that
 * closes or fails is replaced on the next request.
 */
export class Http2Origin {
  readonly #origin: string;
  readonly #ca: string[] | undefined;
  #session: ClientHttp2Session | undefined;

  constructor(origin: string, ca?: string[]) {
    this.#origin = origin;
    this.#ca = ca;
  }

  request(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<Http2Answer> {
    const session = this.#connected();
    return new Promise((resolve, reject) => {
      const stream = session.request({
        [constants.HTTP2_HEADER_METHOD]: method,
        [constants.HTTP2_HEADER_PATH]: path,
        ...headers,
      });
      stream.setTimeout(REQUEST_TIMEOUT_MS, () => stream.close(constants.NGHTTP2_CANCEL));
      let status = 0;
      let answerHeaders: Http2Answer['headers'] = {};
      const chunks: Buffer[] = [];
      stream.on('response', (received) => {
        status = Number(received[constants.HTTP2_HEADER_STATUS]);
        answerHeaders = received;
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (status === 0) reject(new Error(`no answer from ${this.#origin}`));
        else resolve({ status, headers: answerHeaders, body: Buffer.concat(chunks).toString('utf8') });
      });
      stream.on('error', reject);
      stream.end(body);
    });
  }

  close(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    if (!session || session.closed) return Promise.resolve();
    return new Promise((resolve) => session.close(() => resolve()));
  }

  #connected(): ClientHttp2Session {
    if (this.#session && !this.#session.closed && !this.#session.destroyed) return this.#session;
    const session = connect(this.#origin, this.#ca ? { ca: this.#ca } : {});
    // Failures surface on the requests; an idle connection must not keep the process alive.
    session.on('error', () => {});
    session.on('close', () => {
      if (this.#session === session) this.#session = undefined;
    });
    session.unref();
    this.#session = session;
    return session;
  }
}
