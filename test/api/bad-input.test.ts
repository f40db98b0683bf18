import { expect } from 'chai';
import { ErrorCode } from '../../services/platform/errors.ts';
import { signedInAdmin } from '../support/admins.ts';
import { registerUser } from '../support/api-client.ts';
import { forEachBackend } from '../support/platform.ts';
import { fetchOperations, fillPath, type Operation } from '../support/route-table.ts';

forEachBackend('bad input on every route', (platform) => {
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
    ] as const;
    for (const [method, path] of probes) {
      const response = await api().call(method, path, { token: chatToken });
      expect(response.status, `${method} ${path}`).to.equal(400);
      expect(response.body.code).to.equal(ErrorCode.INVALID_PARAMS);
    }
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

  it('serves health, readiness and Prometheus metrics', async () => {
    expect((await fetch(`${api().baseUrl}/healthz`)).status).to.equal(200);
    expect((await fetch(`${api().baseUrl}/readyz`)).status).to.equal(200);
    const metrics = await (await fetch(`${api().baseUrl}/metrics`)).text();
    expect(metrics).to.contain('anychat_http_request_duration_seconds_bucket');
    expect(metrics).to.contain('route="/api/v1/users/:id"');
  });
});
