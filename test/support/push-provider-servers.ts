import { once } from 'node:events';
import { createSecureServer, type Http2SecureServer, type IncomingHttpHeaders } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { importSPKI, jwtVerify } from 'jose';
import type { TestCertificate } from './tls.ts';

/** One request a provider server received. */
export interface ProviderRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

interface Answer {
  status: number;
  body: unknown;
}

/**
 * Local stand-ins for FCM and APNs, which cannot be reached from here: HTTP/2 servers over TLS
 * on loopback that check the documented authentication (FCM's OAuth JWT exchange, APNs' ES256
 * provider token), record each push, and answer in the documented formats, including each
 * dead-token answer.
 */
abstract class Http2ProviderServer {
  readonly requests: ProviderRequest[] = [];
  protected readonly answers = new Map<string, Answer>();
  readonly #server: Http2SecureServer;

  protected constructor(certificate: TestCertificate) {
    this.#server = createSecureServer({ cert: certificate.cert, key: certificate.key });
    this.#server.on('stream', (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        this.handle(String(headers[':path']), headers, raw).then(
          ({ status, body }) => {
            stream.respond({ ':status': status, 'content-type': 'application/json' });
            stream.end(body === undefined ? undefined : JSON.stringify(body));
          },
          (error: unknown) => {
            stream.respond({ ':status': 599 });
            stream.end(String(error));
          },
        );
      });
    });
  }

  protected async listen(): Promise<void> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
  }

  get origin(): string {
    return `https://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Pushes to this device token get `status` and `body` from now on. */
  answer(token: string, status: number, body: unknown): void {
    this.answers.set(token, { status, body });
  }

  protected abstract handle(path: string, headers: IncomingHttpHeaders, raw: string): Promise<Answer>;

  async close(): Promise<void> {
    this.#server.close();
    await once(this.#server, 'close');
  }
}

/** FCM HTTP v1: POST /token (OAuth JWT bearer grant) and POST /v1/projects/<id>/messages:send. */
export class FakeFcm extends Http2ProviderServer {
  readonly #publicKey: string;
  readonly #projectId: string;
  readonly #issued = new Set<string>();
  /** Claims of each assertion the token endpoint accepted. */
  readonly assertions: Array<Record<string, unknown>> = [];

  private constructor(certificate: TestCertificate, publicKey: string, projectId: string) {
    super(certificate);
    this.#publicKey = publicKey;
    this.#projectId = projectId;
  }

  static async start(certificate: TestCertificate, publicKey: string, projectId: string): Promise<FakeFcm> {
    const server = new FakeFcm(certificate, publicKey, projectId);
    await server.listen();
    return server;
  }

  get tokenUri(): string {
    return `${this.origin}/token`;
  }

  protected async handle(path: string, headers: IncomingHttpHeaders, raw: string): Promise<Answer> {
    if (path === '/token') {
      const form = new URLSearchParams(raw);
      if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
        return { status: 400, body: { error: 'unsupported_grant_type' } };
      }
      const key = await importSPKI(this.#publicKey, 'RS256');
      const { payload } = await jwtVerify(form.get('assertion') ?? '', key, { audience: this.tokenUri });
      this.assertions.push(payload);
      const token = `ya29.test-${this.#issued.size + 1}`;
      this.#issued.add(token);
      return { status: 200, body: { access_token: token, expires_in: 3599, token_type: 'Bearer' } };
    }
    if (path !== `/v1/projects/${this.#projectId}/messages:send`) return { status: 404, body: { error: {} } };
    const bearer = String(headers.authorization ?? '').replace(/^Bearer /, '');
    if (!this.#issued.has(bearer)) {
      return { status: 401, body: { error: { code: 401, status: 'UNAUTHENTICATED', message: 'bad token' } } };
    }
    const body = JSON.parse(raw) as { message: { token: string } };
    this.requests.push({ path, headers, body });
    return (
      this.answers.get(body.message.token) ?? {
        status: 200,
        body: { name: `projects/${this.#projectId}/messages/${this.requests.length}` },
      }
    );
  }

  /** FCM's answer for a token that is no longer registered. */
  static readonly UNREGISTERED = {
    error: {
      code: 404,
      message: 'Requested entity was not found.',
      status: 'NOT_FOUND',
      details: [
        { '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: 'UNREGISTERED' },
      ],
    },
  };
}

/** APNs: POST /3/device/<token> with an ES256 provider token. */
export class FakeApns extends Http2ProviderServer {
  readonly #publicKey: string;
  readonly #keyId: string;
  readonly #teamId: string;

  private constructor(certificate: TestCertificate, publicKey: string, keyId: string, teamId: string) {
    super(certificate);
    this.#publicKey = publicKey;
    this.#keyId = keyId;
    this.#teamId = teamId;
  }

  static async start(certificate: TestCertificate, publicKey: string, keyId: string, teamId: string) {
    const server = new FakeApns(certificate, publicKey, keyId, teamId);
    await server.listen();
    return server;
  }

  protected async handle(path: string, headers: IncomingHttpHeaders, raw: string): Promise<Answer> {
    const token = /^\/3\/device\/([0-9a-fA-F]+)$/.exec(path)?.[1];
    if (!token) return { status: 404, body: { reason: 'BadPath' } };
    const jwt = String(headers.authorization ?? '').replace(/^bearer /, '');
    try {
      const key = await importSPKI(this.#publicKey, 'ES256');
      const { payload, protectedHeader } = await jwtVerify(jwt, key, { issuer: this.#teamId });
      if (protectedHeader.kid !== this.#keyId || typeof payload.iat !== 'number')
        throw new Error('kid or iat');
    } catch {
      return { status: 403, body: { reason: 'InvalidProviderToken' } };
    }
    this.requests.push({ path, headers, body: JSON.parse(raw) as Record<string, unknown> });
    return this.answers.get(token) ?? { status: 200, body: undefined };
  }
}
