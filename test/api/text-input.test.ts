import { expect } from 'chai';
import { AdminTopics, UserTopics } from '../../services/platform/contracts/index.ts';
import { ErrorCode } from '../../services/platform/errors.ts';
import { signedInAdmin } from '../support/admins.ts';
import { type ApiClient, registerUser } from '../support/api-client.ts';
import { befriendAll, type User } from '../support/chat.ts';
import { eventually } from '../support/eventually.ts';
import { forEachBackend } from '../support/platform.ts';
import { clientMsgId } from '../support/ws-client.ts';

/** Stands for the bad value in a body; replaced by its JSON escape, so a lone surrogate survives. */
const BAD = '@@bad@@';
const BAD_VALUES = {
  'a lone surrogate': String.raw`"a\ud800b"`,
  'a NUL character': String.raw`"a\u0000b"`,
};

/** Sends `body` with every BAD replaced by `escaped` (JSON text, quotes included). */
function sendBad(
  api: ApiClient,
  method: string,
  path: string,
  token: string | undefined,
  body: unknown,
  escaped: string,
) {
  return api.call(method, path, {
    ...(token ? { token } : {}),
    rawBody: JSON.stringify(body).replaceAll(`"${BAD}"`, escaped),
  });
}

forEachBackend('free text and names', (platform) => {
  const api = () => platform().api;
  let a: User;
  let b: User;
  let c: User;
  let stranger: User;
  let groupId: string;
  let messageId: string;

  before(async () => {
    [a, b, c, stranger] = (await Promise.all([1, 2, 3, 4].map(() => registerUser(api())))) as [
      User,
      User,
      User,
      User,
    ];
    await befriendAll(api(), a, [b, c]);
    groupId = (
      await api().ok<{ groupId: string }>('POST', '/api/v1/groups', {
        token: a.accessToken,
        body: { name: 'text probes', memberIds: [b.userId, c.userId] },
      })
    ).groupId;
    messageId = (
      await api().ok<{ messageId: string }>('POST', '/api/v1/messages', {
        token: a.accessToken,
        body: {
          sessionType: 'single',
          targetId: b.userId,
          contentType: 'text',
          content: 'hi',
          clientMsgId: clientMsgId(),
        },
      })
    ).messageId;
  });

  interface Probe {
    field: string;
    method: string;
    path: string;
    token: string | undefined;
    body: Record<string, unknown>;
  }
  const probe = (
    field: string,
    method: string,
    path: string,
    token: string | undefined,
    body: Probe['body'],
  ) => ({ field, method, path, token, body }) satisfies Probe;
  const send = (contentType: string, content: unknown) =>
    probe('content', 'POST', '/api/v1/messages', a.accessToken, {
      sessionType: 'single',
      targetId: b.userId,
      contentType,
      content,
      clientMsgId: clientMsgId(),
    });
  const login = (account: string, deviceId: string) => ({
    account,
    password: 'passw0rdOK',
    deviceType: 'Web',
    deviceId,
  });
  /** Each free-text field in a request that is otherwise valid (so that it reaches the service). */
  const cases = (): Probe[] => [
    probe('body.message', 'POST', '/api/v1/friends/requests', stranger.accessToken, {
      userId: a.userId,
      message: BAD,
      source: 'search',
    }),
    probe('body.remark', 'PUT', `/api/v1/friends/${b.userId}/remark`, a.accessToken, { remark: BAD }),
    probe('body.name', 'POST', '/api/v1/friends/categories', a.accessToken, { name: BAD }),
    probe('body.name', 'POST', '/api/v1/groups', a.accessToken, {
      name: BAD,
      memberIds: [b.userId, c.userId],
    }),
    probe('body.name', 'PUT', `/api/v1/groups/${groupId}`, a.accessToken, { name: BAD }),
    probe('body.announcement', 'PUT', `/api/v1/groups/${groupId}`, a.accessToken, { announcement: BAD }),
    probe('body.nickname', 'PUT', `/api/v1/groups/${groupId}/nickname`, b.accessToken, { nickname: BAD }),
    probe('body.nickname', 'PUT', '/api/v1/users/me', a.accessToken, { nickname: BAD }),
    probe('body.signature', 'PUT', '/api/v1/users/me', a.accessToken, { signature: BAD }),
    send('text', BAD),
    send('quote', { text: BAD, quote: { messageId } }),
    send('file', { url: 'https://files.example.com/a.pdf', fileName: BAD, fileSize: 10 }),
    send('location', { latitude: 1, longitude: 2, name: BAD }),
    probe('body.account', 'POST', '/api/v1/auth/login', undefined, login(BAD, 'web-probe')),
    probe('body.deviceId', 'POST', '/api/v1/auth/login', undefined, login(a.account, BAD)),
  ];

  for (const [what, escaped] of Object.entries(BAD_VALUES)) {
    it(`refuses ${what} in every free-text field with 000001 naming the field, and stores nothing`, async () => {
      for (const probe of cases()) {
        const response = await sendBad(api(), probe.method, probe.path, probe.token, probe.body, escaped);
        const where = `${probe.method} ${probe.path} ${JSON.stringify(probe.body)}`;
        expect(response.status, where).to.equal(400);
        expect(response.body.code, where).to.equal(ErrorCode.INVALID_PARAMS);
        expect(response.body.message, where).to.contain(probe.field);
      }
      const me = await api().ok<{ nickname: string }>('GET', '/api/v1/users/me', { token: a.accessToken });
      expect(me.nickname.isWellFormed()).to.equal(true);
      expect(me.nickname).not.to.contain('\uFFFD');
    });
  }

  describe('names others see', () => {
    const spoofs = {
      'a right-to-left override': 'admin\u202Eexe.gnp',
      'a directional isolate': 'a\u2066b',
      'a left-to-right mark': 'a\u200Eb',
      'a zero-width space': 'ad\u200Bmin',
      'a word joiner': 'ad\u2060min',
      'a byte order mark': 'ad\uFEFFmin',
      'a Hangul filler': '\u3164',
      'a soft hyphen': 'ad\u00ADmin',
      'a lone zero-width joiner': '\u200Dadmin',
      'a line separator': 'a\u2028b',
    };
    const fine = {
      'an emoji ZWJ sequence': 'Family 👩‍👩‍👧',
      'an emoji with its variation selector': 'I ❤️ chat',
      'a subdivision flag': 'Scot 🏴󠁧󠁢󠁳󠁣󠁴󠁿',
      'Persian with a zero-width non-joiner': 'می‌خواهم',
      'Hebrew and Latin without direction characters': 'שלום Dana',
      'Chinese with an ideographic space': '小明　同学',
    };

    it('refuses invisible and text-direction characters in nicknames, group names and group nicknames', async () => {
      for (const [what, name] of Object.entries(spoofs)) {
        const probes = [
          ['PUT', '/api/v1/users/me', b.accessToken, { nickname: name }, 'body.nickname'],
          ['PUT', `/api/v1/groups/${groupId}`, a.accessToken, { name }, 'body.name'],
          ['PUT', `/api/v1/groups/${groupId}/nickname`, c.accessToken, { nickname: name }, 'body.nickname'],
          [
            'POST',
            '/api/v1/auth/register',
            undefined,
            {
              account: `spoof${Date.now() % 100000}x`,
              password: 'passw0rdOK',
              deviceType: 'Web',
              deviceId: 'w',
              nickname: name,
            },
            'body.nickname',
          ],
        ] as const;
        for (const [method, path, token, body, field] of probes) {
          const response = await api().call(method, path, { ...(token ? { token } : {}), body });
          expect(response.status, `${what} in ${path}`).to.equal(400);
          expect(response.body.code).to.equal(ErrorCode.INVALID_PARAMS);
          expect(response.body.message, what).to.contain(field);
        }
      }
      const group = await api().ok<{ name: string }>('GET', `/api/v1/groups/${groupId}`, {
        token: a.accessToken,
      });
      expect(group.name).to.equal('text probes');
    });

    it('accepts the joiners and selectors that scripts and emoji need', async () => {
      for (const [what, name] of Object.entries(fine)) {
        const profile = await api().ok<{ nickname: string }>('PUT', '/api/v1/users/me', {
          token: b.accessToken,
          body: { nickname: name },
        });
        expect(profile.nickname, what).to.equal(name);
        const group = await api().ok<{ name: string }>('PUT', `/api/v1/groups/${groupId}`, {
          token: a.accessToken,
          body: { name },
        });
        expect(group.name, what).to.equal(name);
      }
    });

    it('leaves message text as sent: bidi marks and zero-width characters stay', async () => {
      const text = 'עברית \u202Bquoted\u202C and\u200B more\u2066!\u2069';
      const ack = await api().ok<{ sessionId: string }>('POST', '/api/v1/messages', {
        token: a.accessToken,
        body: {
          sessionType: 'single',
          targetId: b.userId,
          contentType: 'text',
          content: text,
          clientMsgId: clientMsgId(),
        },
      });
      const history = await api().ok<{ messages: Array<{ content: unknown }> }>(
        'GET',
        `/api/v1/messages/history?sessionId=${ack.sessionId}&limit=1`,
        { token: b.accessToken },
      );
      expect(history.messages[0]!.content).to.equal(text);
    });
  });

  describe('events carry any text their producers can send', () => {
    it('a profile change holding text PostgreSQL cannot store still reaches the friends', async () => {
      type Friends = { friends: Array<{ userId: string }>; updateTime: number };
      const before = await api().ok<Friends>('GET', '/api/v1/friends', { token: b.accessToken });
      // As the user service announced nicknames before its schema refused them.
      await platform().bus.publish('user', platform().pubsubName, UserTopics.profileUpdated, {
        userId: a.userId,
        changed: ['nickname'],
        profile: { nickname: 'a\ud800\u0000b', avatar: null, signature: null },
      });
      await eventually(
        'the friend list moves for the changed profile',
        async () => {
          const changed = await api().ok<Friends>(
            'GET',
            `/api/v1/friends?lastUpdateTime=${before.updateTime}`,
            {
              token: b.accessToken,
            },
          );
          return changed.friends.some((friend) => friend.userId === a.userId);
        },
        10_000,
      );
      // ... and the friend's devices hear of it: the notification is in their sync timeline.
      await eventually(
        "the profile change in the friend's sync timeline",
        async () => {
          const offline = await api().ok<{ events: Array<{ data: unknown }> }>(
            'GET',
            '/api/v1/messages/offline?lastSeq=0&limit=500',
            { token: b.accessToken },
          );
          return offline.events.some((event) => {
            const data = JSON.stringify(event.data);
            return data.includes('friend.profile.changed') && data.includes(a.userId);
          });
        },
        10_000,
      );
    });

    it('a login attempt with any account text and User-Agent lands in the audit log', async () => {
      const adminToken = await signedInAdmin(platform(), 'text-auditor', 'superadmin');
      const deviceId = `probe-${Date.now()}`;
      await platform().bus.publish('auth', platform().pubsubName, AdminTopics.loginRecorded, {
        userId: null,
        account: `x\u0000\ud800${'y'.repeat(240)}`,
        success: false,
        failure: 'unknown_account',
        deviceId,
        deviceType: 'Web',
        ip: '203.0.113.9',
        userAgent: `agent ${'z'.repeat(2000)}`,
        at: new Date().toISOString(),
      });
      const entry = await eventually(
        'the login attempt in the audit log',
        async () => {
          const audit = await api().ok<{
            items: Array<{ details: { deviceId?: string }; actorName: string }>;
          }>('GET', '/api/v1/admin/audit?action=user.login.failed&limit=1000', { token: adminToken });
          return audit.items.find((item) => item.details.deviceId === deviceId);
        },
        10_000,
      );
      expect(entry.actorName.startsWith('x\uFFFD\uFFFDyyy')).to.equal(true);
    });
  });
});
