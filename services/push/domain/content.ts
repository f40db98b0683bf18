/**
 * The words of a push, in the device's language (English or Simplified Chinese, seed users'
 * own): what happened, who did it, and a preview of the text unless the user's privacy setting
 * hides it ("You have a new message").
 */

export type PushContent =
  | {
      kind: 'message';
      sessionType: 'single' | 'group';
      senderName: string;
      /** The group's name (group messages). */
      groupName: string;
      /** The message's short text (`[image]` for media). */
      preview: string;
      /** It @mentions the user (or everyone). */
      mention: boolean;
      /** Messages of this conversation pushed since the user last read it (this one included). */
      count: number;
    }
  | { kind: 'friend_request'; fromName: string }
  | { kind: 'group_invitation'; inviterName: string; groupName: string }
  | { kind: 'call'; callerName: string; video: boolean }
  /** Someone put an emoji on the user's message. */
  | { kind: 'reaction'; reactorName: string; emoji: string; preview: string }
  | { kind: 'test' };

type Language = 'en' | 'zh';

export const languageOf = (tag: string): Language => (tag.toLowerCase().startsWith('zh') ? 'zh' : 'en');

const WORDS = {
  en: {
    app: 'AnyChat',
    hidden: 'You have a new message',
    hiddenMany: (n: number) => `You have ${n} new messages`,
    count: (n: number) => `[${n} messages] `,
    mention: '[You were mentioned] ',
    friendRequest: 'New friend request',
    friendRequestBody: (name: string) => `${name} wants to add you as a friend`,
    groupInvitation: 'Group invitation',
    groupInvitationBody: (name: string, group: string) => `${name} invited you to join ${group}`,
    call: (video: boolean) => (video ? 'Incoming video call' : 'Incoming voice call'),
    callBody: (name: string) => `${name} is calling you`,
    reaction: 'New reaction',
    reactionBody: (name: string, emoji: string, preview: string) =>
      `${name} reacted ${emoji} to "${preview}"`,
    test: 'Test notification',
    testBody: 'Push notifications reach this device.',
  },
  zh: {
    app: 'AnyChat',
    hidden: '你收到一条新消息',
    hiddenMany: (n: number) => `你收到${n}条新消息`,
    count: (n: number) => `[${n}条] `,
    mention: '[有人@我] ',
    friendRequest: '新的好友申请',
    friendRequestBody: (name: string) => `${name} 请求添加你为好友`,
    groupInvitation: '入群邀请',
    groupInvitationBody: (name: string, group: string) => `${name} 邀请你加入群聊「${group}」`,
    call: (video: boolean) => (video ? '视频通话邀请' : '语音通话邀请'),
    callBody: (name: string) => `${name} 正在呼叫你`,
    reaction: '新的回应',
    reactionBody: (name: string, emoji: string, preview: string) => `${name} 对“${preview}”回应了 ${emoji}`,
    test: '测试通知',
    testBody: '这台设备可以收到推送通知。',
  },
} as const;

/** Provider payloads stay small (APNs: 4 KB): previews are cut. */
const PREVIEW_MAX = 120;
const clip = (text: string) => (text.length > PREVIEW_MAX ? `${text.slice(0, PREVIEW_MAX - 1)}…` : text);

export function render(
  content: PushContent,
  languageTag: string,
  preview: boolean,
): { title: string; body: string } {
  const w = WORDS[languageOf(languageTag)];
  switch (content.kind) {
    case 'message': {
      if (!preview) return { title: w.app, body: content.count > 1 ? w.hiddenMany(content.count) : w.hidden };
      const prefix = `${content.mention ? w.mention : ''}${content.count > 1 ? w.count(content.count) : ''}`;
      if (content.sessionType === 'group') {
        return { title: content.groupName, body: clip(`${prefix}${content.senderName}: ${content.preview}`) };
      }
      return { title: content.senderName, body: clip(`${prefix}${content.preview}`) };
    }
    case 'friend_request':
      return { title: w.friendRequest, body: preview ? w.friendRequestBody(content.fromName) : w.hidden };
    case 'group_invitation':
      return {
        title: w.groupInvitation,
        body: preview ? w.groupInvitationBody(content.inviterName, content.groupName) : w.hidden,
      };
    case 'call':
      return { title: w.call(content.video), body: preview ? w.callBody(content.callerName) : w.hidden };
    case 'reaction':
      return {
        title: preview ? content.reactorName : w.reaction,
        body: preview ? clip(w.reactionBody(content.reactorName, content.emoji, content.preview)) : w.hidden,
      };
    case 'test':
      return { title: w.test, body: w.testBody };
  }
}
