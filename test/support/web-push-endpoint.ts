import { createDecipheriv, createECDH, type ECDH, hkdfSync, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import type { TestCertificate } from './tls.ts';

/** One push the endpoint received, decrypted and with its VAPID token checked. */
export interface ReceivedPush {
  /** The subscription (device) it was for. */
  device: string;
  payload: Record<string, unknown>;
  ttl: number;
  urgency: string | undefined;
  topic: string | undefined;
  /** The VAPID JWT's claims (its signature verified against the `k` public key). */
  vapid: { aud: string; sub: string; exp: number; publicKey: string };
}

/** A browser's side of one subscription: its key pair and auth secret. */
interface Subscriber {
  ecdh: ECDH;
  auth: Buffer;
}

/**
 * An RFC 8030 push service of the test's own, on loopback over HTTPS: browsers' subscriptions
 * point at it, and it does what a browser would with each push: decrypts the aes128gcm body
 * (RFC 8188 / RFC 8291) with the subscription's private key and auth secret, and verifies the
 * VAPID token (RFC 8292). A subscription can be made to answer 410 Gone (unsubscribed) or 503.
 */
export class WebPushEndpoint {
  readonly received: ReceivedPush[] = [];
  readonly #subscribers = new Map<string, Subscriber>();
  readonly #answers = new Map<string, number>();
  readonly #holds = new Map<string, Promise<unknown>>();
  readonly #requests = new Map<string, number>();
  readonly #server: Server;
  readonly #waiters: Array<() => void> = [];

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(certificate: TestCertificate): Promise<WebPushEndpoint> {
    const server = createServer({ cert: certificate.cert, key: certificate.key });
    const endpoint = new WebPushEndpoint(server);
    server.on('request', (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        endpoint.#handle(request.url ?? '/', request.headers, Buffer.concat(chunks)).then(
          (status) => response.writeHead(status).end(),
          (error: unknown) => response.writeHead(400).end(String(error)),
        );
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return endpoint;
  }

  get origin(): string {
    return `https://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** A new subscription (what `PushManager.subscribe()` gives a page), as the JSON the app registers. */
  subscribe(device: string): string {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const auth = randomBytes(16);
    this.#subscribers.set(device, { ecdh, auth });
    return JSON.stringify({
      endpoint: `${this.origin}/push/${device}`,
      keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') },
    });
  }

  /** The endpoint answers this status for the device's pushes from now on (410: unsubscribed). */
  answer(device: string, status: number): void {
    this.#answers.set(device, status);
  }

  /** The endpoint takes the device's pushes as a working push service does again. */
  recover(device: string): void {
    this.#answers.delete(device);
  }

  /** The device's requests get no answer until `until` settles (a slow push service). */
  hold(device: string, until: Promise<unknown>): void {
    this.#holds.set(device, until);
  }

  /** Requests the endpoint answered for the device, whatever it answered. */
  requestsFor(device: string): number {
    return this.#requests.get(device) ?? 0;
  }

  pushesFor(device: string): ReceivedPush[] {
    return this.received.filter((push) => push.device === device);
  }

  /** Resolves when `count` pushes in all have arrived. */
  async waitFor(count: number, timeoutMs = 20_000): Promise<ReceivedPush[]> {
    await this.until(`${count} pushes`, () => this.received.length >= count, timeoutMs);
    return this.received;
  }

  /** The `index`-th push (from 1) for the device, when it has arrived. */
  async nth(device: string, index: number, timeoutMs = 20_000): Promise<ReceivedPush> {
    await this.until(`push ${index} for ${device}`, () => this.pushesFor(device).length >= index, timeoutMs);
    return this.pushesFor(device)[index - 1]!;
  }

  /** Resolves when `done` holds, checked as each push arrives. */
  async until(what: string, done: () => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${what}; received ${this.received.length} pushes in all`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    this.#server.close();
    await once(this.#server, 'close');
  }

  async #handle(
    url: string,
    headers: Record<string, string | string[] | undefined>,
    body: Buffer,
  ): Promise<number> {
    const device = /^\/push\/([\w-]+)$/.exec(url)?.[1];
    const subscriber = device ? this.#subscribers.get(device) : undefined;
    if (!device || !subscriber) return 404;
    await this.#holds.get(device);
    this.#requests.set(device, this.requestsFor(device) + 1);
    const answer = this.#answers.get(device);
    if (answer !== undefined) return answer;
    if (headers['content-encoding'] !== 'aes128gcm') throw new Error('content-encoding must be aes128gcm');
    const vapid = await this.#verifyVapid(String(headers.authorization ?? ''));
    const payload = JSON.parse(decrypt(subscriber, body).toString('utf8')) as Record<string, unknown>;
    this.received.push({
      device,
      payload,
      ttl: Number(headers.ttl),
      urgency: headers.urgency as string | undefined,
      topic: headers.topic as string | undefined,
      vapid,
    });
    for (const wake of this.#waiters.splice(0)) wake();
    return 201;
  }

  /** RFC 8292 §3: `Authorization: vapid t=<JWT>, k=<public key>`, an ES256 JWT for this origin. */
  async #verifyVapid(authorization: string): Promise<ReceivedPush['vapid']> {
    const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization);
    if (!match) throw new Error(`not a VAPID authorization: ${authorization.slice(0, 40)}`);
    const [, token, k] = match as unknown as [string, string, string];
    const point = Buffer.from(k, 'base64url');
    if (point.length !== 65 || point[0] !== 4) throw new Error('k is not an uncompressed P-256 point');
    const key = await importJWK(
      {
        kty: 'EC',
        crv: 'P-256',
        x: point.subarray(1, 33).toString('base64url'),
        y: point.subarray(33).toString('base64url'),
      },
      'ES256',
    );
    if (decodeProtectedHeader(token).alg !== 'ES256') throw new Error('VAPID JWT is not ES256');
    await jwtVerify(token, key, { audience: this.origin });
    const claims = decodeJwt(token);
    return { aud: String(claims.aud), sub: String(claims.sub), exp: Number(claims.exp), publicKey: k };
  }
}

/** RFC 8291 §3.4 and RFC 8188 §2: one aes128gcm record, decrypted as the browser does. */
function decrypt({ ecdh, auth }: Subscriber, body: Buffer): Buffer {
  const salt = body.subarray(0, 16);
  const idLength = body[20]!;
  const senderPublic = body.subarray(21, 21 + idLength);
  const ciphertext = body.subarray(21 + idLength);
  const shared = ecdh.computeSecret(senderPublic);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), ecdh.getPublicKey(), senderPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', shared, auth, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const padded = Buffer.concat([
    decipher.update(ciphertext.subarray(0, ciphertext.length - 16)),
    decipher.final(),
  ]);
  // The last record ends with the delimiter 0x02, then zero padding.
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end -= 1;
  if (padded[end] !== 2) throw new Error('no last-record delimiter');
  return padded.subarray(0, end);
}
