import { expect } from 'chai';
import { ErrorCode } from '../../services/platform/errors.ts';
import { registerUser, uniqueAccount } from '../support/api-client.ts';
import { forEachBackend } from '../support/platform.ts';

interface Profile {
  userId: string;
  nickname: string;
  avatar: string | null;
  signature: string | null;
  gender: number;
  birthday?: string | null;
  region: string | null;
  phone?: string | null;
  email?: string | null;
  qrcodeUrl?: string | null;
}

forEachBackend('users over HTTP', (platform) => {
  const api = () => platform().api;

  it('edits my profile field by field and shows it to others without private fields', async () => {
    const email = `${uniqueAccount('p')}@example.com`;
    const alice = await registerUser(api(), { nickname: 'Alice', email });
    const bob = await registerUser(api());
    const updated = await api().ok<Profile>('PUT', '/api/v1/users/me', {
      token: alice.accessToken,
      body: {
        signature: 'hello',
        gender: 2,
        birthday: '1995-04-01',
        region: 'Shanghai',
        avatar: 'https://cdn.example.com/a.png',
      },
    });
    expect(updated).to.include({
      nickname: 'Alice',
      signature: 'hello',
      gender: 2,
      birthday: '1995-04-01',
      region: 'Shanghai',
      email,
    });
    await api().ok('PUT', '/api/v1/users/me', { token: alice.accessToken, body: { nickname: 'Alice W' } });
    const seen = await api().ok<Profile>('GET', `/api/v1/users/${alice.userId}`, { token: bob.accessToken });
    expect(seen).to.include({
      userId: alice.userId,
      nickname: 'Alice W',
      signature: 'hello',
      region: 'Shanghai',
    });
    expect(seen).to.not.have.property('email');
    expect(seen).to.not.have.property('phone');
    expect(seen).to.not.have.property('birthday');
  });

  it('validates each profile field with a message naming it', async () => {
    const user = await registerUser(api());
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ gender: 5 }, 'body.gender'],
      [{ birthday: '2999-01-01' }, 'body.birthday'],
      [{ birthday: '1990-02-30' }, 'body.birthday'],
      [{ nickname: '' }, 'body.nickname'],
      [{ nickname: 'x'.repeat(33) }, 'body.nickname'],
      [{ avatar: 'javascript:alert(1)' }, 'body.avatar'],
      [{ signature: 's'.repeat(201) }, 'body.signature'],
      [{}, 'body'],
    ];
    for (const [body, field] of cases) {
      const response = await api().call('PUT', '/api/v1/users/me', { token: user.accessToken, body });
      expect(response.status, JSON.stringify(body)).to.equal(400);
      expect(response.body.code).to.equal(ErrorCode.INVALID_PARAMS);
      expect(response.body.message).to.contain(field);
    }
    const blocked = await api().call('PUT', '/api/v1/users/me', {
      token: user.accessToken,
      body: { nickname: 'AnyChat Official' },
    });
    expect(blocked.body.code).to.equal(ErrorCode.NICKNAME_SENSITIVE);
    const me = await api().ok<Profile>('GET', '/api/v1/users/me', { token: user.accessToken });
    expect(me.nickname).to.equal(user.account); // nothing above was stored
  });

  it('searches by account, phone and e-mail exactly and by nickname in part, with paging', async () => {
    const tag = uniqueAccount('zz');
    const phoneNumber = `+86139${String(Date.now()).slice(-8)}`;
    const a = await registerUser(api(), { nickname: `${tag} one`, phoneNumber });
    const b = await registerUser(api(), { nickname: `${tag} two` });
    const byNick = await api().ok<{ total: number; users: Profile[] }>(
      'GET',
      `/api/v1/users/search?keyword=${tag}&pageSize=1`,
      {
        token: a.accessToken,
      },
    );
    expect(byNick.total).to.equal(2);
    expect(byNick.users).to.have.length(1);
    const page2 = await api().ok<{ users: Profile[] }>(
      'GET',
      `/api/v1/users/search?keyword=${tag}&pageSize=1&page=2`,
      {
        token: a.accessToken,
      },
    );
    expect([byNick.users[0]!.userId, page2.users[0]!.userId].sort()).to.deep.equal(
      [a.userId, b.userId].sort(),
    );
    const byAccount = await api().ok<{ users: Profile[] }>(
      'GET',
      `/api/v1/users/search?keyword=${b.account}`,
      { token: a.accessToken },
    );
    expect(byAccount.users.map((u) => u.userId)).to.include(b.userId);
    const byPhone = await api().ok<{ users: Profile[] }>(
      'GET',
      `/api/v1/users/search?keyword=${encodeURIComponent(phoneNumber)}`,
      {
        token: b.accessToken,
      },
    );
    expect(byPhone.users.map((u) => u.userId)).to.deep.equal([a.userId]);
    const partialPhone = await api().ok<{ total: number }>(
      'GET',
      `/api/v1/users/search?keyword=${phoneNumber.slice(0, 8)}`,
      {
        token: b.accessToken,
      },
    );
    expect(partialPhone.total).to.equal(0);
    const wildcard = await api().ok<{ total: number }>('GET', '/api/v1/users/search?keyword=%25', {
      token: a.accessToken,
    });
    expect(wildcard.total).to.equal(0); // % is a character, not a wildcard
  });

  it('reads and changes settings', async () => {
    const user = await registerUser(api());
    expect(await api().ok('GET', '/api/v1/users/settings', { token: user.accessToken })).to.deep.equal({
      friendVerify: true,
      notificationEnabled: true,
      language: 'en', // the platform's DEFAULT_LANGUAGE
      groupInvitePolicy: 'friends',
      dndStart: null,
      dndEnd: null,
      timeZone: 'UTC',
      pushPreview: true,
      pushMentionsWhenMuted: true,
    });
    const changed = await api().ok('PUT', '/api/v1/users/settings', {
      token: user.accessToken,
      body: {
        friendVerify: false,
        language: 'en',
        groupInvitePolicy: 'nobody',
        dndStart: '22:30',
        dndEnd: '07:00',
        timeZone: 'Asia/Shanghai',
        pushPreview: false,
      },
    });
    expect(changed).to.deep.equal({
      friendVerify: false,
      notificationEnabled: true,
      language: 'en',
      groupInvitePolicy: 'nobody',
      dndStart: '22:30',
      dndEnd: '07:00',
      timeZone: 'Asia/Shanghai',
      pushPreview: false,
      pushMentionsWhenMuted: true,
    });
    for (const body of [
      { friendVerify: 'no' },
      { groupInvitePolicy: 'strangers' },
      { dndStart: '25:00', dndEnd: '07:00' },
      { dndStart: '22:00' },
      { dndStart: null, dndEnd: '07:00' },
      { timeZone: 'Mars/Olympus' },
    ]) {
      const bad = await api().call('PUT', '/api/v1/users/settings', { token: user.accessToken, body });
      expect(bad.body.code).to.equal(ErrorCode.INVALID_PARAMS);
    }
  });

  it('issues a personal QR code that resolves to me, until it is refreshed', async () => {
    const alice = await registerUser(api(), { nickname: 'QR Alice' });
    const bob = await registerUser(api());
    const first = await api().ok<{ code: string; qrcodeUrl: string; expiresAt: string }>(
      'POST',
      '/api/v1/users/qrcode/refresh',
      {
        token: alice.accessToken,
      },
    );
    expect(Date.parse(first.expiresAt) - Date.now()).to.be.within(86_000_000, 86_500_000);
    const scanned = await api().ok<Profile>('GET', `/api/v1/users/qrcode/${first.code}`, {
      token: bob.accessToken,
    });
    expect(scanned).to.include({ userId: alice.userId, nickname: 'QR Alice' });
    const me = await api().ok<Profile>('GET', '/api/v1/users/me', { token: alice.accessToken });
    expect(me.qrcodeUrl).to.equal(first.qrcodeUrl);
    const second = await api().ok<{ code: string }>('POST', '/api/v1/users/qrcode/refresh', {
      token: alice.accessToken,
    });
    const stale = await api().call('GET', `/api/v1/users/qrcode/${first.code}`, { token: bob.accessToken });
    expect(stale.body.code).to.equal(ErrorCode.QRCODE_INVALID);
    await api().ok('GET', `/api/v1/users/qrcode/${second.code}`, { token: bob.accessToken });
    const unknown = await api().call('GET', '/api/v1/users/qrcode/AAAAAAAAAAAAAAAAAAAAAAAA', {
      token: bob.accessToken,
    });
    expect(unknown.status).to.equal(404);
    expect(unknown.body.code).to.equal(ErrorCode.QRCODE_INVALID);
  });

  it('stores, lists and revokes the push registrations of my devices', async () => {
    const user = await registerUser(api());
    const apnsToken = 'a1'.repeat(32);
    await api().ok('POST', '/api/v1/users/push-token', {
      token: user.accessToken,
      body: { pushToken: apnsToken, platform: 'iOS' },
    });
    await api().ok('POST', '/api/v1/users/push-token', {
      token: user.accessToken,
      body: { pushToken: 'b2'.repeat(32), platform: 'iOS', language: 'en' },
    });
    const { registrations } = await api().ok<{ registrations: Array<Record<string, unknown>> }>(
      'GET',
      '/api/v1/users/push-tokens',
      { token: user.accessToken },
    );
    expect(registrations).to.have.length(1);
    expect(registrations[0]).to.include({
      deviceId: `web-${user.account}`,
      provider: 'apns',
      language: 'en',
    });
    expect(registrations[0]).not.to.have.property('pushToken');
    const other = await registerUser(api());
    const notMine = await api().ok<{ removed: boolean }>(
      'DELETE',
      `/api/v1/users/push-tokens/web-${user.account}`,
      {
        token: other.accessToken,
      },
    );
    expect(notMine.removed).to.equal(false);
    const revoked = await api().ok<{ removed: boolean }>(
      'DELETE',
      `/api/v1/users/push-tokens/web-${user.account}`,
      {
        token: user.accessToken,
      },
    );
    expect(revoked.removed).to.equal(true);
    expect(
      (
        await api().ok<{ registrations: unknown[] }>('GET', '/api/v1/users/push-tokens', {
          token: user.accessToken,
        })
      ).registrations,
    ).to.deep.equal([]);

    const bad = await api().call('POST', '/api/v1/users/push-token', {
      token: user.accessToken,
      body: { pushToken: 'x', platform: 'Symbian' },
    });
    expect(bad.body.code).to.equal(ErrorCode.INVALID_PARAMS);
    expect(bad.body.message).to.contain('body.platform');
    for (const body of [
      { pushToken: 'apns-token-123456', platform: 'iOS' },
      { pushToken: '{"endpoint":"ftp://x","keys":{}}', platform: 'Web' },
    ]) {
      const refused = await api().call('POST', '/api/v1/users/push-token', { token: user.accessToken, body });
      expect(refused.status, JSON.stringify(body)).to.equal(400);
      expect(refused.body.code).to.equal(ErrorCode.PUSH_TOKEN_INVALID);
    }
  });

  it('answers 404 with its code for unknown users', async () => {
    const user = await registerUser(api());
    const response = await api().call('GET', '/api/v1/users/123456789012345678', { token: user.accessToken });
    expect(response.status).to.equal(404);
    expect(response.body.code).to.equal(ErrorCode.USER_UNKNOWN);
  });
});
