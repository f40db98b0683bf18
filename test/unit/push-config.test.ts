import { expect } from 'chai';
import { loadPushConfig } from '../../services/platform/push-config.ts';

describe('push settings', () => {
  it('has working defaults: Web Push only, three tries', () => {
    const config = loadPushConfig({});
    expect(config).to.deep.include({
      vapid: undefined,
      fcm: undefined,
      apns: undefined,
      webhooks: [],
      maxAttempts: 3,
    });
  });

  it('refuses half-given credentials, bad JSON and taken provider names, naming the setting', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ PUSH_VAPID_PUBLIC_KEY: 'BA' }, /PUSH_VAPID_PUBLIC_KEY and PUSH_VAPID_PRIVATE_KEY/],
      [{ PUSH_APNS_KEY: 'k', PUSH_APNS_KEY_ID: 'K1' }, /PUSH_APNS_KEY, PUSH_APNS_KEY_ID/],
      [{ PUSH_FCM_SERVICE_ACCOUNT: '{not json' }, /PUSH_FCM_SERVICE_ACCOUNT: not JSON/],
      [{ PUSH_FCM_SERVICE_ACCOUNT: '{"project_id":"p"}' }, /PUSH_FCM_SERVICE_ACCOUNT: client_email/],
      [{ PUSH_WEBHOOK_PROVIDERS: '[{"name":"fcm","url":"https://relay"}]' }, /the name fcm is taken/],
      [
        { PUSH_WEBHOOK_PROVIDERS: '[{"name":"Bad Name","url":"https://relay"}]' },
        /PUSH_WEBHOOK_PROVIDERS: 0.name/,
      ],
      [{ PUSH_VAPID_SUBJECT: 'ops@example.com' }, /PUSH_VAPID_SUBJECT: must be a mailto: or https: URL/],
      [{ PUSH_MAX_ATTEMPTS: '0' }, /PUSH_MAX_ATTEMPTS/],
    ];
    for (const [env, message] of cases)
      expect(() => loadPushConfig(env), JSON.stringify(env)).to.throw(message);
  });

  it('reads a full provider setup', () => {
    const config = loadPushConfig({
      PUSH_FCM_SERVICE_ACCOUNT: JSON.stringify({
        project_id: 'p',
        client_email: 'push@p.iam.gserviceaccount.com',
        private_key: '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n',
      }),
      PUSH_APNS_KEY: '-----BEGIN PRIVATE KEY-----',
      PUSH_APNS_KEY_ID: 'K1',
      PUSH_APNS_TEAM_ID: 'T1',
      PUSH_APNS_TOPIC: 'io.app',
      PUSH_WEBHOOK_PROVIDERS: '[{"name":"jpush","url":"https://relay.example.com/push","token":"t"}]',
    });
    expect(config.fcm?.serviceAccount.token_uri).to.equal('https://oauth2.googleapis.com/token');
    expect(config.apns).to.deep.include({ keyId: 'K1', endpoint: 'https://api.push.apple.com' });
    expect(config.webhooks).to.deep.equal([
      { name: 'jpush', url: 'https://relay.example.com/push', token: 't' },
    ]);
  });
});
