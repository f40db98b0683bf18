export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: { code: number; message: string; data: T; traceId: string };
}

export interface CallOptions {
  body?: unknown;
  /** Sent as is (malformed JSON, huge bodies, bytes that are not UTF-8). */
  rawBody?: string | Uint8Array<ArrayBuffer>;
  token?: string;
  headers?: Record<string, string>;
}

/** A real HTTP client against the platform; nothing is called in-process. */
export class ApiClient {
  readonly baseUrl: string;

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl;
  }

  async call<T = unknown>(method: string, path: string, options: CallOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    let body: string | Uint8Array<ArrayBuffer> | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const response = await fetch(this.baseUrl + path, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    const text = await response.text();
    let parsed: ApiResponse<T>['body'];
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`${method} ${path} answered ${response.status} with non-JSON: ${text.slice(0, 200)}`);
    }
    return { status: response.status, headers: response.headers, body: parsed };
  }

  async ok<T = unknown>(method: string, path: string, options: CallOptions = {}): Promise<T> {
    const response = await this.call<T>(method, path, options);
    if (response.status !== 200 || response.body.code !== 0) {
      throw new Error(`${method} ${path} failed: ${response.status} ${JSON.stringify(response.body)}`);
    }
    return response.body.data;
  }
}

export interface SignedIn {
  userId: string;
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

let counter = 0;
/** A unique, valid account name for this test run. */
export const uniqueAccount = (prefix = 'user') =>
  `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}`;

export async function registerUser(
  api: ApiClient,
  overrides: Record<string, unknown> = {},
): Promise<SignedIn & { account: string; password: string }> {
  const account = (overrides.account as string) ?? uniqueAccount();
  const password = (overrides.password as string) ?? 'passw0rdOK';
  const data = await api.ok<SignedIn>('POST', '/api/v1/auth/register', {
    body: { account, password, deviceType: 'Web', deviceId: `web-${account}`, ...overrides },
  });
  return { ...data, account, password };
}
