import { singleSessionId } from '../../services/platform/contracts/index.ts';
import { type ApiClient, registerUser } from './api-client.ts';
import { befriend, loginDevice, type User } from './chat.ts';
import { multipartBody } from './forms.ts';
import { clientMsgId } from './ws-client.ts';

/** Text only the owner and the people they chose may ever see; a response holding it leaks. */
export const SECRET = 'owner-secret-7c1f';

/**
 * Someone with a bit of everything, and the people around them: user `a` owns a conversation,
 * messages, a group, a friend category, a blacklist entry, a pending friend request, a pending join
 * request and two devices. `m` is a friend and plain member of a's group, `f` a friend, plain
 * member and a's one-to-one partner, `k` a friend and an admin (not the owner) of the group; `b`
 * is a stranger to all of it, with a group of its own (with its friends `b1`, `b2`). Members are
 * always friends of whoever added them.
 */
export interface World {
  a: User;
  b: User;
  m: User;
  f: User;
  /** Sent a friend request that `a` has not answered. */
  c: User;
  /** On a's blacklist. */
  x: User;
  /** Asked to join a's group; not answered. */
  p: User;
  b1: User;
  b2: User;
  /** a's friend and an admin of a's group (not its owner). */
  k: User;
  /** a's second device (deviceId). */
  aSecondDevice: string;
  single: { sessionId: string; messageId: string };
  group: {
    groupId: string;
    sessionId: string;
    /** Sent by a. */
    messageId: string;
    /** Sent by m (a plain member). */
    memberMessageId: string;
    qrcode: string;
    joinRequestId: string;
  };
  bGroup: { groupId: string; messageId: string };
  categoryId: string;
  friendRequestId: string;
  userQrcode: string;
  /** a's uploaded image and a's unfinished multipart upload. */
  files: { fileId: string; uploadId: string };
  /** a's message to f scheduled for next week (pending). */
  scheduledId: string;
  /** a's data export (pending or ready). */
  exportId: string;
  /** a's bot, with one live token of every scope. */
  bot: { botId: string; tokenId: string; token: string };
}

/** Sends a text message; `text` holds SECRET in a's conversations. */
async function send(
  api: ApiClient,
  from: User,
  sessionType: 'single' | 'group',
  targetId: string,
  text = `${SECRET} from ${from.account}`,
) {
  const ack = await api.ok<{ messageId: string; sessionId: string }>('POST', '/api/v1/messages', {
    token: from.accessToken,
    body: {
      sessionType,
      targetId,
      contentType: 'text',
      content: text,
      clientMsgId: clientMsgId(),
    },
  });
  return ack;
}

async function createGroup(api: ApiClient, owner: User, members: User[]) {
  const { groupId } = await api.ok<{ groupId: string }>('POST', '/api/v1/groups', {
    token: owner.accessToken,
    body: { name: `group of ${owner.account}`, memberIds: members.map((u) => u.userId) },
  });
  return groupId;
}

/** `email: false` where registering with an e-mail address needs a verification code. */
export async function buildWorld(api: ApiClient, options: { email?: boolean } = {}): Promise<World> {
  const secretContact = options.email === false ? {} : { email: `${SECRET}@example.com` };
  const users = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      registerUser(api, i === 0 ? { ...secretContact, password: 'only-A-kn0ws' } : {}),
    ),
  );
  const [a, b, m, f, c, x, p, b1, b2, k] = users as [
    User,
    User,
    User,
    User,
    User,
    User,
    User,
    User,
    User,
    User,
  ];
  const aSecondDevice = `pc-${a.account}`;
  await loginDevice(api, a, 'PC', aSecondDevice);
  for (const friend of [m, f, k]) await befriend(api, a, friend);
  for (const friend of [b1, b2]) await befriend(api, b, friend);

  const single = await send(api, a, 'single', f.userId);
  const groupId = await createGroup(api, a, [m, f, k]);
  const as = (user: User) => ({ token: user.accessToken });
  await api.ok('POST', `/api/v1/groups/${groupId}/admins`, { ...as(a), body: { userId: k.userId } });
  await api.ok('PUT', `/api/v1/groups/${groupId}`, {
    ...as(a),
    body: { announcement: `${SECRET} announcement` },
  });
  await api.ok('PUT', `/api/v1/groups/${groupId}/settings`, {
    ...as(a),
    body: { memberInvite: false, joinVerify: true },
  });
  const groupMessage = await send(api, a, 'group', groupId);
  const memberMessage = await send(api, m, 'group', groupId);
  const { code } = await api.ok<{ code: string }>('GET', `/api/v1/groups/${groupId}/qrcode`, as(a));
  await api.ok('POST', `/api/v1/groups/${groupId}/join`, { ...as(p), body: { message: 'let me in' } });
  const { requests } = await api.ok<{ requests: Array<{ requestId: string }> }>(
    'GET',
    `/api/v1/groups/${groupId}/join`,
    as(a),
  );

  const bGroupId = await createGroup(api, b, [b1, b2]);
  const bMessage = await send(api, b, 'group', bGroupId, 'hello from b');

  const { categoryId } = await api.ok<{ categoryId: string }>('POST', '/api/v1/friends/categories', {
    ...as(a),
    body: { name: SECRET },
  });
  await api.ok('PUT', `/api/v1/friends/${f.userId}/category`, { ...as(a), body: { categoryId } });
  await api.ok('PUT', `/api/v1/friends/${f.userId}/remark`, {
    ...as(a),
    body: { remark: `${SECRET} remark` },
  });
  await api.ok('POST', '/api/v1/friends/blacklist', { ...as(a), body: { userId: x.userId } });
  const { requestId } = await api.ok<{ requestId: string }>('POST', '/api/v1/friends/requests', {
    ...as(c),
    body: { userId: a.userId, message: `${SECRET} hello`, source: 'search' },
  });
  const qrcode = await api.ok<{ code: string }>('POST', '/api/v1/users/qrcode/refresh', as(a));
  const file = await api.ok<{ fileId: string }>('POST', '/api/v1/files/upload', {
    ...as(a),
    ...(await multipartBody({ type: 'chat_image' })),
  });
  const upload = await api.ok<{ uploadId: string }>('POST', '/api/v1/files/upload/init', {
    ...as(a),
    body: { fileName: `${SECRET}.bin`, fileSize: 10, type: 'chat_file' },
  });
  const scheduled = await api.ok<{ scheduleId: string }>('POST', '/api/v1/messages/scheduled', {
    ...as(a),
    body: {
      sessionType: 'single',
      targetId: f.userId,
      contentType: 'text',
      content: `${SECRET} later`,
      clientMsgId: clientMsgId(),
      sendAt: Date.now() + 7 * 86_400_000,
    },
  });
  const dataExport = await api.ok<{ exportId: string }>('POST', '/api/v1/users/me/export', as(a));
  const bot = await api.ok<{ botId: string }>('POST', '/api/v1/bots', { ...as(a), body: { name: 'a bot' } });
  const botToken = await api.ok<{ tokenId: string; token: string }>(
    'POST',
    `/api/v1/bots/${bot.botId}/tokens`,
    {
      ...as(a),
      body: { name: 'all', scopes: ['messages:send', 'messages:read', 'groups:read', 'groups:join'] },
    },
  );

  return {
    a,
    b,
    m,
    f,
    c,
    x,
    p,
    b1,
    b2,
    k,
    aSecondDevice,
    single: { sessionId: singleSessionId(a.userId, f.userId), messageId: single.messageId },
    group: {
      groupId,
      sessionId: `g_${groupId}`,
      messageId: groupMessage.messageId,
      memberMessageId: memberMessage.messageId,
      qrcode: code,
      joinRequestId: requests[0]!.requestId,
    },
    bGroup: { groupId: bGroupId, messageId: bMessage.messageId },
    categoryId,
    friendRequestId: requestId,
    userQrcode: qrcode.code,
    files: { fileId: file.fileId, uploadId: upload.uploadId },
    scheduledId: scheduled.scheduleId,
    exportId: dataExport.exportId,
    bot: { botId: bot.botId, tokenId: botToken.tokenId, token: botToken.token },
  };
}
