import { codeInfo, ErrorCode } from '../../services/platform/errors.ts';
import { SECRET, type World } from '../support/world.ts';

/**
 * The authorization case table: for every route of the served OpenAPI document, who may call it
 * and what everyone else gets. No token, a bad token and the other realm's token (an admin token
 * on chat routes, a chat token on admin routes) are checked for every protected route from the
 * route table itself; an admin whose role lacks the route's permission likewise. What the table
 * adds is the ownership side: each chat route is called on user a's things (see World) by people
 * a did not give them to. A route without an entry here fails the suite.
 */

export interface Refusal {
  status: number;
  code: number;
}
/** The call is made and succeeds; it acts on the caller's own things, and shows nothing of a's. */
export interface Allowed {
  allowed: string;
}
export type Outcome = Refusal | Allowed;

/**
 * Who calls: `stranger` is b (not a's friend, not in a's group); `member` is m (a's friend and a
 * plain member of a's group: not its owner or an admin); `groupAdmin` is k (an admin of a's group,
 * not its owner); `blocked` is x (on a's blacklist);
 * `fresh` a newly registered user (for calls that use up their caller, such as logout).
 */
export type CallerKind = 'stranger' | 'member' | 'groupAdmin' | 'blocked' | 'fresh';

export interface Request {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  /** Sent as multipart/form-data: these fields, then a small PNG as `file` (upload routes). */
  form?: Record<string, string>;
}

export interface Check {
  as: CallerKind;
  request: (w: World) => Request;
  expect: Outcome;
}

export type RouteCase =
  /** Anyone may call it (signing in, public keys); why. */
  | { public: string }
  /** A chat route: how callers other than a fare with a's things. */
  | { checks: Check[] }
  /** An admin route: the generic checks (token, realm, permission) are all there is; the request used. */
  | { admin: (w: World) => Request };

const refused = (code: number): Refusal => ({ status: codeInfo(code).status, code });
const own = (allowed: string): Allowed => ({ allowed });
const stranger = (request: Check['request'], expect: Outcome): Check => ({ as: 'stranger', request, expect });
const member = (request: Check['request'], expect: Outcome): Check => ({ as: 'member', request, expect });
const groupAdmin = (request: Check['request'], expect: Outcome): Check => ({
  as: 'groupAdmin',
  request,
  expect,
});

const group = (w: World) => ({ id: w.group.groupId });
const notMember = refused(ErrorCode.GROUP_NOT_MEMBER);
const callsOff = refused(ErrorCode.CALLS_NOT_CONFIGURED);
/** A group route for its owner alone: strangers, plain members and the group's admins are refused. */
const groupOwnerOnly = (request: (w: World) => Request): Check[] => [
  ...groupAdminOnly(request, ErrorCode.GROUP_NOT_OWNER),
  groupAdmin(request, refused(ErrorCode.GROUP_NOT_OWNER)),
];
/** A group route for its owner and admins: strangers and plain members are refused. */
const groupAdminOnly = (
  request: (w: World) => Request,
  plainMember: number = ErrorCode.GROUP_NOT_ADMIN,
): Check[] => [stranger(request, notMember), member(request, refused(plainMember))];
/** A route on a's bot: its owner's alone; a stranger and a's own friend are answered as if there were none. */
const notMyBot = (request: (w: World) => Request): Check[] => [
  stranger(request, refused(ErrorCode.NOT_FOUND)),
  member(request, refused(ErrorCode.NOT_FOUND)),
];
const inSingle = (w: World) => w.single.sessionId;
const inGroup = (w: World) => w.group.sessionId;
const notInConversation = refused(ErrorCode.FORBIDDEN);
/** The same request on a's one-to-one conversation and on a's group conversation, as b. */
const inConversationsOfA = (request: (sessionId: string) => Request): Check[] => [
  stranger((w) => request(inSingle(w)), notInConversation),
  stranger((w) => request(inGroup(w)), notMember),
];
/** a's system conversation (notices to a alone). */
const systemOfA = (w: World) => `n_${w.a.userId}`;
/** The same request on a's one-to-one message and on a's group message, as b: neither exists for b. */
const onMessagesOfA = (request: Omit<Request, 'params'>): Check[] => [
  stranger((w) => ({ ...request, params: { id: w.single.messageId } }), refused(ErrorCode.MESSAGE_NOT_FOUND)),
  stranger((w) => ({ ...request, params: { id: w.group.messageId } }), refused(ErrorCode.MESSAGE_NOT_FOUND)),
];
const sendTo = (sessionType: 'single' | 'group' | 'system', targetId: string): Request => ({
  body: { sessionType, targetId, contentType: 'text', content: 'hi', clientMsgId: `authz-${sessionType}` },
});

const forwardOf = (messageId: string, targetId: string): Request => ({
  body: {
    clientMsgId: 'authz-forward',
    messageIds: [messageId],
    targets: [{ sessionType: 'single', targetId }],
  },
});

export const ROUTE_CASES: Record<string, RouteCase> = {
  // auth
  'POST /api/v1/auth/register': { public: 'creates an account' },
  'POST /api/v1/auth/verify-code': { public: 'sends a code to an address the caller names' },
  'POST /api/v1/auth/login': { public: 'signs in with a password' },
  'POST /api/v1/auth/login/code': { public: 'the code sent to the account is the credential' },
  'POST /api/v1/auth/refresh': { public: 'the refresh token is the credential' },
  'POST /api/v1/auth/password/reset': { public: 'the verification code is the credential' },
  'GET /api/v1/auth/jwks': { public: 'public keys' },
  'GET /api/v1/push/vapid-public-key': { public: 'the public key every browser subscribes to Web Push with' },
  'GET /api/v1/auth/oidc/providers': { public: 'names of the sign-in providers' },
  'POST /api/v1/auth/oidc/{provider}/start': { public: 'starts a sign-in at the provider' },
  'POST /api/v1/auth/oidc/callback': { public: 'the provider’s code, with the state only its starter holds' },
  // This platform has no providers; a link only ever names the caller's own account.
  'POST /api/v1/auth/oidc/{provider}/link': {
    checks: [
      stranger(() => ({ params: { provider: 'any' }, body: {} }), refused(ErrorCode.OIDC_PROVIDER_UNKNOWN)),
    ],
  },
  'POST /api/v1/auth/oidc/link/callback': {
    checks: [
      stranger(() => ({ body: { state: 'a-state', code: 'a-code' } }), refused(ErrorCode.OIDC_STATE_INVALID)),
    ],
  },
  'GET /api/v1/auth/oidc/identities': { checks: [stranger(() => ({}), own('lists my own links'))] },
  'DELETE /api/v1/auth/oidc/identities/{provider}': {
    checks: [stranger(() => ({ params: { provider: 'test-op' } }), refused(ErrorCode.NOT_FOUND))],
  },
  'POST /api/v1/auth/logout': {
    checks: [{ as: 'fresh', request: () => ({}), expect: own('signs out the calling device only') }],
  },
  'POST /api/v1/auth/password/change': {
    checks: [
      {
        as: 'fresh',
        request: (w) => ({ body: { oldPassword: w.a.password, newPassword: 'Another1pass' } }),
        expect: refused(ErrorCode.WRONG_PASSWORD),
      },
    ],
  },
  'GET /api/v1/auth/devices': { checks: [stranger(() => ({}), own('lists my devices'))] },
  'GET /api/v1/auth/2fa': { checks: [stranger(() => ({}), own('my own two-factor status'))] },
  'POST /api/v1/auth/2fa/setup': {
    checks: [{ as: 'fresh', request: () => ({}), expect: own('a secret for my own account') }],
  },
  // b never set two-factor sign-in up: there is nothing of anyone's to turn on or off.
  'POST /api/v1/auth/2fa/enable': {
    checks: [stranger(() => ({ body: { code: '123456' } }), refused(ErrorCode.SECOND_FACTOR_STATE))],
  },
  'POST /api/v1/auth/2fa/disable': {
    checks: [stranger(() => ({ body: { code: '123456' } }), refused(ErrorCode.SECOND_FACTOR_STATE))],
  },
  'DELETE /api/v1/auth/devices/{deviceId}': {
    checks: [stranger((w) => ({ params: { deviceId: w.aSecondDevice } }), refused(ErrorCode.NOT_FOUND))],
  },

  // user
  'GET /api/v1/users/me': { checks: [stranger(() => ({}), own('my profile'))] },
  'PUT /api/v1/users/me': {
    checks: [stranger(() => ({ body: { signature: 'mine' } }), own('changes my profile'))],
  },
  'GET /api/v1/users/search': {
    checks: [
      stranger((w) => ({ query: { keyword: w.a.account } }), own('public profiles only')),
      stranger(() => ({ query: { keyword: `${SECRET}@example.com` } }), own('public profiles only')),
    ],
  },
  'GET /api/v1/users/settings': { checks: [stranger(() => ({}), own('my settings'))] },
  'GET /api/v1/users/settings/privacy': { checks: [stranger(() => ({}), own('my privacy settings'))] },
  'PUT /api/v1/users/settings/privacy': {
    checks: [stranger(() => ({ body: { presence: 'friends' } }), own('changes my privacy settings'))],
  },
  'PUT /api/v1/users/settings': {
    checks: [stranger(() => ({ body: { notificationEnabled: true } }), own('changes my settings'))],
  },
  'POST /api/v1/users/qrcode/refresh': { checks: [stranger(() => ({}), own('my QR code'))] },
  'POST /api/v1/users/me/export': { checks: [stranger(() => ({}), own('exports my own data'))] },
  // Only ever one's own account; a wrong password (the stranger's session is shared) changes nothing.
  'POST /api/v1/users/me/deletion': {
    checks: [
      stranger(() => ({ body: { password: 'not-the-password1' } }), refused(ErrorCode.WRONG_PASSWORD)),
    ],
  },
  'GET /api/v1/users/me/export/{id}': {
    checks: [stranger((w) => ({ params: { id: w.exportId } }), refused(ErrorCode.NOT_FOUND))],
  },
  'POST /api/v1/users/me/export/{id}/link': {
    checks: [stranger((w) => ({ params: { id: w.exportId } }), refused(ErrorCode.NOT_FOUND))],
  },
  'GET /api/v1/users/qrcode/{code}': {
    checks: [
      stranger((w) => ({ params: { code: w.userQrcode } }), own('a scanned code shows the public profile')),
    ],
  },
  'POST /api/v1/users/push-token': {
    checks: [stranger(() => ({ body: { pushToken: 'b0'.repeat(32), platform: 'iOS' } }), own('my device'))],
  },
  'GET /api/v1/users/push-tokens': { checks: [stranger(() => ({}), own("my devices' registrations"))] },
  'DELETE /api/v1/users/push-tokens/{deviceId}': {
    checks: [
      stranger((w) => ({ params: { deviceId: w.aSecondDevice } }), own("only my own device's registration")),
    ],
  },
  'GET /api/v1/users/{id}': {
    checks: [stranger((w) => ({ params: { id: w.a.userId } }), own('the public profile'))],
  },

  // friend
  'GET /api/v1/friends': { checks: [stranger(() => ({}), own('my friends'))] },
  'POST /api/v1/friends/contacts': {
    checks: [stranger(() => ({ body: { phoneHashes: ['0'.repeat(64)] } }), own('matches of my phone book'))],
  },
  'GET /api/v1/friends/recommendations': { checks: [stranger(() => ({}), own('people I may know'))] },
  'GET /api/v1/friends/requests': {
    checks: [
      stranger(() => ({ query: { direction: 'incoming' } }), own('requests to me')),
      stranger(() => ({ query: { direction: 'outgoing' } }), own('requests from me')),
    ],
  },
  'POST /api/v1/friends/requests': {
    checks: [
      {
        as: 'blocked',
        request: (w) => ({ body: { userId: w.a.userId, message: 'again', source: 'search' } }),
        expect: refused(ErrorCode.BLOCKED_BY_PEER),
      },
    ],
  },
  'PUT /api/v1/friends/requests/{id}': {
    checks: [
      stranger(
        (w) => ({ params: { id: w.friendRequestId }, body: { action: 'accept' } }),
        refused(ErrorCode.FRIEND_REQUEST_NOT_FOUND),
      ),
    ],
  },
  'GET /api/v1/friends/categories': { checks: [stranger(() => ({}), own('my categories'))] },
  'POST /api/v1/friends/categories': {
    checks: [stranger(() => ({ body: { name: 'mine' } }), own('creates my category'))],
  },
  'PUT /api/v1/friends/categories/{id}': {
    checks: [
      stranger(
        (w) => ({ params: { id: w.categoryId }, body: { name: 'taken' } }),
        refused(ErrorCode.NOT_FOUND),
      ),
    ],
  },
  'DELETE /api/v1/friends/categories/{id}': {
    checks: [stranger((w) => ({ params: { id: w.categoryId } }), refused(ErrorCode.NOT_FOUND))],
  },
  'GET /api/v1/friends/blacklist': { checks: [stranger(() => ({}), own('my blacklist'))] },
  'POST /api/v1/friends/blacklist': {
    checks: [stranger((w) => ({ body: { userId: w.c.userId } }), own('blacklists for me'))],
  },
  'DELETE /api/v1/friends/blacklist/{id}': {
    checks: [stranger((w) => ({ params: { id: w.x.userId } }), refused(ErrorCode.NOT_BLACKLISTED))],
  },
  'GET /api/v1/friends/{id}': {
    checks: [stranger((w) => ({ params: { id: w.f.userId } }), refused(ErrorCode.FRIEND_NOT_FOUND))],
  },
  'DELETE /api/v1/friends/{id}': {
    checks: [stranger((w) => ({ params: { id: w.a.userId } }), refused(ErrorCode.FRIEND_NOT_FOUND))],
  },
  'PUT /api/v1/friends/{id}/remark': {
    checks: [
      stranger(
        (w) => ({ params: { id: w.a.userId }, body: { remark: 'x' } }),
        refused(ErrorCode.FRIEND_NOT_FOUND),
      ),
    ],
  },
  'PUT /api/v1/friends/{id}/category': {
    checks: [
      stranger(
        (w) => ({ params: { id: w.a.userId }, body: { categoryId: null } }),
        refused(ErrorCode.FRIEND_NOT_FOUND),
      ),
      // m is a's friend, but a's category is not m's to file a under.
      member(
        (w) => ({ params: { id: w.a.userId }, body: { categoryId: w.categoryId } }),
        refused(ErrorCode.NOT_FOUND),
      ),
    ],
  },
  'PUT /api/v1/friends/{id}/settings': {
    checks: [
      stranger(
        (w) => ({ params: { id: w.a.userId }, body: { isMuted: true } }),
        refused(ErrorCode.FRIEND_NOT_FOUND),
      ),
    ],
  },

  // group
  'GET /api/v1/groups': { checks: [stranger(() => ({}), own('my groups'))] },
  'POST /api/v1/groups': {
    checks: [
      stranger(
        (w) => ({ body: { name: 'mine', memberIds: [w.b1.userId, w.b2.userId] } }),
        own('a group of mine with my friends'),
      ),
    ],
  },
  'POST /api/v1/groups/join-by-qrcode': {
    checks: [
      {
        as: 'fresh',
        request: (w) => ({ body: { code: w.group.qrcode } }),
        expect: own('whoever holds the code may ask to join'),
      },
    ],
  },
  'GET /api/v1/groups/invitations': { checks: [stranger(() => ({}), own('invitations to me'))] },
  'PUT /api/v1/groups/{id}/invitation': {
    // Nobody invited b or m: there is no invitation of theirs to answer.
    checks: [
      stranger(
        (w) => ({ params: group(w), body: { action: 'accept' } }),
        refused(ErrorCode.GROUP_INVITATION_NOT_FOUND),
      ),
      member(
        (w) => ({ params: group(w), body: { action: 'decline' } }),
        refused(ErrorCode.GROUP_INVITATION_NOT_FOUND),
      ),
    ],
  },
  'GET /api/v1/groups/qrcode/{code}': {
    checks: [
      stranger((w) => ({ params: { code: w.group.qrcode } }), own("the group's public part, before joining")),
    ],
  },
  'GET /api/v1/groups/{id}': {
    checks: [
      stranger((w) => ({ params: group(w) }), own("the group's public part")),
      member((w) => ({ params: group(w) }), own('the whole group, to a member')),
    ],
  },
  'PUT /api/v1/groups/{id}': {
    checks: groupAdminOnly((w) => ({ params: group(w), body: { name: 'taken over' } })),
  },
  'DELETE /api/v1/groups/{id}': {
    checks: groupOwnerOnly((w) => ({ params: group(w) })),
  },
  'PUT /api/v1/groups/{id}/settings': {
    checks: groupAdminOnly((w) => ({ params: group(w), body: { memberInvite: true } })),
  },
  'GET /api/v1/groups/{id}/members': {
    checks: [
      stranger((w) => ({ params: group(w) }), notMember),
      member((w) => ({ params: group(w) }), own('members see each other')),
    ],
  },
  'POST /api/v1/groups/{id}/members': {
    // a turned member invites off: a plain member may not invite.
    checks: [
      stranger((w) => ({ params: group(w), body: { userIds: [w.b1.userId] } }), notMember),
      member(
        (w) => ({ params: group(w), body: { userIds: [w.a.userId] } }),
        refused(ErrorCode.GROUP_NOT_ADMIN),
      ),
    ],
  },
  'DELETE /api/v1/groups/{id}/members/{userId}': {
    checks: [
      ...groupAdminOnly((w) => ({ params: { ...group(w), userId: w.f.userId } })),
      // An admin removes plain members, never the owner.
      groupAdmin(
        (w) => ({ params: { ...group(w), userId: w.a.userId } }),
        refused(ErrorCode.GROUP_CANNOT_REMOVE_OWNER),
      ),
    ],
  },
  'PUT /api/v1/groups/{id}/members/{userId}/mute': {
    checks: [
      ...groupAdminOnly((w) => ({ params: { ...group(w), userId: w.f.userId }, body: { seconds: 60 } })),
      groupAdmin(
        (w) => ({ params: { ...group(w), userId: w.a.userId }, body: { seconds: 60 } }),
        refused(ErrorCode.GROUP_CANNOT_REMOVE_OWNER),
      ),
    ],
  },
  'PUT /api/v1/groups/{id}/nickname': {
    checks: [
      stranger((w) => ({ params: group(w), body: { nickname: 'me' } }), notMember),
      member((w) => ({ params: group(w), body: { nickname: null } }), own('my nickname in the group')),
    ],
  },
  'POST /api/v1/groups/{id}/join': {
    checks: [
      {
        as: 'fresh',
        request: (w) => ({ params: group(w), body: {} }),
        expect: own('anyone may ask to join (a join request: the group verifies joins)'),
      },
      member((w) => ({ params: group(w), body: {} }), refused(ErrorCode.GROUP_ALREADY_MEMBER)),
    ],
  },
  'GET /api/v1/groups/{id}/join': { checks: groupAdminOnly((w) => ({ params: group(w) })) },
  'PUT /api/v1/groups/{id}/join/{reqId}': {
    checks: groupAdminOnly((w) => ({
      params: { ...group(w), reqId: w.group.joinRequestId },
      body: { action: 'accept' },
    })),
  },
  'POST /api/v1/groups/{id}/exit': {
    // A plain member may leave; that is not called here (m stays a member for the other checks).
    checks: [stranger((w) => ({ params: group(w) }), notMember)],
  },
  'POST /api/v1/groups/{id}/transfer': {
    checks: groupOwnerOnly((w) => ({ params: group(w), body: { userId: w.f.userId } })),
  },
  'POST /api/v1/groups/{id}/admins': {
    checks: groupOwnerOnly((w) => ({ params: group(w), body: { userId: w.m.userId } })),
  },
  'DELETE /api/v1/groups/{id}/admins/{userId}': {
    // k is an admin: only the owner makes admins plain members again.
    checks: groupOwnerOnly((w) => ({ params: { ...group(w), userId: w.k.userId } })),
  },
  'GET /api/v1/groups/{id}/qrcode': {
    // Member invites are off: a plain member does not get the code either.
    checks: groupAdminOnly((w) => ({ params: group(w) })),
  },

  // session
  'GET /api/v1/sessions': { checks: [stranger(() => ({}), own('my conversations'))] },
  'POST /api/v1/files/upload': {
    checks: [stranger(() => ({ form: { type: 'chat_image' } }), own('my own file'))],
  },
  'POST /api/v1/files/upload/init': {
    checks: [
      stranger(() => ({ body: { fileName: 'b.bin', fileSize: 10, type: 'chat_file' } }), own('my upload')),
    ],
  },
  'POST /api/v1/files/upload/presign': {
    checks: [
      stranger(() => ({ body: { fileName: 'b.bin', fileSize: 10, type: 'chat_file' } }), own('my upload')),
    ],
  },
  'POST /api/v1/files/upload/part': {
    checks: [
      stranger(
        (w) => ({ form: { uploadId: w.files.uploadId, chunkIndex: '0' } }),
        refused(ErrorCode.FILE_UPLOAD_ID_INVALID),
      ),
    ],
  },
  'GET /api/v1/files/upload/{uploadId}': {
    checks: [
      stranger(
        (w) => ({ params: { uploadId: w.files.uploadId } }),
        refused(ErrorCode.FILE_UPLOAD_ID_INVALID),
      ),
    ],
  },
  'POST /api/v1/files/upload/complete': {
    checks: [
      stranger((w) => ({ body: { uploadId: w.files.uploadId } }), refused(ErrorCode.FILE_UPLOAD_ID_INVALID)),
    ],
  },
  'GET /api/v1/files/{fileId}': {
    checks: [stranger((w) => ({ params: { fileId: w.files.fileId } }), refused(ErrorCode.FILE_NOT_FOUND))],
  },
  'GET /api/v1/files/{fileId}/thumbnail': {
    checks: [stranger((w) => ({ params: { fileId: w.files.fileId } }), refused(ErrorCode.FILE_NOT_FOUND))],
  },
  'POST /api/v1/sessions': {
    checks: [
      stranger(
        (w) => ({ body: { sessionType: 'single', targetId: w.a.userId } }),
        own("opens my side only; a's list stays as it was"),
      ),
      stranger(
        (w) => ({ body: { sessionType: 'group', targetId: w.group.groupId } }),
        refused(ErrorCode.INVALID_PARAMS),
      ),
    ],
  },
  'GET /api/v1/sessions/unread': { checks: [stranger(() => ({}), own('my unread counts'))] },
  'GET /api/v1/sessions/{id}': {
    checks: [
      stranger((w) => ({ params: { id: inSingle(w) } }), refused(ErrorCode.SESSION_NOT_FOUND)),
      stranger((w) => ({ params: { id: inGroup(w) } }), refused(ErrorCode.SESSION_NOT_FOUND)),
    ],
  },
  'DELETE /api/v1/sessions/{id}': {
    checks: [stranger((w) => ({ params: { id: inSingle(w) } }), refused(ErrorCode.SESSION_NOT_FOUND))],
  },
  'PUT /api/v1/sessions/{id}/pin': {
    checks: [
      stranger(
        (w) => ({ params: { id: inSingle(w) }, body: { isPinned: true } }),
        refused(ErrorCode.SESSION_NOT_FOUND),
      ),
    ],
  },
  'PUT /api/v1/sessions/{id}/mute': {
    checks: [
      stranger(
        (w) => ({ params: { id: inGroup(w) }, body: { isMuted: true } }),
        refused(ErrorCode.SESSION_NOT_FOUND),
      ),
    ],
  },

  // message
  'POST /api/v1/messages': {
    checks: [
      stranger((w) => sendTo('single', w.a.userId), refused(ErrorCode.MESSAGE_NOT_FRIEND)),
      stranger((w) => sendTo('group', w.group.groupId), notMember),
      // Nobody writes to a system conversation, a's own or anyone's.
      stranger((w) => sendTo('system', w.a.userId), refused(ErrorCode.MESSAGE_SYSTEM_READ_ONLY)),
    ],
  },
  'POST /api/v1/messages/self-destructing': {
    checks: [
      stranger(
        (w) => ({ body: { ...(sendTo('single', w.a.userId).body as object), ttlSeconds: 5 } }),
        refused(ErrorCode.MESSAGE_NOT_FRIEND),
      ),
      stranger(
        (w) => ({ body: { ...(sendTo('group', w.group.groupId).body as object), ttlSeconds: 5 } }),
        notMember,
      ),
    ],
  },
  'POST /api/v1/messages/forward': {
    checks: [
      stranger((w) => forwardOf(w.single.messageId, w.b1.userId), refused(ErrorCode.MESSAGE_NOT_FOUND)),
      stranger((w) => forwardOf(w.group.messageId, w.b1.userId), refused(ErrorCode.MESSAGE_NOT_FOUND)),
    ],
  },
  'POST /api/v1/messages/scheduled': {
    checks: [
      stranger(
        (w) => ({
          body: { ...(sendTo('group', w.group.groupId).body as object), sendAt: Date.now() + 3_600_000 },
        }),
        notMember,
      ),
    ],
  },
  'GET /api/v1/messages/scheduled': {
    checks: [stranger(() => ({ query: { status: 'all' } }), own('my scheduled messages'))],
  },
  // a's recipient f and a's group members may not cancel it either: it is a's alone.
  'DELETE /api/v1/messages/scheduled/{id}': {
    checks: [
      stranger((w) => ({ params: { id: w.scheduledId } }), refused(ErrorCode.MESSAGE_SCHEDULE_NOT_FOUND)),
      member((w) => ({ params: { id: w.scheduledId } }), refused(ErrorCode.MESSAGE_SCHEDULE_NOT_FOUND)),
    ],
  },
  'GET /api/v1/messages/drafts': { checks: [stranger(() => ({}), own('my drafts'))] },
  'PUT /api/v1/messages/drafts/{sessionId}': {
    checks: inConversationsOfA((sessionId) => ({ params: { sessionId }, body: { text: 'x' } })),
  },
  'DELETE /api/v1/messages/drafts/{sessionId}': {
    checks: inConversationsOfA((sessionId) => ({ params: { sessionId } })),
  },
  // Anyone signed in may ask; an address inside the platform's network is refused to everyone.
  'GET /api/v1/messages/link-preview': {
    checks: [
      stranger(() => ({ query: { url: 'http://127.0.0.1/' } }), refused(ErrorCode.LINK_PREVIEW_REFUSED)),
    ],
  },
  'GET /api/v1/messages/offline': { checks: [stranger(() => ({}), own('my timeline'))] },
  'GET /api/v1/messages/history': {
    checks: [
      ...inConversationsOfA((sessionId) => ({ query: { sessionId } })),
      stranger((w) => ({ query: { sessionId: systemOfA(w) } }), notInConversation),
    ],
  },
  'GET /api/v1/messages/search': {
    checks: [
      stranger(() => ({ query: { keyword: SECRET } }), own('searches my conversations')),
      ...inConversationsOfA((sessionId) => ({ query: { sessionId } })),
    ],
  },
  'POST /api/v1/messages/groups/{groupId}/webhooks': {
    checks: groupAdminOnly((w) => ({ params: { groupId: w.group.groupId }, body: { name: 'hook' } })),
  },
  'GET /api/v1/messages/groups/{groupId}/webhooks': {
    checks: groupAdminOnly((w) => ({ params: { groupId: w.group.groupId } })),
  },
  'DELETE /api/v1/messages/groups/{groupId}/webhooks/{webhookId}': {
    checks: groupAdminOnly((w) => ({ params: { groupId: w.group.groupId, webhookId: '1' } })),
  },
  'POST /api/v1/messages/hooks/{webhookId}/{secret}': {
    public: 'the secret URL is the credential (wrong secrets: test/chat/webhooks.test.ts)',
  },
  'POST /api/v1/messages/groups/{groupId}/outgoing-webhooks': {
    checks: groupAdminOnly((w) => ({
      params: { groupId: w.group.groupId },
      body: { url: 'https://example.com/hook' },
    })),
  },
  'GET /api/v1/messages/groups/{groupId}/outgoing-webhooks': {
    checks: groupAdminOnly((w) => ({ params: { groupId: w.group.groupId } })),
  },
  'DELETE /api/v1/messages/groups/{groupId}/outgoing-webhooks/{webhookId}': {
    checks: groupAdminOnly((w) => ({ params: { groupId: w.group.groupId, webhookId: '1' } })),
  },
  // Another user's bot is answered as none (11): whose bots exist is not told.
  'POST /api/v1/messages/bots/{botId}/outgoing-webhooks': {
    checks: notMyBot((w) => ({ params: { botId: w.bot.botId }, body: { url: 'https://example.com/hook' } })),
  },
  'GET /api/v1/messages/bots/{botId}/outgoing-webhooks': {
    checks: notMyBot((w) => ({ params: { botId: w.bot.botId } })),
  },
  'DELETE /api/v1/messages/bots/{botId}/outgoing-webhooks/{webhookId}': {
    checks: notMyBot((w) => ({ params: { botId: w.bot.botId, webhookId: '1' } })),
  },
  'POST /api/v1/bots': { checks: [stranger(() => ({ body: { name: 'mine' } }), own('makes my own bot'))] },
  'GET /api/v1/bots': { checks: [stranger(() => ({}), own('lists my bots only'))] },
  'GET /api/v1/bots/{botId}': { checks: notMyBot((w) => ({ params: { botId: w.bot.botId } })) },
  'PATCH /api/v1/bots/{botId}': {
    checks: notMyBot((w) => ({ params: { botId: w.bot.botId }, body: { acceptsFriendRequests: true } })),
  },
  'DELETE /api/v1/bots/{botId}': { checks: notMyBot((w) => ({ params: { botId: w.bot.botId } })) },
  'POST /api/v1/bots/{botId}/tokens': {
    checks: notMyBot((w) => ({
      params: { botId: w.bot.botId },
      body: { name: 'x', scopes: ['messages:send'] },
    })),
  },
  'GET /api/v1/bots/{botId}/tokens': { checks: notMyBot((w) => ({ params: { botId: w.bot.botId } })) },
  'DELETE /api/v1/bots/{botId}/tokens/{tokenId}': {
    checks: notMyBot((w) => ({ params: { botId: w.bot.botId, tokenId: w.bot.tokenId } })),
  },
  'POST /api/v1/messages/ack': {
    checks: [
      stranger((w) => ({ body: { sessionId: inSingle(w) } }), notInConversation),
      stranger((w) => ({ body: { sessionId: inGroup(w), messageIds: [w.group.messageId] } }), notMember),
      stranger((w) => ({ body: { sessionId: systemOfA(w) } }), notInConversation),
    ],
  },
  'POST /api/v1/messages/clear': { checks: inConversationsOfA((sessionId) => ({ body: { sessionId } })) },
  'POST /api/v1/messages/{id}/recall': {
    checks: [
      stranger((w) => ({ params: { id: w.single.messageId } }), refused(ErrorCode.MESSAGE_NOT_FOUND)),
      stranger((w) => ({ params: { id: w.group.messageId } }), refused(ErrorCode.MESSAGE_NOT_FOUND)),
      // m is in the group, but a's message is not m's to recall.
      member((w) => ({ params: { id: w.group.messageId } }), refused(ErrorCode.MESSAGE_RECALL_FORBIDDEN)),
      // Nor is it k's: group admins recall members' messages, not the owner's.
      groupAdmin((w) => ({ params: { id: w.group.messageId } }), refused(ErrorCode.MESSAGE_RECALL_FORBIDDEN)),
    ],
  },
  'GET /api/v1/messages/{msgId}/reads': {
    checks: [
      stranger(
        (w) => ({ params: { msgId: w.group.messageId }, query: { groupId: w.group.groupId } }),
        notMember,
      ),
      // b's own group does not open a's message.
      stranger(
        (w) => ({ params: { msgId: w.group.messageId }, query: { groupId: w.bGroup.groupId } }),
        refused(ErrorCode.MESSAGE_NOT_FOUND),
      ),
    ],
  },
  'GET /api/v1/groups/{id}/messages/{msgId}/reads': {
    checks: [
      stranger((w) => ({ params: { id: w.group.groupId, msgId: w.group.messageId } }), notMember),
      member(
        (w) => ({ params: { id: w.group.groupId, msgId: w.group.messageId } }),
        own('members see who read it'),
      ),
      // b's own group does not open a's message.
      stranger(
        (w) => ({ params: { id: w.bGroup.groupId, msgId: w.group.messageId } }),
        refused(ErrorCode.MESSAGE_NOT_FOUND),
      ),
    ],
  },
  'DELETE /api/v1/messages/{id}': {
    checks: [
      stranger((w) => ({ params: { id: w.single.messageId } }), refused(ErrorCode.MESSAGE_NOT_FOUND)),
      stranger((w) => ({ params: { id: w.group.messageId } }), refused(ErrorCode.MESSAGE_NOT_FOUND)),
    ],
  },
  'PUT /api/v1/messages/{id}': {
    checks: [
      ...onMessagesOfA({ body: { text: 'edited' } }),
      // m and k are in the group, but a's message is a's alone to edit.
      member(
        (w) => ({ params: { id: w.group.messageId }, body: { text: 'x' } }),
        refused(ErrorCode.MESSAGE_EDIT_FORBIDDEN),
      ),
      groupAdmin(
        (w) => ({ params: { id: w.group.messageId }, body: { text: 'x' } }),
        refused(ErrorCode.MESSAGE_EDIT_FORBIDDEN),
      ),
    ],
  },
  'GET /api/v1/messages/{id}/edits': { checks: onMessagesOfA({}) },
  'POST /api/v1/messages/{id}/reactions': { checks: onMessagesOfA({ body: { emoji: '👍' } }) },
  'DELETE /api/v1/messages/{id}/reactions': { checks: onMessagesOfA({ query: { emoji: '👍' } }) },
  'GET /api/v1/messages/{id}/reactions': { checks: onMessagesOfA({}) },
  'POST /api/v1/messages/{id}/pin': {
    checks: [
      ...onMessagesOfA({}),
      member((w) => ({ params: { id: w.group.messageId } }), refused(ErrorCode.GROUP_NOT_ADMIN)),
    ],
  },
  'DELETE /api/v1/messages/{id}/pin': {
    checks: [
      ...onMessagesOfA({}),
      member((w) => ({ params: { id: w.group.messageId } }), refused(ErrorCode.GROUP_NOT_ADMIN)),
    ],
  },
  'GET /api/v1/messages/pinned': { checks: inConversationsOfA((sessionId) => ({ query: { sessionId } })) },
  'POST /api/v1/messages/{id}/thread': {
    checks: onMessagesOfA({ body: { clientMsgId: 'authz-thread', contentType: 'text', content: 'hi' } }),
  },
  'GET /api/v1/messages/{id}/thread': { checks: onMessagesOfA({}) },
  'POST /api/v1/messages/{id}/thread/read': { checks: onMessagesOfA({}) },
  'GET /api/v1/messages/threads': { checks: inConversationsOfA((sessionId) => ({ query: { sessionId } })) },

  // rtc: this suite runs without LiveKit, so every call route answers 100111 before it looks
  // anything up; who may touch whose calls is tested against a real LiveKit in test/rtc/calls.test.ts.
  'POST /api/v1/calls/invite': {
    checks: [stranger((w) => ({ body: { userId: w.a.userId, callType: 'audio' } }), callsOff)],
  },
  'PUT /api/v1/calls/{id}/accept': { checks: [stranger(() => ({ params: { id: '1' } }), callsOff)] },
  'PUT /api/v1/calls/{id}/reject': {
    checks: [stranger(() => ({ params: { id: '1' }, body: {} }), callsOff)],
  },
  'PUT /api/v1/calls/{id}/hangup': { checks: [stranger(() => ({ params: { id: '1' } }), callsOff)] },
  'GET /api/v1/calls/token': { checks: [stranger(() => ({ query: { callId: '1' } }), callsOff)] },
  'GET /api/v1/calls': { checks: [stranger(() => ({}), callsOff)] },
  'GET /api/v1/calls/{id}': { checks: [stranger(() => ({ params: { id: '1' } }), callsOff)] },
  'POST /api/v1/meetings': { checks: [stranger(() => ({ body: { title: 'x' } }), callsOff)] },
  'GET /api/v1/meetings/{id}': { checks: [stranger(() => ({ params: { id: '1' } }), callsOff)] },
  'POST /api/v1/meetings/{id}/join': {
    checks: [stranger(() => ({ params: { id: '1' }, body: {} }), callsOff)],
  },
  'GET /api/v1/meetings/{id}/token': { checks: [stranger(() => ({ params: { id: '1' } }), callsOff)] },
  'GET /api/v1/meetings/{id}/participants': { checks: [stranger(() => ({ params: { id: '1' } }), callsOff)] },
  'POST /api/v1/meetings/{id}/mute': {
    checks: [stranger(() => ({ params: { id: '1' }, body: {} }), callsOff)],
  },
  'POST /api/v1/meetings/{id}/remove': {
    checks: [stranger((w) => ({ params: { id: '1' }, body: { userId: w.a.userId } }), callsOff)],
  },
  'POST /api/v1/meetings/{id}/host': {
    checks: [stranger((w) => ({ params: { id: '1' }, body: { userId: w.a.userId } }), callsOff)],
  },
  'POST /api/v1/meetings/{id}/end': { checks: [stranger(() => ({ params: { id: '1' } }), callsOff)] },
  'POST /api/v1/meetings/{id}/recording/start': {
    checks: [stranger(() => ({ params: { id: '1' } }), callsOff)],
  },
  'POST /api/v1/meetings/{id}/recording/stop': {
    checks: [stranger(() => ({ params: { id: '1' } }), callsOff)],
  },
  'GET /api/v1/meetings/{id}/recordings': { checks: [stranger(() => ({ params: { id: '1' } }), callsOff)] },

  // gateway
  'GET /api/v1/gateway/connections': { public: 'answered only to callers inside the cluster (operator)' },

  // admin
  'POST /api/v1/admin/auth/login': { public: 'signs an administrator in with a password' },
  'POST /api/v1/admin/auth/logout': { admin: () => ({}) },
  'GET /api/v1/admin/auth/me': { admin: () => ({}) },
  'GET /api/v1/admin/admins': { admin: () => ({}) },
  'POST /api/v1/admin/admins': {
    admin: () => ({ body: { username: 'intruder', password: 'correct horse battery', role: 'superadmin' } }),
  },
  'GET /api/v1/admin/users': { admin: () => ({}) },
  'GET /api/v1/admin/users/{userId}': { admin: (w) => ({ params: { userId: w.a.userId } }) },
  'POST /api/v1/admin/users/{userId}/ban': {
    admin: (w) => ({ params: { userId: w.a.userId }, body: { reason: 'x', durationSeconds: 60 } }),
  },
  'POST /api/v1/admin/users/{userId}/unban': { admin: (w) => ({ params: { userId: w.a.userId }, body: {} }) },
  'POST /api/v1/admin/users/{userId}/kick': { admin: (w) => ({ params: { userId: w.a.userId }, body: {} }) },
  'POST /api/v1/admin/users/{userId}/push-test': { admin: (w) => ({ params: { userId: w.a.userId } }) },
  'DELETE /api/v1/admin/users/{userId}': { admin: (w) => ({ params: { userId: w.a.userId } }) },
  'GET /api/v1/admin/groups': { admin: () => ({}) },
  'GET /api/v1/admin/groups/{groupId}': { admin: (w) => ({ params: { groupId: w.group.groupId } }) },
  'POST /api/v1/admin/groups/{groupId}/dismiss': {
    admin: (w) => ({ params: { groupId: w.group.groupId }, body: { reason: 'x' } }),
  },
  'DELETE /api/v1/admin/groups/{groupId}/members/{userId}': {
    admin: (w) => ({ params: { groupId: w.group.groupId, userId: w.f.userId } }),
  },
  'GET /api/v1/admin/messages': { admin: (w) => ({ query: { sessionId: w.single.sessionId } }) },
  'POST /api/v1/admin/messages/{messageId}/recall': {
    admin: (w) => ({ params: { messageId: w.single.messageId }, body: { reason: 'x' } }),
  },
  'POST /api/v1/admin/broadcasts': { admin: () => ({ body: { text: 'x' } }) },
  'GET /api/v1/admin/broadcasts': { admin: () => ({}) },
  'GET /api/v1/admin/broadcasts/{broadcastId}': { admin: () => ({}) },
  'GET /api/v1/admin/stats': { admin: () => ({}) },
  'GET /api/v1/admin/audit': { admin: () => ({}) },
  'GET /api/v1/admin/config': { admin: () => ({}) },
  'PUT /api/v1/admin/config/{key}': { admin: () => ({ body: { value: 1 } }) },
  'DELETE /api/v1/admin/config/{key}': { admin: () => ({}) },
  'GET /api/v1/admin/sensitive-words': { admin: () => ({}) },
  'GET /api/v1/admin/files/stats': { admin: () => ({}) },
  // A file of nobody's: the generic checks are refused before it is looked up.
  'DELETE /api/v1/admin/files/{fileId}': {
    admin: () => ({ params: { fileId: '1' }, body: { reason: 'x' } }),
  },
  'PUT /api/v1/admin/sensitive-words': { admin: () => ({ body: { words: ['x'], action: 'mask' } }) },
  'POST /api/v1/admin/meetings/{meetingId}/end': {
    admin: () => ({ params: { meetingId: '1' }, body: { reason: 'x' } }),
  },
};
