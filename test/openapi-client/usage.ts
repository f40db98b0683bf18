/**
 * A client of the REST API typed by nothing but the OpenAPI document the platform serves.
 * test/api/openapi.test.ts generates `./api.ts` from the served document with openapi-typescript,
 * compiles this file against it with tsc and runs it against the platform, so a document that a
 * standard generator misreads, or that no longer describes these calls, fails the suite. The root
 * tsconfig leaves this folder out: `./api.ts` exists only where the test generates it.
 */
import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './api.ts';

export interface Walkthrough {
  userId: string;
  /** The nickname GET /users/me returns after PUT /users/me set it. */
  nickname: string;
  /** The same user read by id, through a path parameter. */
  nicknameById: string;
  /** A search by account, through query parameters. */
  foundUserIds: string[];
  /** The business code and HTTP status of a login with a wrong password, read from the error envelope. */
  wrongPassword: { status: number; code: number | undefined };
}

const DEVICE = { deviceType: 'Web', deviceId: 'openapi-client' } as const;

/** The envelope's data of a successful call; anything else stops the walkthrough with what came back. */
function dataOf<T>(what: string, result: { data?: { data: T }; error?: unknown; response: Response }): T {
  if (result.data === undefined)
    throw new Error(`${what}: HTTP ${result.response.status} ${JSON.stringify(result.error)}`);
  return result.data.data;
}

/** Registers `account`, signs in, edits and reads the profile, searches, and fails a login on purpose. */
export async function walkthrough(baseUrl: string, account: string, password: string): Promise<Walkthrough> {
  const anonymous = createClient<paths>({ baseUrl });
  dataOf(
    'register',
    await anonymous.POST('/api/v1/auth/register', { body: { account, password, ...DEVICE } }),
  );
  const session = dataOf(
    'login',
    await anonymous.POST('/api/v1/auth/login', { body: { account, password, ...DEVICE } }),
  );

  const signedIn = createClient<paths>({
    baseUrl,
    headers: { authorization: `Bearer ${session.accessToken}` },
  });
  dataOf('update profile', await signedIn.PUT('/api/v1/users/me', { body: { nickname: 'Typed Client' } }));
  const me = dataOf('read profile', await signedIn.GET('/api/v1/users/me'));
  const byId = dataOf(
    'read user by id',
    await signedIn.GET('/api/v1/users/{id}', { params: { path: { id: me.userId } } }),
  );
  const found = dataOf(
    'search users',
    await signedIn.GET('/api/v1/users/search', { params: { query: { keyword: account, pageSize: 5 } } }),
  );

  const wrong = await anonymous.POST('/api/v1/auth/login', {
    body: { account, password: `${password}-wrong`, ...DEVICE },
  });
  return {
    userId: me.userId,
    nickname: me.nickname,
    nicknameById: byId.nickname,
    foundUserIds: found.users.map((user) => user.userId),
    wrongPassword: { status: wrong.response.status, code: wrong.error?.code },
  };
}

/**
 * Never called: tsc must refuse each marked call, or the generated types have lost what the
 * document says (an unresolved reference, for one, turns a schema into `unknown`).
 */
export function refusedByTheTypes(client: Client<paths>): void {
  const fax = { account: 'a', password: 'b', deviceType: 'Fax', deviceId: 'x' } as const;
  // @ts-expect-error the document lists the device types
  void client.POST('/api/v1/auth/login', { body: fax });
  // @ts-expect-error the document names no such path
  void client.GET('/api/v1/no-such-path');
  // @ts-expect-error GET /users/{id} needs its path parameter
  void client.GET('/api/v1/users/{id}', {});
  // @ts-expect-error gender is 0, 1 or 2
  void client.PUT('/api/v1/users/me', { body: { gender: 7 } });
}
