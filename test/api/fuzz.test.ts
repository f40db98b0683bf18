import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import fc from 'fast-check';
import { z } from 'zod';
import { ClientFrame, encodeClientFrame } from '../../services/gateway/protocol/index.ts';
import { CONTENT_TYPES } from '../../services/message/domain/content.ts';
import { codeInfo, ErrorCode } from '../../services/platform/errors.ts';
import { ADMIN_PASSWORD, signedInAdmin } from '../support/admins.ts';
import type { ApiResponse } from '../support/api-client.ts';
import { requirePostgres } from '../support/backends.ts';
import {
  badlyEncoded,
  fuzzedValue,
  hostileString,
  nastyText,
  type Pool,
  PROTOTYPE_KEYS,
  percentEncode,
  type Transport,
  transport,
  urlPiece,
} from '../support/fuzz.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';
import { fetchOperations, type JsonSchema, type Operation } from '../support/route-table.ts';
import { buildWorld, type World } from '../support/world.ts';
import { clientMsgId, ENCODINGS, type Encoding, type Frame, WsClient } from '../support/ws-client.ts';

/**
 * Property-based fuzzing of every route and client frame, with inputs derived from their schemas.
 * The invariant: a 4xx with a business code (an ERROR frame with one on the WebSocket), never a
 * 5xx, never a crash; and afterwards the user's earlier messages still sync. Bounded in runs and
 * time; the seed is printed, and FUZZ_SEED=<seed> replays a run.
 */

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS_PER_ROUTE = Number(process.env.FUZZ_RUNS_PER_ROUTE ?? 25);
const FRAME_RUNS = Number(process.env.FUZZ_FRAME_RUNS ?? 600);
/** The gateway's frame limit on the fuzzed platform (GATEWAY_MAX_FRAME_BYTES). */
const MAX_FRAME_BYTES = 64 * 1024;
/** Seconds the frames may take, and all routes together, shrinking failures included. */
const FRAME_SECONDS = Number(process.env.FUZZ_FRAME_SECONDS ?? 15);
const ROUTE_SECONDS = Number(process.env.FUZZ_ROUTE_SECONDS ?? 60);
/** The time a route gets when its share ran out before its first request was answered. */
const UNHURRIED_ROUTE_MS = 15_000;

/** What a protected route answers once a fuzzed call (logout, a kicked device) ended the caller's session. */
const SIGNED_OUT: number[] = [ErrorCode.TOKEN_INVALID, ErrorCode.TOKEN_EXPIRED];

interface FuzzRequest {
  path: string;
  transport: Transport | undefined;
}

const clip = (text: string, max = 600) =>
  text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;

/** What every answer must be: the envelope; a 4xx carries a business code; never a 5xx. */
function answerFault(response: ApiResponse): string | undefined {
  const { status, body } = response;
  if (status >= 500) return `answered ${status}: ${JSON.stringify(body)}`;
  if (typeof body?.code !== 'number' || typeof body.message !== 'string' || typeof body.traceId !== 'string')
    return `answered ${status} without the envelope: ${clip(JSON.stringify(body))}`;
  if (status >= 400 && body.code === 0) return `answered ${status} with code 0`;
  if (status < 300 && body.code !== 0) return `answered ${status} with code ${body.code}`;
  return undefined;
}

/** The request arbitrary of one operation: path values, a query string and a body. */
function requests(op: Operation, pool: Pool): fc.Arbitrary<FuzzRequest> {
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  // A path value is named by the segment before it (`groups.id`, `members.userId`): pools know which things fit.
  const segments = op.template.split('/');
  const segmentBefore = (name: string) => segments[segments.indexOf(`{${name}}`) - 1];
  const path = fc
    .tuple(...pathParams.map((p) => urlPiece(p.schema, pool, `${segmentBefore(p.name)}.${p.name}`)))
    .map((pieces) => {
      let i = 0;
      return op.template.replace(/\{[A-Za-z0-9_]+\}/g, () => pieces[i++] ?? '');
    });
  const pair = (name: string, schema: JsonSchema) =>
    urlPiece(schema, pool, name).map((value) => `${percentEncode(name)}=${value}`);
  const query = fc
    .tuple(
      fc.tuple(...queryParams.map((p) => fc.option(pair(p.name, p.schema), { freq: p.required ? 8 : 2 }))),
      // Extra and repeated keys, prototype keys, keys in broken encodings.
      fc.array(
        fc.oneof(
          fc.constantFrom(...PROTOTYPE_KEYS).chain((key) => pair(key, {})),
          queryParams.length > 0
            ? fc.constantFrom(...queryParams).chain((p) => pair(p.name, p.schema))
            : pair('x', {}),
          fc.tuple(badlyEncoded, badlyEncoded).map(([k, v]) => `${k}=${v}`),
          hostileString.map((s) => `${percentEncode(s.slice(0, 200))}[x]=1`),
        ),
        { maxLength: 2 },
      ),
    )
    .map(([known, extra]) => [...known.filter((p): p is string => p !== null), ...extra].join('&'));
  const body = op.body ? transport(fuzzedValue(op.body, pool)) : fc.constant(undefined);
  return fc.record({ path, query, body }).map(({ path: p, query: q, body: b }) => ({
    path: q ? `${p}?${q}` : p,
    transport: b,
  }));
}

describe('fuzzing every route and client frame [postgresql]', function () {
  this.timeout(300_000);
  let platform: TestPlatform;
  let w: World;
  let operations: Operation[];
  let chatToken: string;
  let adminToken: string;
  let codeSender: Server;
  /** Messages sent before the fuzzing (none of their ids is given to it): they must still sync. */
  const witnesses: { single: string[]; group: string[] } = { single: [], group: [] };

  const signIn = async () =>
    (
      await platform.api.ok<{ accessToken: string }>('POST', '/api/v1/auth/login', {
        body: {
          account: w.a.account,
          password: w.a.password,
          deviceType: 'Web',
          deviceId: `web-${w.a.account}`,
        },
      })
    ).accessToken;
  const signInAdmin = async () =>
    (
      await platform.api.ok<{ token: string }>('POST', '/api/v1/admin/auth/login', {
        body: { username: 'fuzzer', password: ADMIN_PASSWORD },
      })
    ).token;

  /** Sends a fuzzed request as a (chat routes) or a superadmin (admin routes); signs in again when a fuzzed call signed them out. */
  async function send(op: Operation, request: FuzzRequest): Promise<ApiResponse> {
    const attempt = () =>
      platform.api.call(op.method, request.path, {
        token: op.access === 'admin' ? adminToken : chatToken,
        ...(request.transport ? { rawBody: request.transport.body, headers: request.transport.headers } : {}),
      });
    const response = await attempt();
    const signedOut =
      op.access !== 'public' && response.status === 401 && SIGNED_OUT.includes(response.body.code);
    if (!signedOut) return response;
    if (op.access === 'admin') adminToken = await signInAdmin();
    else chatToken = await signIn();
    return attempt();
  }

  before(async function () {
    await requirePostgres(this);
    console.log(`      fuzz seed ${SEED} (replay with FUZZ_SEED=${SEED})`);
    // A code sender that takes every code: verification codes and password reset are switched on.
    codeSender = createServer((_, response) => response.writeHead(204).end());
    await new Promise<void>((resolve) => codeSender.listen(0, '127.0.0.1', resolve));
    platform = await startPlatform('postgresql', {
      GATEWAY_FRAMES_PER_SECOND: '10000',
      GATEWAY_MAX_FRAME_BYTES: String(MAX_FRAME_BYTES),
      // Fuzzed logins fail by the hundred from one address; the fuzzer must still sign in again.
      AUTH_LOGIN_MAX_FAILURES: '1000',
      AUTH_CODE_WEBHOOK_URL: `http://127.0.0.1:${(codeSender.address() as AddressInfo).port}/codes`,
    });
    w = await buildWorld(platform.api, { email: false });
    chatToken = w.a.accessToken;
    adminToken = await signedInAdmin(platform, 'fuzzer', 'superadmin');
    // Deletions last, so that the things the other routes name still exist when they are fuzzed.
    const rank = (op: Operation) => `${op.method === 'DELETE' ? 1 : 0} ${op.key}`;
    operations = (await fetchOperations(platform.api)).sort((x, y) => rank(x).localeCompare(rank(y)));
    const sendText = async (sessionType: 'single' | 'group', targetId: string, into: string[]) => {
      const ack = await platform.api.ok<{ messageId: string }>('POST', '/api/v1/messages', {
        token: w.a.accessToken,
        body: {
          sessionType,
          targetId,
          contentType: 'text',
          content: `witness ${into.length}`,
          clientMsgId: clientMsgId(),
        },
      });
      into.push(ack.messageId);
    };
    // In a conversation and a group whose ids the fuzzer is not given: a may clear or leave the others.
    const { groupId } = await platform.api.ok<{ groupId: string }>('POST', '/api/v1/groups', {
      token: w.a.accessToken,
      body: { name: 'witnesses', memberIds: [w.m.userId, w.f.userId] },
    });
    for (let i = 0; i < 4; i++) await sendText('single', w.m.userId, witnesses.single);
    for (let i = 0; i < 3; i++) await sendText('group', groupId, witnesses.group);
  });

  after(async () => {
    await platform?.stop();
    codeSender?.close();
  });

  /** Real things by the field (or path segment and parameter) that names them, in bodies, queries, paths and frames. */
  const named = () => ({
    'groups.id': [w.group.groupId],
    'friends.id': [w.f.userId, w.m.userId],
    'users.id': [w.f.userId, w.b.userId],
    'requests.id': [w.friendRequestId],
    'categories.id': [w.categoryId],
    'blacklist.id': [w.x.userId],
    'messages.id': [w.single.messageId, w.group.messageId, w.group.memberMessageId],
    'messages.msgId': [w.group.messageId, w.group.memberMessageId],
    'sessions.id': [w.single.sessionId, w.group.sessionId],
    'members.userId': [w.f.userId, w.m.userId],
    'admins.userId': [w.f.userId, w.m.userId],
    'join.reqId': [w.group.joinRequestId],
    'qrcode.code': [w.group.qrcode, w.userQrcode],
    'devices.deviceId': [w.aSecondDevice],
    contentType: ['text', 'text', ...CONTENT_TYPES],
    targetId: [w.f.userId, w.group.groupId],
    sessionId: [w.single.sessionId, w.group.sessionId],
    messageIds: [w.single.messageId, w.group.messageId],
    userId: [w.f.userId, w.m.userId, w.b.userId],
    // Sends are idempotent on these: a reused one would answer the first send again.
    msgId: [],
    clientMsgId: [],
  });
  /** a's things (the fuzzer may act on them as a), and things of others that an administrator may act on. */
  const chatPool = (): Pool => ({
    any: [
      w.f.userId,
      w.m.userId,
      w.b.userId,
      w.x.userId,
      w.single.sessionId,
      w.single.messageId,
      w.group.groupId,
      w.group.sessionId,
      w.group.messageId,
      w.group.memberMessageId,
      w.group.qrcode,
      w.group.joinRequestId,
      w.categoryId,
      w.friendRequestId,
      w.userQrcode,
      w.aSecondDevice,
    ],
    byField: named(),
  });
  // Administrators may ban, delete and dismiss: only what the witnesses do not depend on.
  const adminPool = (): Pool => ({
    any: [w.c.userId, w.x.userId, w.p.userId, w.bGroup.groupId, w.bGroup.messageId],
  });

  /**
   * A frame value as the encoding sends it: JSON text, or a binary ClientFrame where the value
   * maps onto one (else its JSON, as text, which a protobuf connection refuses).
   */
  const encoded = (value: unknown, encoding: Encoding): string | Uint8Array<ArrayBuffer> => {
    const json = JSON.stringify(value) ?? 'null';
    if (encoding === 'json' || typeof value !== 'object' || value === null || Array.isArray(value))
      return json;
    try {
      return new Uint8Array(encodeClientFrame(value as Record<string, unknown>));
    } catch {
      return json;
    }
  };

  // Frames first: the route fuzzing may delete a's friends and dismiss the group the sends go to.
  for (const encoding of ENCODINGS)
    it(`answers fuzzed client frames with an ERROR frame and a code, and keeps the connection (${encoding})`, async () => {
      const schema = z.toJSONSchema(ClientFrame, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
      const pool: Pool = { any: [w.f.userId, w.group.groupId], byField: named() };
      // One arbitrary per frame type; sends, which do the most, three times as often.
      const members = (schema.oneOf ?? schema.anyOf) as JsonSchema[];
      const typeOf = (member: JsonSchema) =>
        ((member.properties as Record<string, JsonSchema> | undefined)?.type?.const as string | undefined) ??
        '';
      const frame: fc.Arbitrary<string | Uint8Array<ArrayBuffer>> = fc.oneof(
        ...members.map((member) => ({
          weight: typeOf(member) === 'SEND_MESSAGE' ? 6 : 2,
          arbitrary: fuzzedValue(member, pool).map((v) => encoded(v, encoding)),
        })),
        // A send that passes the frame schema to someone who may receive it, with fuzzed text: the
        // message service's content rules, not the frame schema, answer it.
        {
          weight: 4,
          arbitrary: fc
            .tuple(fc.oneof(fc.string(), nastyText, hostileString), fc.boolean())
            .map(([content, toGroup]) =>
              encoded(
                {
                  type: 'SEND_MESSAGE',
                  msgId: clientMsgId(),
                  data: {
                    sessionType: toGroup ? 'group' : 'single',
                    targetId: toGroup ? w.group.groupId : w.f.userId,
                    contentType: 'text',
                    content,
                  },
                },
                encoding,
              ),
            ),
        },
        { weight: 1, arbitrary: hostileString },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => new Uint8Array(b)) },
      );
      let ws = await WsClient.connect(platform.host.url, chatToken, { encoding });
      const faults: string[] = [];
      /** ERROR frames must carry a code that is the client's fault (4xx), never a server fault. */
      const frameFaults = (frames: Frame[]) =>
        frames.flatMap((f) => {
          if (f.type !== 'ERROR') return [];
          if (typeof f.data?.code !== 'number') return [`ERROR without a code: ${JSON.stringify(f)}`];
          return codeInfo(f.data.code).status >= 500
            ? [`ERROR with a server fault: ${JSON.stringify(f)}`]
            : [];
        });
      const result = await fc.check(
        fc.asyncProperty(frame, async (sent) => {
          const mark = ws.frames.length;
          ws.ws.send(sent, { binary: typeof sent !== 'string' });
          ws.send({ type: 'PING' });
          const pong = await ws.next((f) => f.type === 'PONG', 5000, mark).catch(() => undefined);
          if (!pong) {
            const closed = ws.closeCode;
            chatToken = await signIn();
            ws = await WsClient.connect(platform.host.url, chatToken, { encoding });
            // Beyond four times the frame limit the socket closes with 1009 (message too big), by design.
            const size = typeof sent === 'string' ? Buffer.byteLength(sent) : sent.byteLength;
            if (closed === 1009 && size > MAX_FRAME_BYTES * 4) return;
            throw new Error(`no PONG after the frame (connection closed: ${closed ?? 'no'})`);
          }
          const found = frameFaults(ws.frames.slice(mark));
          if (found.length > 0) throw new Error(found.join('; '));
        }),
        {
          seed: SEED,
          numRuns: FRAME_RUNS,
          interruptAfterTimeLimit: FRAME_SECONDS * 1000,
          markInterruptAsFailure: false,
        },
      );
      if (result.failed)
        faults.push(
          `${encoding} frames (seed ${SEED}, path ${result.counterexamplePath}): ${clip(String(result.errorInstance), 400)}\n    frame: ${clip(JSON.stringify(result.counterexample?.[0]))}`,
        );
      // Answers to sends may come after the PONG; a device's sends are answered in order, so once a
      // last one is answered, so are they all. None of them may be a server fault either.
      await ws.sendMessage(w.m.userId, 'last');
      if (process.env.FUZZ_VERBOSE) {
        const answers: Record<string, number> = {};
        for (const { type, data } of ws.frames)
          answers[`${type}/${data?.code ?? ''}`] = (answers[`${type}/${data?.code ?? ''}`] ?? 0) + 1;
        console.log(`      frames: ${result.numRuns} runs ${JSON.stringify(answers)}`);
      }
      faults.push(...frameFaults(ws.frames));
      await ws.close();
      if (faults.length > 0) throw new Error(`fuzz seed ${SEED}:\n${faults.join('\n')}`);
    });

  it('answers fuzzed bodies, queries and path values on every route with a code, never a 5xx', async () => {
    const failures: string[] = [];
    const deadline = Date.now() + ROUTE_SECONDS * 1000;
    for (const [index, op] of operations.entries()) {
      const started = Date.now();
      // An equal share of the time left, so that a slow route cannot starve the ones after it.
      const share = Math.max(500, (deadline - started) / (operations.length - index));
      const statuses: Record<string, number> = {};
      const pool = op.access === 'admin' ? adminPool() : chatPool();
      const check = (timeLimit: number) =>
        fc.check(
          fc.asyncProperty(requests(op, pool), async (request) => {
            const response = await send(op, request);
            const seen = `${response.status}/${response.body?.code}`;
            statuses[seen] = (statuses[seen] ?? 0) + 1;
            const fault = answerFault(response);
            if (fault) throw new Error(fault);
          }),
          {
            seed: SEED + index,
            numRuns: RUNS_PER_ROUTE,
            interruptAfterTimeLimit: timeLimit,
            markInterruptAsFailure: false,
          },
        );
      let result = await check(share);
      // fast-check fails a check interrupted before its first run; on a loaded machine one request
      // can outlast a share, so the route gets one longer try rather than a failure that says nothing.
      if (result.failed && result.interrupted && result.counterexample === null)
        result = await check(UNHURRIED_ROUTE_MS);
      if (process.env.FUZZ_VERBOSE)
        console.log(
          `      ${op.key}: ${result.numRuns} runs in ${Date.now() - started} ms ${JSON.stringify(statuses)}`,
        );
      if (result.failed)
        failures.push(
          `${op.key} (seed ${SEED + index}, path ${result.counterexamplePath}): ${clip(String(result.errorInstance), 300)}\n    input: ${result.counterexample ? clip(JSON.stringify(result.counterexample[0])) : 'none (the failure came before a run completed)'}`,
        );
    }
    if (failures.length > 0) throw new Error(`fuzz seed ${SEED}:\n${failures.join('\n')}`);
  });

  it('left no trace on the prototypes of the process', () => {
    expect(Object.keys(Object.prototype)).to.deep.equal([]);
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
  });

  it("still syncs a's earlier messages, in order, to a and to the people they went to", async () => {
    expect((await fetch(`${platform.host.url}/healthz`)).status).to.equal(200);
    /** Message ids of a user's whole timeline, in order, over HTTP. */
    const offline = async (token: string) => {
      const ids: string[] = [];
      for (let lastSeq = 0; ; ) {
        const page = await platform.api.ok<{
          messages: Array<{ messageId: string }>;
          hasMore: boolean;
          nextSeq: number;
        }>('GET', `/api/v1/messages/offline?lastSeq=${lastSeq}&limit=500`, { token });
        ids.push(...page.messages.map((m) => m.messageId));
        if (!page.hasMore) return ids;
        lastSeq = page.nextSeq;
      }
    };
    const inOrder = (ids: string[], expected: string[]) => ids.filter((id) => expected.includes(id));
    const all = [...witnesses.single, ...witnesses.group];
    expect(inOrder(await offline(await signIn()), all), "a's timeline").to.deep.equal(all);
    expect(inOrder(await offline(w.m.accessToken), all), "m's timeline").to.deep.equal(all);
    expect(inOrder(await offline(w.f.accessToken), all), "f's timeline").to.deep.equal(witnesses.group);
    // And over the WebSocket, replayed from the start.
    const ws = await WsClient.connect(platform.host.url, w.m.accessToken, { syncSeq: 0 });
    const replayed = ws.messages().map((f) => f.data.messageId as string);
    await ws.close();
    expect(inOrder(replayed, all), "m's replay").to.deep.equal(all);
  });
});
