import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { ErrorCode } from '../../services/platform/errors.ts';
import { signedInAdmin } from '../support/admins.ts';
import { registerUser } from '../support/api-client.ts';
import { captureLogs } from '../support/log-capture.ts';
import { forEachBackend } from '../support/platform.ts';
import { fetchOperations, fillPath, type JsonSchema, type Operation } from '../support/route-table.ts';

/** Whether a property of a request schema is a string (possibly nullable). */
const isString = (schema: JsonSchema): boolean =>
  schema.type === 'string' ||
  ['anyOf', 'oneOf', 'allOf'].some((key) => (schema[key] as JsonSchema[] | undefined)?.some(isString));
/** Credentials are hashed or compared, never stored or shown: any string is theirs to hold. */
const isCredential = (name: string) => /password|token/i.test(name);
/** A string JSON cannot carry as UTF-8 text: half of a surrogate pair, written as its JSON escape. */
const LONE_SURROGATE = String.raw`"a\ud800b"`;

const logs = captureLogs('debug');

forEachBackend(
  'bad input on every route',
  (platform) => {
    const api = () => platform().api;
    let chatToken: string;
    let adminToken: string;
    let operations: Array<Operation & { path: string; hasBody: boolean }>;
    /** Admin routes take an admin token, the others a chat user's. */
    const tokenFor = (path: string) => (path.startsWith('/api/v1/admin/') ? adminToken : chatToken);

    before(async () => {
      chatToken = (await registerUser(api())).accessToken;
      adminToken = await signedInAdmin(platform(), 'probe', 'superadmin');
      // Path parameters get well-formed values that name nothing.
      operations = (await fetchOperations(api())).map((op) => ({
        ...op,
        path: fillPath(op.template),
        hasBody: op.body !== undefined,
      }));
      expect(operations.length).to.be.greaterThan(15);
    });

    it('answers malformed JSON with 000001 on every route that takes a body', async () => {
      for (const op of operations.filter((o) => o.hasBody)) {
        const response = await api().call(op.method, op.path, {
          token: tokenFor(op.path),
          rawBody: '{"account": "x",',
        });
        expect(response.status, `${op.method} ${op.path}`).to.equal(400);
        expect(response.body.code).to.equal(ErrorCode.INVALID_PARAMS);
        expect(response.body.message).to.match(/malformed JSON/);
        expect(response.body.traceId).to.be.a('string');
      }
    });

    it('answers wrong body types with 000001 naming the field', async () => {
      for (const op of operations.filter((o) => o.hasBody)) {
        for (const body of [[1, 2], 'text', 42]) {
          const response = await api().call(op.method, op.path, { token: tokenFor(op.path), body });
          expect(response.status, `${op.method} ${op.path} ${JSON.stringify(body)}`).to.equal(400);
          expect(response.body.code).to.equal(ErrorCode.INVALID_PARAMS);
        }
      }
    });

    it('answers missing required fields with 000001 naming each one', async () => {
      for (const op of operations.filter((o) => o.required.length > 0)) {
        const response = await api().call(op.method, op.path, { token: tokenFor(op.path), body: {} });
        expect(response.status, `${op.method} ${op.path}`).to.equal(400);
        expect(response.body.code).to.equal(ErrorCode.INVALID_PARAMS);
        for (const field of op.required)
          expect(response.body.message, `${op.path}`).to.contain(`body.${field}`);
      }
    });

    it('refuses bodies nested deeper than 32 levels with 000001 on every route that takes a body', async () => {
      // 3,000 levels, in 6 KB: deep enough to exhaust the stack of recursive schema checks.
      const deep = `{"value":${'['.repeat(3000)}${']'.repeat(3000)}}`;
      for (const op of operations.filter((o) => o.hasBody)) {
        const response = await api().call(op.method, op.path, { token: tokenFor(op.path), rawBody: deep });
        expect(response.status, `${op.method} ${op.path}`).to.equal(400);
        expect(response.body.code).to.equal(ErrorCode.INVALID_PARAMS);
        expect(response.body.message).to.match(/nests deeper than 32 levels/);
      }
    });

    it('refuses oversize bodies with 413 before parsing them', async () => {
      const huge = JSON.stringify({ padding: 'x'.repeat(100 * 1024) });
      for (const op of operations.filter((o) => o.hasBody)) {
        const response = await api().call(op.method, op.path, { token: tokenFor(op.path), rawBody: huge });
        expect(response.status, `${op.method} ${op.path}`).to.equal(413);
        expect(response.body.code).to.equal(ErrorCode.PAYLOAD_TOO_LARGE);
      }
    });

    it('never answers 500 to wrong query and path values', async () => {
      const probes = [
        ['GET', '/api/v1/users/not-a-number'],
        ['GET', '/api/v1/users/99999999999999999999999'],
        ['GET', '/api/v1/users/search'],
        ['GET', '/api/v1/users/search?keyword=a&page=0'],
        ['GET', '/api/v1/users/search?keyword=a&pageSize=1000'],
        ['GET', '/api/v1/users/search?keyword=a&page=abc'],
        ['GET', '/api/v1/users/qrcode/%00%00'],
        ['DELETE', `/api/v1/auth/devices/${'x'.repeat(101)}`],
        // Times outside what the database holds (year 0, before year 1, after 9999, beyond any Date).
        ['GET', '/api/v1/messages/search?endTime=253402300800000'],
        ['GET', '/api/v1/messages/search?startTime=100000000000000000'],
        ['GET', '/api/v1/messages/search?startTime=0000-01-01T00:00:00Z'],
        ['GET', '/api/v1/admin/audit?since=0000-01-01'],
        ['GET', '/api/v1/admin/audit?since=999999d'],
      ] as const;
      for (const [method, path] of probes) {
        const response = await api().call(method, path, { token: tokenFor(path) });
        expect(response.status, `${method} ${path}`).to.equal(400);
        expect(response.body.code).to.equal(ErrorCode.INVALID_PARAMS);
      }
    });

    it("takes a search keyword of digits past an id's range as text (admin group search)", async () => {
      // 2^63: the digits of an id, but no bigint; it used to reach PostgreSQL as an id (500).
      const response = await api().call('GET', '/api/v1/admin/groups?keyword=9223372036854775808', {
        token: adminToken,
      });
      expect(response.status).to.equal(200);
      expect(response.body.data).to.include({ total: 0 });
    });

    it('answers unknown routes and methods with the envelope', async () => {
      const unknown = await api().call('GET', '/api/v1/nothing-here');
      expect(unknown.status).to.equal(404);
      expect(unknown.body.code).to.equal(ErrorCode.NOT_FOUND);
      const wrongMethod = await api().call('PATCH', '/api/v1/auth/login', { body: {} });
      expect(wrongMethod.status).to.equal(404);
      expect(wrongMethod.body.code).to.equal(ErrorCode.NOT_FOUND);
    });

    it('localizes messages by Accept-Language', async () => {
      const zh = await api().call('GET', '/api/v1/users/me', {
        headers: { 'accept-language': 'zh-CN,zh;q=0.9' },
      });
      expect(zh.body.message).to.equal('未认证: missing bearer access token');
      const en = await api().call('GET', '/api/v1/users/me');
      expect(en.body.message).to.match(/^Authentication required/);
    });

    it('refuses a lone surrogate or NUL in every text field of every body with 000001 naming the field', async () => {
      let checked = 0;
      for (const op of operations.filter((o) => o.hasBody)) {
        const properties = (op.body?.properties ?? {}) as Record<string, JsonSchema>;
        for (const [field, schema] of Object.entries(properties)) {
          if (!isString(schema) || isCredential(field)) continue;
          for (const value of [LONE_SURROGATE, '"a\\u0000b"']) {
            const response = await api().call(op.method, op.path, {
              token: tokenFor(op.path),
              rawBody: `{"${field}": ${value}}`,
            });
            const where = `${op.method} ${op.path} ${field}=${value}`;
            expect(response.status, where).to.equal(400);
            expect(response.body.code, where).to.equal(ErrorCode.INVALID_PARAMS);
            expect(response.body.message, where).to.contain(`body.${field}`);
            checked++;
          }
        }
      }
      expect(checked).to.be.greaterThan(40);
    });

    it('refuses NUL in every text query parameter with 000001 naming it', async () => {
      let checked = 0;
      for (const op of operations) {
        for (const parameter of op.parameters.filter((p) => p.in === 'query' && isString(p.schema))) {
          const response = await api().call(op.method, `${op.path}?${parameter.name}=a%00b`, {
            token: tokenFor(op.path),
            ...(op.hasBody ? { body: {} } : {}),
          });
          const where = `${op.method} ${op.path}?${parameter.name}`;
          expect(response.status, where).to.equal(400);
          expect(response.body.code, where).to.equal(ErrorCode.INVALID_PARAMS);
          expect(response.body.message, where).to.contain(`query.${parameter.name}`);
          checked++;
        }
      }
      expect(checked).to.be.greaterThan(5);
    });

    it('answers bodies with __proto__ or constructor.prototype keys with 000001 on every route, logging no error', async () => {
      const before = logs.records.length;
      const bodies = [
        '{"__proto__": {"admin": true}}',
        '{"a": [{"__proto__": {"admin": true}}]}',
        '{"constructor": {"prototype": {"admin": true}}}',
      ];
      for (const op of operations.filter((o) => o.hasBody)) {
        for (const rawBody of bodies) {
          const response = await api().call(op.method, op.path, { token: tokenFor(op.path), rawBody });
          expect(response.status, `${op.method} ${op.path} ${rawBody}`).to.equal(400);
          expect(response.body.code).to.equal(ErrorCode.INVALID_PARAMS);
        }
      }
      expect({}).not.to.have.property('admin');
      const errors = logs.records.slice(before).filter((record) => record.level >= 40);
      expect(errors.map((record) => record.msg)).to.deep.equal([]);
    });

    it('answers a body that is not the gzip it claims to be with 000001, and reads one that is', async () => {
      const before = logs.records.length;
      const headers = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
      const login = `${api().baseUrl}/api/v1/auth/login`;
      const broken = await fetch(login, { method: 'POST', headers, body: '{"account": "x"}' });
      expect(broken.status).to.equal(400);
      expect(((await broken.json()) as { code: number }).code).to.equal(ErrorCode.INVALID_PARAMS);
      const truncated = await fetch(login, {
        method: 'POST',
        headers,
        body: gzipSync('{"account": "x"}').subarray(0, 12),
      });
      expect(truncated.status).to.equal(400);
      const unknown = await fetch(login, {
        method: 'POST',
        headers: { ...headers, 'content-encoding': 'zstd-nope' },
        body: '{}',
      });
      expect(unknown.status).to.equal(400);
      const valid = await fetch(login, { method: 'POST', headers, body: gzipSync('{"account": "x"}') });
      const answer = (await valid.json()) as { code: number; message: string };
      expect(answer.code).to.equal(ErrorCode.INVALID_PARAMS);
      expect(answer.message).to.contain('body.password');
      // The client's mistakes are not the server's errors: no error lines, no stacks.
      const logged = logs.records.slice(before);
      expect(logged.filter((record) => record.level >= 40).map((record) => record.msg)).to.deep.equal([]);
      expect(JSON.stringify(logged)).not.to.contain('stack');
    });

    it('serves health and readiness on the API port, and Prometheus metrics only on the metrics port', async () => {
      expect((await fetch(`${api().baseUrl}/healthz`)).status).to.equal(200);
      expect((await fetch(`${api().baseUrl}/readyz`)).status).to.equal(200);
      const onApiPort = await api().call('GET', '/metrics');
      expect(onApiPort.status).to.equal(404);
      expect(onApiPort.body.code).to.equal(ErrorCode.NOT_FOUND);
      const metricsUrl = platform().host.metricsUrl;
      expect(metricsUrl).to.be.a('string');
      expect(new URL(metricsUrl!).port).not.to.equal(new URL(api().baseUrl).port);
      const metrics = await (await fetch(metricsUrl!)).text();
      expect(metrics).to.contain('anychat_http_request_duration_seconds_bucket');
      expect(metrics).to.contain('route="/api/v1/users/:id"');
      expect((await fetch(new URL('/api/v1/users/me', metricsUrl))).status).to.equal(404);
    });
  },
  { METRICS_PORT: '0' },
  { logger: logs.logger },
);
