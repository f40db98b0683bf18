import type { Language } from '../../../platform/errors.ts';

/** What a mail or a text message is about. */
export type MessageKind = 'register' | 'reset_password' | 'login' | 'login_alert';

export interface RenderedMessage {
  subject: string;
  text: string;
}

export interface TemplateVars {
  code?: string;
  minutes?: number;
  /** Sign-in alerts: the device and the address it signed in from, and when. */
  device?: string;
  ip?: string;
  at?: string;
}

type Template = (vars: TemplateVars) => RenderedMessage;

const codeLines = (vars: TemplateVars, en: boolean) =>
  en
    ? `Your code is ${vars.code}. It expires in ${vars.minutes} minutes. If you did not ask for it, ignore this message; never share the code with anyone.`
    : `您的验证码是 ${vars.code}，${vars.minutes} 分钟内有效。如非本人操作请忽略本消息，切勿将验证码告诉他人。`;

const TEMPLATES: Record<Language, Record<MessageKind, Template>> = {
  en: {
    register: (vars) => ({ subject: 'AnyChat: confirm your registration', text: codeLines(vars, true) }),
    reset_password: (vars) => ({ subject: 'AnyChat: reset your password', text: codeLines(vars, true) }),
    login: (vars) => ({ subject: 'AnyChat: your sign-in code', text: codeLines(vars, true) }),
    login_alert: (vars) => ({
      subject: 'AnyChat: new sign-in to your account',
      text:
        `Your account was signed in on ${vars.device} from ${vars.ip} at ${vars.at}.\n` +
        'If this was not you, end that session under Settings > Devices on another device and change your password.',
    }),
  },
  'zh-CN': {
    register: (vars) => ({ subject: 'AnyChat：注册验证码', text: codeLines(vars, false) }),
    reset_password: (vars) => ({ subject: 'AnyChat：重置密码验证码', text: codeLines(vars, false) }),
    login: (vars) => ({ subject: 'AnyChat：登录验证码', text: codeLines(vars, false) }),
    login_alert: (vars) => ({
      subject: 'AnyChat：账号异常登录提醒',
      text:
        `您的账号于 ${vars.at} 在 ${vars.device}（${vars.ip}）上登录。\n` +
        '如非本人操作，请在其他设备的“设置 > 登录设备”中结束该会话，并修改密码。',
    }),
  },
};

/** The mail (subject and body) or text message (body) of `kind`, in `language`. */
export function render(kind: MessageKind, language: Language, vars: TemplateVars): RenderedMessage {
  return TEMPLATES[language][kind](vars);
}
