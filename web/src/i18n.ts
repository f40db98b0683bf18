import { ref } from 'vue';
import { callWords } from './i18n/calls.ts';
import { fileWords } from './i18n/files.ts';
import { groupWords } from './i18n/groups.ts';
import { profileWords } from './i18n/profile.ts';

/**
 * The client's words in English and Simplified Chinese: one typed dictionary, no i18n runtime. Each
 * screen family keeps its own words in i18n/<family>.ts; they are merged here.
 */
const baseEn = {
  appName: 'AnyChat',
  signIn: 'Sign in',
  register: 'Create account',
  account: 'Account',
  password: 'Password',
  nickname: 'Nickname',
  haveAccount: 'I have an account',
  needAccount: 'Create an account',
  signOut: 'Sign out',
  chats: 'Chats',
  contacts: 'Contacts',
  search: 'Find people',
  searchPlaceholder: 'Account, nickname, phone or email',
  add: 'Add friend',
  requestSent: 'Request sent',
  requests: 'Friend requests',
  accept: 'Accept',
  friends: 'Friends',
  online: 'online',
  offline: 'offline',
  message: 'Message',
  newGroup: 'New group',
  groupName: 'Group name',
  create: 'Create',
  cancel: 'Cancel',
  invitations: 'Group invitations',
  join: 'Join',
  typeMessage: 'Type a message',
  send: 'Send',
  image: 'Image',
  emoji: 'Emoji',
  reply: 'Reply',
  recall: 'Recall',
  recalled: 'A message was recalled',
  read: 'Read',
  readBy: '{n} read',
  notReadBy: '{n} not yet',
  sending: 'Sending…',
  failed: 'Not sent',
  typing: 'typing…',
  noConversation: 'Choose a conversation',
  connecting: 'Connecting…',
  disconnected: 'Offline — messages will be sent when the connection is back',
  mentionedYou: '[@me]',
  imagePreview: '[Image]',
  language: '中文',
  openFull: 'Open full size',
  members: '{n} members',
  loadOlder: 'Older messages',
  invite: 'Invite',
  elsewhere: 'AnyChat is open in another tab',
  useHere: 'Use here',
  codeSignIn: 'Sign in with a code',
  emailOrPhone: 'E-mail or phone number',
  sendCode: 'Send code',
  codeSent: 'Code sent — send again',
  code: 'Code',
  signInWith: 'Sign in with {name}',
  systemConversation: 'Notifications',
} as const;

const en = { ...baseEn, ...groupWords.en, ...profileWords.en, ...callWords.en, ...fileWords.en };
type Key = keyof typeof en;
const baseZh: Record<keyof typeof baseEn, string> = {
  appName: 'AnyChat',
  signIn: '登录',
  register: '注册',
  account: '账号',
  password: '密码',
  nickname: '昵称',
  haveAccount: '已有账号',
  needAccount: '注册新账号',
  signOut: '退出登录',
  chats: '会话',
  contacts: '通讯录',
  search: '查找用户',
  searchPlaceholder: '账号、昵称、手机号或邮箱',
  add: '加好友',
  requestSent: '已发送申请',
  requests: '好友申请',
  accept: '接受',
  friends: '好友',
  online: '在线',
  offline: '离线',
  message: '发消息',
  newGroup: '创建群聊',
  groupName: '群名称',
  create: '创建',
  cancel: '取消',
  invitations: '群邀请',
  join: '加入',
  typeMessage: '输入消息',
  send: '发送',
  image: '图片',
  emoji: '表情',
  reply: '引用',
  recall: '撤回',
  recalled: '一条消息已撤回',
  read: '已读',
  readBy: '{n}人已读',
  notReadBy: '{n}人未读',
  sending: '发送中…',
  failed: '发送失败',
  typing: '正在输入…',
  noConversation: '选择一个会话',
  connecting: '连接中…',
  disconnected: '已离线——恢复连接后自动发送',
  mentionedYou: '[有人@我]',
  imagePreview: '[图片]',
  language: 'English',
  openFull: '查看原图',
  members: '{n}名成员',
  loadOlder: '更早的消息',
  invite: '邀请',
  elsewhere: 'AnyChat 已在另一个标签页中打开',
  useHere: '在此使用',
  codeSignIn: '验证码登录',
  emailOrPhone: '邮箱或手机号',
  sendCode: '发送验证码',
  codeSent: '已发送——重新发送',
  code: '验证码',
  signInWith: '使用 {name} 登录',
  systemConversation: '系统通知',
};
const zh: Record<Key, string> = {
  ...baseZh,
  ...groupWords.zh,
  ...profileWords.zh,
  ...callWords.zh,
  ...fileWords.zh,
};

const dictionaries = { en, zh } as const;
export type Language = keyof typeof dictionaries;

const LANGUAGE_KEY = 'anychat.language';

/** The client's language for a BCP 47 tag (zh-CN, zh-Hans-SG, en-GB, the server's en): its family, if the client speaks it. */
export function languageOf(tag: string): Language | undefined {
  const family = tag.trim().toLowerCase().split('-')[0] ?? '';
  return Object.hasOwn(dictionaries, family) ? (family as Language) : undefined;
}

/** The server's name of a language (Accept-Language, the language setting). */
export function languageTag(next: Language): string {
  return next === 'zh' ? 'zh-CN' : 'en';
}

/**
 * Before anyone signs in (then the account's language setting decides, store.ts): the language
 * chosen in this browser, else the first of the browser's languages the client speaks, else the
 * platform's (DEFAULT_LANGUAGE, which the server writes into the page).
 */
function firstLanguage(): Language {
  const chosen = languageOf(localStorage.getItem(LANGUAGE_KEY) ?? '');
  if (chosen) return chosen;
  for (const tag of navigator.languages) {
    const spoken = languageOf(tag);
    if (spoken) return spoken;
  }
  const platform = document.querySelector<HTMLMetaElement>('meta[name="anychat-default-language"]');
  return languageOf(platform?.content ?? '') ?? 'en';
}

export const language = ref<Language>(firstLanguage());

/** Shows the screens in `next`; `remember`: a choice made here, kept for this browser's next visit. */
export function setLanguage(next: Language, remember = false): void {
  language.value = next;
  if (remember) localStorage.setItem(LANGUAGE_KEY, next);
  document.documentElement.lang = languageTag(next);
}

/** The word for `key` in the current language, `{name}` placeholders filled from `params`. */
export function t(key: Key, params: Record<string, string | number> = {}): string {
  return dictionaries[language.value][key].replace(/\{(\w+)\}/g, (_, name: string) =>
    String(params[name] ?? ''),
  );
}
