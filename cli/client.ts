/**
 * The admin HTTP API (/api/v1/admin) over global fetch. Every answer is the platform envelope
 * `{code, message, data, traceId}`; this is the one place that turns its business codes into exit
 * codes and messages that say what to do.
 */
import { CliError, ExitCode } from './exit-codes.ts';

const API_PREFIX = '/api/v1/admin';
const REQUEST_TIMEOUT_MS = 30_000;

/** Business codes of the admin API that the CLI handles specially (DESIGN §7). */
const LOGIN_REQUIRED = new Set([12, 10104, 10105]);
const WRONG_ADMIN_PASSWORD = 120102;
const PERMISSION_MISSING = 120103;
const INVALID_PARAMS = 1;
const NOT_FOUND = new Set([11, 10102, 40101, 50101]);
const TOO_MANY_REQUESTS = 9;
const SECOND_FACTOR_REQUIRED = 10116;
const SECOND_FACTOR_WRONG = 10119;

/** A new second factor to add to an authenticator app (the admin's first login). */
export interface Enrollment {
  secret: string;
  otpauthUri: string;
}

/** The login needs an authenticator code; `enroll` is set when the admin has no second factor yet. */
export class SecondFactorNeeded extends CliError {
  readonly enroll: Enrollment | undefined;

  constructor(enroll: Enrollment | undefined) {
    super(ExitCode.auth, 'this administrator signs in with an authenticator code: pass --otp CODE');
    this.enroll = enroll;
  }
}

interface Envelope {
  code: number;
  message?: string;
  data?: unknown;
  traceId?: string;
}

export type Query = Record<string, string | number | boolean | undefined>;

export function normalizeServer(server: string): string {
  let url: URL;
  try {
    url = new URL(server.includes('://') ? server : `http://${server}`);
  } catch {
    throw new CliError(
      ExitCode.usage,
      `invalid --server "${server}": expected a URL like http://localhost:8080`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(
      ExitCode.usage,
      `invalid --server "${server}": only http:// and https:// are supported`,
    );
  }
  return url.href.replace(/\/+$/, '');
}

export class AdminClient {
  readonly server: string;
  readonly #token: string | undefined;

  constructor(server: string, token?: string) {
    this.server = normalizeServer(server);
    this.#token = token;
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.request<T>('GET', path, { query });
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, { body: body ?? {} });
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, { body });
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path, {});
  }

  async request<T>(method: string, path: string, options: { query?: Query; body?: unknown }): Promise<T> {
    const url = new URL(`${this.server}${API_PREFIX}${path}`);
    for (const [key, value] of Object.entries(options.query ?? {}))
      if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';

    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw this.#unreachable(error);
    }
    const text = await response.text();
    let envelope: Envelope | undefined;
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed === 'object' && parsed !== null && typeof (parsed as Envelope).code === 'number')
        envelope = parsed as Envelope;
    } catch {
      // Not the platform's envelope: handled below by HTTP status.
    }
    if (!envelope) throw this.#notAnEnvelope(response.status, text);
    if (envelope.code === 0) return envelope.data as T;
    throw this.#businessError(envelope, response.status);
  }

  #unreachable(error: unknown): CliError {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if ((error as Error).name === 'TimeoutError') {
      return new CliError(
        ExitCode.unreachable,
        `no answer from ${this.server} within ${REQUEST_TIMEOUT_MS / 1000}s: is the server overloaded? try again`,
      );
    }
    const reason = cause?.code ?? cause?.message ?? (error as Error).message;
    return new CliError(
      ExitCode.unreachable,
      `cannot reach ${this.server} (${reason}): is the server running? pass --server URL to use another`,
    );
  }

  #notAnEnvelope(status: number, text: string): CliError {
    if (status === 401) return this.#loginRequired();
    if (status === 403)
      return new CliError(ExitCode.permission, `${this.server} refused the request (HTTP 403)`);
    if (status === 404) {
      return new CliError(
        ExitCode.unreachable,
        `${this.server} has no admin API (HTTP 404): is --server the AnyChat server with the admin service?`,
      );
    }
    if (status >= 502 && status <= 504)
      return new CliError(
        ExitCode.unreachable,
        `${this.server} is unavailable (HTTP ${status}): try again later`,
      );
    const snippet = text.trim().slice(0, 200);
    return new CliError(
      ExitCode.failure,
      `unexpected answer from ${this.server} (HTTP ${status})${snippet ? `: ${snippet}` : ''}`,
    );
  }

  #loginRequired(): CliError {
    return new CliError(
      ExitCode.auth,
      `login expired or not valid for ${this.server}: run \`imctl login --server ${this.server}\``,
    );
  }

  #businessError(envelope: Envelope, status: number): CliError {
    const { code } = envelope;
    const message = envelope.message || `error code ${code}`;
    const trace = envelope.traceId ? ` (trace ${envelope.traceId})` : '';
    if (LOGIN_REQUIRED.has(code)) return this.#loginRequired();
    if (code === WRONG_ADMIN_PASSWORD || code === SECOND_FACTOR_WRONG)
      return new CliError(ExitCode.auth, `login refused: ${message}`);
    if (code === SECOND_FACTOR_REQUIRED) {
      const enroll = (envelope.data as { enroll?: Enrollment | null } | null | undefined)?.enroll;
      return new SecondFactorNeeded(enroll ?? undefined);
    }
    if (code === PERMISSION_MISSING) {
      const permission = (envelope.data as { permission?: string } | null | undefined)?.permission;
      return new CliError(
        ExitCode.permission,
        `missing permission ${permission ?? '(unnamed)'}: ask an administrator with admins:write to grant it`,
      );
    }
    if (code === INVALID_PARAMS)
      return new CliError(ExitCode.usage, `the server rejected the input: ${message}`);
    if (NOT_FOUND.has(code) || status === 404) return new CliError(ExitCode.notFound, `${message}${trace}`);
    if (code === TOO_MANY_REQUESTS)
      return new CliError(ExitCode.failure, `too many requests: ${message}; wait and retry`);
    return new CliError(ExitCode.failure, `the server failed the request: ${message} (code ${code})${trace}`);
  }
}
