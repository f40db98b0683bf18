import { expect } from 'chai';
import { BUILT_IN_ROLES } from '../../services/admin/permissions.ts';
import { CLIENT_FRAME_TYPES as FRAME_TYPES } from '../../services/gateway/protocol/index.ts';
import { singleSessionId } from '../../services/platform/contracts/index.ts';
import { codeInfo, ErrorCode } from '../../services/platform/errors.ts';
import { ADMIN_PASSWORD, signedInAdmin } from '../support/admins.ts';
import { type ApiResponse, registerUser } from '../support/api-client.ts';
import { requirePostgres } from '../support/backends.ts';
import type { User } from '../support/chat.ts';
import { eventually } from '../support/eventually.ts';
import { multipartBody } from '../support/forms.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';
import { fetchOperations, type Operation, requestTarget } from '../support/route-table.ts';
import { buildWorld, SECRET, type World } from '../support/world.ts';
import { clientMsgId, type Frame, WsClient } from '../support/ws-client.ts';
import {
  type CallerKind,
  type Check,
  type Refusal,
  type Request,
  ROUTE_CASES,
} from './authorization-cases.ts';

const refusal = (code: number): Refusal => ({ status: codeInfo(code).status, code });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A JWT with another token's claims and no signature (`alg: none`). */
function unsigned(token: string): string {
  const [, payload] = token.split('.');
  const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
  return `${header}.${payload}.`;
}
/** One user's claims under another user's signature. */
const swappedClaims = (claimsOf: string, signatureOf: string) =>
  [...claimsOf.split('.').slice(0, 2), signatureOf.split('.')[2]].join('.');

type Snapshot = Record<string, unknown>;
/** Fields that move by themselves (presence, activity, the time of the answer): not part of what a owns. */
const VOLATILE = new Set(['online', 'platforms', 'lastActiveTime', 'lastActiveAt', 'updateTime']);
const stable = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value, (key, v) => (VOLATILE.has(key) ? undefined : v)));

describe('authorization on every route and frame [postgresql]', function () {
  this.timeout(120_000);
  let platform: TestPlatform;
  let w: World;
  let operations: Operation[];
  const admins: Record<string, string> = {};
  let before_: Snapshot;

  const call = async (op: Operation, request: Request, token: string | undefined): Promise<ApiResponse> =>
    platform.api.call(op.method, requestTarget(op.template, request.params, request.query), {
      ...(token ? { token } : {}),
      ...(request.form
        ? await multipartBody(request.form)
        : request.body !== undefined
          ? { body: request.body }
          : op.body
            ? { body: {} }
            : {}),
    });
  const requestOf = (op: Operation): Request => {
    const entry = ROUTE_CASES[op.key];
    if (entry && 'admin' in entry) return entry.admin(w);
    if (entry && 'checks' in entry) return entry.checks[0]!.request(w);
    return {};
  };
  const protectedOps = () => operations.filter((op) => op.access !== 'public');
  const describeResponse = (r: ApiResponse) => `${r.status} ${r.body.code} ${r.body.message}`;

  /** Everything of a's that the checks aim at, as a sees it. */
  async function snapshot(): Promise<Snapshot> {
    const as = { token: w.a.accessToken };
    const g = w.group.groupId;
    const reads: Record<string, string> = {
      me: '/api/v1/users/me',
      settings: '/api/v1/users/settings',
      devices: '/api/v1/auth/devices',
      friends: '/api/v1/friends',
      categories: '/api/v1/friends/categories',
      blacklist: '/api/v1/friends/blacklist',
      requests: '/api/v1/friends/requests?direction=incoming',
      group: `/api/v1/groups/${g}`,
      members: `/api/v1/groups/${g}/members`,
      single: `/api/v1/messages/history?sessionId=${w.single.sessionId}`,
      groupHistory: `/api/v1/messages/history?sessionId=g_${g}`,
      withB: `/api/v1/messages/history?sessionId=${singleSessionId(w.a.userId, w.b.userId)}`,
      sessions: '/api/v1/sessions',
      groups: '/api/v1/groups',
    };
    const result: Snapshot = {};
    for (const [name, path] of Object.entries(reads))
      result[name] = stable(await platform.api.ok('GET', path, as));
    // Fresh users may ask to join (that is allowed); p's request is the one the checks aim at.
    const joins = await platform.api.ok<{ requests: Array<{ user: { userId: string } }> }>(
      'GET',
      `/api/v1/groups/${g}/join`,
      as,
    );
    result.joins = stable(joins.requests.filter((r) => r.user.userId === w.p.userId));
    return result;
  }

  before(async function () {
    await requirePostgres(this);
    platform = await startPlatform('postgresql');
    w = await buildWorld(platform.api);
    for (const role of BUILT_IN_ROLES)
      admins[role.name] = await signedInAdmin(platform, `authz_${role.name}`, role.name as 'superadmin');
    operations = await fetchOperations(platform.api);
    before_ = await snapshot();
  });

  after(async () => {
    await platform?.stop();
  });

  it('has a case for every route of the route table, and no case without a route', () => {
    const keys = operations.map((op) => op.key);
    expect(
      keys.filter((key) => !(key in ROUTE_CASES)),
      'routes without an authorization case',
    ).to.deep.equal([]);
    expect(
      Object.keys(ROUTE_CASES).filter((key) => !keys.includes(key)),
      'cases without a route',
    ).to.deep.equal([]);
    for (const op of operations) {
      const entry = ROUTE_CASES[op.key]!;
      const kind = 'public' in entry ? 'public' : 'admin' in entry ? 'admin' : 'user';
      expect(kind, `${op.key}: the case's kind`).to.equal(op.access);
      if (!('checks' in entry)) continue;
      const kinds = new Set(entry.checks.map((c) => c.as));
      expect(
        kinds.has('stranger') || kinds.has('fresh') || kinds.has('blocked'),
        `${op.key}: another user's call`,
      ).to.equal(true);
      // Group routes are called by a plain member as well: the owner's and admins' powers are theirs.
      if (op.template.startsWith('/api/v1/groups/{id}') && op.key !== 'POST /api/v1/groups/{id}/exit')
        expect(kinds.has('member'), `${op.key}: a plain member's call`).to.equal(true);
    }
  });

  it('refuses every protected route without a token (000012)', async () => {
    const wrong: string[] = [];
    for (const op of protectedOps()) {
      const response = await call(op, requestOf(op), undefined);
      if (response.status !== 401 || response.body.code !== ErrorCode.UNAUTHENTICATED)
        wrong.push(`${op.key}: ${describeResponse(response)}`);
    }
    expect(wrong).to.deep.equal([]);
  });

  it('refuses bad tokens on every protected route (10104): garbage, unsigned, re-signed, signed out', async () => {
    const leaving = await registerUser(platform.api);
    await platform.api.ok('POST', '/api/v1/auth/logout', { token: leaving.accessToken });
    const signedOutAdmin = await platform.api.ok<{ token: string }>('POST', '/api/v1/admin/auth/login', {
      body: { username: 'authz_superadmin', password: ADMIN_PASSWORD },
    });
    await platform.api.ok('POST', '/api/v1/admin/auth/logout', { token: signedOutAdmin.token });
    const chatTokens = {
      garbage: 'not-a-token',
      unsigned: unsigned(w.a.accessToken),
      'claims of a, signature of b': swappedClaims(w.a.accessToken, w.b.accessToken),
      'signed out': leaving.accessToken,
    };
    const adminTokens = {
      garbage: 'ima_not-a-token',
      'signed out': signedOutAdmin.token,
      truncated: admins.superadmin!.slice(0, -2),
    };
    const wrong: string[] = [];
    for (const op of protectedOps()) {
      for (const [name, token] of Object.entries(op.access === 'admin' ? adminTokens : chatTokens)) {
        const response = await call(op, requestOf(op), token);
        if (response.status !== 401 || response.body.code !== ErrorCode.TOKEN_INVALID)
          wrong.push(`${op.key} with ${name}: ${describeResponse(response)}`);
      }
    }
    expect(wrong).to.deep.equal([]);
  });

  it("refuses the other realm's token: an admin's on chat routes, a chat user's on admin routes (10104)", async () => {
    const wrong: string[] = [];
    for (const op of protectedOps()) {
      const token = op.access === 'admin' ? w.a.accessToken : admins.superadmin!;
      const response = await call(op, requestOf(op), token);
      if (response.status !== 401 || response.body.code !== ErrorCode.TOKEN_INVALID)
        wrong.push(`${op.key}: ${describeResponse(response)}`);
    }
    expect(wrong).to.deep.equal([]);
  });

  it('refuses a bot token, even one holding every scope, on every chat route that names no scope (10122)', async () => {
    const wrong: string[] = [];
    const chatOps = protectedOps().filter((op) => op.access === 'user');
    expect(chatOps.filter((op) => op.botScope).length, 'some routes are open to bots').to.be.greaterThan(5);
    for (const op of chatOps) {
      const response = await call(op, requestOf(op), w.bot.token);
      const scopeRefused = response.status === 403 && response.body.code === ErrorCode.TOKEN_SCOPE_MISSING;
      if (scopeRefused === Boolean(op.botScope)) wrong.push(`${op.key}: ${describeResponse(response)}`);
    }
    expect(wrong).to.deep.equal([]);
  });

  it("refuses admins whose role lacks the route's permission (120103)", async () => {
    const wrong: string[] = [];
    const withPermission = operations.filter((op) => op.access === 'admin' && op.permission);
    expect(withPermission.length).to.be.greaterThan(10);
    for (const op of withPermission) {
      for (const role of BUILT_IN_ROLES.filter(
        (r) => !(r.permissions as readonly string[]).includes(op.permission!),
      )) {
        const response = await call(op, requestOf(op), admins[role.name]);
        const expected = refusal(ErrorCode.ADMIN_FORBIDDEN);
        if (response.status !== expected.status || response.body.code !== expected.code)
          wrong.push(`${op.key} as ${role.name}: ${describeResponse(response)}`);
      }
    }
    expect(wrong).to.deep.equal([]);
  });

  it('lets public routes be called without a token', async () => {
    for (const op of operations.filter((o) => o.access === 'public')) {
      const response = await call(op, requestOf(op), undefined);
      expect(response.status, `${op.key}: ${describeResponse(response)}`).to.be.below(500);
      expect(response.body.code, op.key).to.not.be.oneOf([
        ErrorCode.UNAUTHENTICATED,
        ErrorCode.TOKEN_INVALID,
      ]);
    }
  });

  it("keeps a's things from everyone a did not give them to, on every chat route", async () => {
    const callers: Record<Exclude<CallerKind, 'fresh'>, User> = {
      stranger: w.b,
      member: w.m,
      groupAdmin: w.k,
      blocked: w.x,
    };
    const wrong: string[] = [];
    const run = async (op: Operation, check: Check) => {
      const caller = check.as === 'fresh' ? await registerUser(platform.api) : callers[check.as];
      const request = check.request(w);
      const response = await call(op, request, caller.accessToken);
      const label = `${op.key} as ${check.as} ${JSON.stringify(request)}`;
      if ('allowed' in check.expect) {
        if (response.status !== 200)
          wrong.push(`${label}: allowed (${check.expect.allowed}), got ${describeResponse(response)}`);
        // m is in a's group and sees what members see; the others see nothing of a's.
        const secrets =
          check.as === 'member' || check.as === 'groupAdmin'
            ? []
            : [SECRET, w.aSecondDevice, `web-${w.a.account}`];
        const leaked = secrets.filter((s) => JSON.stringify(response.body.data).includes(s));
        if (leaked.length > 0) wrong.push(`${label}: shows a's ${leaked.join(', ')}`);
      } else if (response.status !== check.expect.status || response.body.code !== check.expect.code) {
        wrong.push(
          `${label}: expected ${check.expect.status} ${check.expect.code}, got ${describeResponse(response)}`,
        );
      }
    };
    for (const op of operations) {
      const entry = ROUTE_CASES[op.key];
      if (!entry || !('checks' in entry)) continue;
      for (const check of entry.checks) await run(op, check);
    }
    expect(wrong).to.deep.equal([]);
  });

  describe('WebSocket', () => {
    const sockets: WsClient[] = [];
    let wsA: WsClient;
    let wsM: WsClient;
    let wsB: WsClient;
    let wsX: WsClient;
    /** A message b1 sent b before b connected: b's acknowledgement of it shows when receipts are in. */
    let fromB1: string;

    before(async () => {
      fromB1 = (
        await platform.api.ok<{ messageId: string }>('POST', '/api/v1/messages', {
          token: w.b1.accessToken,
          body: {
            sessionType: 'single',
            targetId: w.b.userId,
            contentType: 'text',
            content: 'hi b',
            clientMsgId: clientMsgId(),
          },
        })
      ).messageId;
      for (const user of [w.a, w.m, w.b, w.x])
        sockets.push(await WsClient.connect(platform.host.url, user.accessToken));
      [wsA, wsM, wsB, wsX] = sockets as [WsClient, WsClient, WsClient, WsClient];
    });

    after(async () => {
      await Promise.all(sockets.map((ws) => ws.close()));
    });

    it('refuses connections without a token, with a bad one and with an admin token', async () => {
      const refusedWith = async (token: string) => {
        const ws = WsClient.open(platform.host.url, token);
        const first = await ws.next((f) => f.type === 'CONNECT_ERROR' || f.type === 'CONNECT_ACK');
        await ws.closed();
        return first;
      };
      expect((await refusedWith('')).data.code).to.equal(ErrorCode.UNAUTHENTICATED);
      for (const token of [
        'not-a-token',
        unsigned(w.a.accessToken),
        swappedClaims(w.a.accessToken, w.b.accessToken),
        admins.superadmin!,
      ]) {
        const first = await refusedWith(token);
        expect(first.type, token).to.equal('CONNECT_ERROR');
        expect(first.data.code, token).to.equal(ErrorCode.TOKEN_INVALID);
      }
    });

    const answerTo = (ws: WsClient, msgId: string) =>
      ws.next((f) => (f.type === 'ERROR' || f.type === 'SEND_ACK') && f.msgId === msgId);
    /** Frames that come from b or x (presence aside: a's group and a may see who is online). */
    const fromOutsiders = (f: Frame) =>
      [w.b.userId, w.x.userId].some((id) => JSON.stringify(f).includes(id)) &&
      !['CONNECT_ACK', 'USER_ONLINE', 'USER_OFFLINE'].includes(f.type);

    /** Every frame type a client may send, as someone without a claim to what it names. */
    const FRAME_CASES: Record<(typeof FRAME_TYPES)[number], () => Promise<void>> = {
      PING: async () => {
        const mark = wsB.frames.length;
        wsB.send({ type: 'PING' });
        await wsB.next((f) => f.type === 'PONG', 5000, mark);
      },
      SEND_MESSAGE: async () => {
        const toA = await wsB.sendMessage(w.a.userId, 'hi');
        expect([toA.type, toA.data.code]).to.deep.equal(['ERROR', ErrorCode.MESSAGE_NOT_FRIEND]);
        const msgId = clientMsgId();
        wsB.send({
          type: 'SEND_MESSAGE',
          msgId,
          data: {
            sessionType: 'group',
            targetId: w.group.groupId,
            contentType: 'text',
            content: 'hi',
          },
        });
        const toGroup = await answerTo(wsB, msgId);
        expect([toGroup.type, toGroup.data.code]).to.deep.equal(['ERROR', ErrorCode.GROUP_NOT_MEMBER]);
      },
      MESSAGE_ACK: async () => {
        // b acknowledges a's messages along with one of its own: only its own counts as delivered.
        wsB.send({
          type: 'MESSAGE_ACK',
          data: { messageIds: [w.single.messageId, w.group.messageId, fromB1] },
        });
        await eventually('b1 sees its message delivered', async () => {
          const { messages } = await platform.api.ok<{
            messages: Array<{ messageId: string; status: string }>;
          }>('GET', `/api/v1/messages/history?sessionId=${singleSessionId(w.b.userId, w.b1.userId)}`, {
            token: w.b1.accessToken,
          });
          return messages.find((m) => m.messageId === fromB1)?.status === 'delivered';
        });
        const { messages } = await platform.api.ok<{
          messages: Array<{ messageId: string; status: string }>;
        }>('GET', `/api/v1/messages/history?sessionId=${w.single.sessionId}`, { token: w.a.accessToken });
        expect(messages.find((m) => m.messageId === w.single.messageId)?.status).to.equal('sent');
      },
      TYPING: async () => {
        for (const [sessionId, sessionType] of [
          [w.single.sessionId, 'single'],
          [w.group.sessionId, 'group'],
        ] as const) {
          const msgId = clientMsgId();
          wsB.send({ type: 'TYPING', msgId, data: { sessionId, sessionType } });
          const answer = await wsB.next((f) => f.type === 'ERROR' && f.msgId === msgId);
          expect(answer.data.code, sessionId).to.equal(ErrorCode.FORBIDDEN);
        }
        // b is in its own conversation with a, but not a's friend: a stranger cannot make a see it typing.
        const msgId = clientMsgId();
        const withA = singleSessionId(w.a.userId, w.b.userId);
        wsB.send({ type: 'TYPING', msgId, data: { sessionId: withA, sessionType: 'single' } });
        const answer = await wsB.next((f) => f.type === 'ERROR' && f.msgId === msgId);
        expect(answer.data.code, withA).to.equal(ErrorCode.MESSAGE_NOT_FRIEND);
        // Someone a blacklisted is not told, and a sees nothing (checked below with b's frames).
        wsX.send({
          type: 'TYPING',
          data: { sessionId: singleSessionId(w.a.userId, w.x.userId), sessionType: 'single' },
        });
      },
      SYNC: async () => {
        const mark = wsB.frames.length;
        wsB.send({ type: 'SYNC', data: { syncSeq: 0 } });
        await wsB.next((f) => f.type === 'SYNC_COMPLETE', 5000, mark);
        expect(JSON.stringify(wsB.frames.slice(mark)), "b's timeline").to.not.include(SECRET);
      },
    };

    it('has a case for every client frame type', () => {
      expect(Object.keys(FRAME_CASES).sort()).to.deep.equal([...FRAME_TYPES].sort());
    });

    for (const type of FRAME_TYPES) {
      it(`${type}: refuses or ignores what the sender has no claim to`, async () => {
        await FRAME_CASES[type]();
      });
    }

    it("delivered nothing of b's or x's to a or a's group", async () => {
      // The refusals above are answered before anything could be routed; give stray frames a moment.
      await sleep(300);
      expect(wsA.frames.filter(fromOutsiders), 'frames at a').to.deep.equal([]);
      expect(wsM.frames.filter(fromOutsiders), 'frames at m').to.deep.equal([]);
    });
  });

  // Child suites run after the tests above: this one runs last.
  describe('afterwards', () => {
    it("left a's things as they were", async () => {
      const after_ = await snapshot();
      for (const key of Object.keys(before_)) expect(after_[key], key).to.deep.equal(before_[key]);
    });
  });
});
