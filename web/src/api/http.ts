import type { AuthTokens } from './types.ts';

/** A refused call: the API's business code (README, error codes) and its message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

interface Envelope<T> {
  code: number;
  message: string;
  data: T;
}

const DEVICE_KEY = 'anychat.deviceId';

/** This browser's device id: one per browser profile, kept across sign-ins. */
export function deviceId(): string {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id) {
    id = `web-${crypto.randomUUID()}`;
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

/**
 * The REST client: JSON in the `{code, message, data}` envelope, the bearer token, and one refresh
 * (rotating the refresh token) when the access token has expired.
 */
export class Http {
  tokens: AuthTokens | null = null;
  language = 'en';
  onTokens: (tokens: AuthTokens | null) => void = () => {};
  #refreshing: Promise<void> | null = null;

  async call<T>(method: string, path: string, body?: unknown, retried = false): Promise<T> {
    const headers: Record<string, string> = { 'Accept-Language': this.language };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (this.tokens) headers.Authorization = `Bearer ${this.tokens.accessToken}`;
    const response = await fetch(path, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const envelope = (await response.json().catch(() => null)) as Envelope<T> | null;
    if (response.status === 401 && this.tokens && !retried) {
      await this.refresh();
      return this.call(method, path, body, true);
    }
    if (!response.ok || !envelope || envelope.code !== 0)
      throw new ApiError(response.status, envelope?.code ?? -1, envelope?.message ?? response.statusText);
    return envelope.data;
  }

  get<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const search = params.toString();
    return this.call<T>('GET', search ? `${path}?${search}` : path);
  }

  /** Swaps the refresh token for new tokens; signs out when it is refused. */
  refresh(): Promise<void> {
    this.#refreshing ??= (async () => {
      try {
        const refreshToken = this.tokens?.refreshToken;
        if (!refreshToken) throw new ApiError(401, 10104, 'signed out');
        const fresh = await fetch('/api/v1/auth/refresh', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ refreshToken }),
        });
        const envelope = (await fresh.json().catch(() => null)) as Envelope<
          Omit<AuthTokens, 'userId'>
        > | null;
        if (!fresh.ok || !envelope || envelope.code !== 0) {
          this.tokens = null;
          this.onTokens(null);
          throw new ApiError(fresh.status, envelope?.code ?? -1, envelope?.message ?? 'signed out');
        }
        this.tokens = { ...envelope.data, userId: this.tokens!.userId };
        this.onTokens(this.tokens);
      } finally {
        this.#refreshing = null;
      }
    })();
    return this.#refreshing;
  }

  /** Uploads a file (multipart) with progress, as XMLHttpRequest alone reports it. */
  upload<T>(file: File, type: string, onProgress: (fraction: number) => void): Promise<T> {
    return new Promise((resolve, reject) => {
      const form = new FormData();
      form.append('type', type);
      form.append('file', file, file.name);
      const request = new XMLHttpRequest();
      request.open('POST', '/api/v1/files/upload');
      if (this.tokens) request.setRequestHeader('Authorization', `Bearer ${this.tokens.accessToken}`);
      request.setRequestHeader('Accept-Language', this.language);
      request.upload.onprogress = (event) => {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      };
      request.onload = () => {
        const envelope = (() => {
          try {
            return JSON.parse(request.responseText) as Envelope<T>;
          } catch {
            return null;
          }
        })();
        if (request.status >= 200 && request.status < 300 && envelope?.code === 0) resolve(envelope.data);
        else
          reject(new ApiError(request.status, envelope?.code ?? -1, envelope?.message ?? request.statusText));
      };
      request.onerror = () => reject(new ApiError(0, -1, 'network error'));
      request.send(form);
    });
  }
}
