import type { Config } from '../../../platform/config.ts';
import type { Language } from '../../../platform/errors.ts';
import type { Logger } from '../../../platform/logger.ts';
import { SmtpMailer } from './mailer.ts';
import { HttpSmsProvider, postJson, type SmsProvider } from './sms.ts';
import { render, type TemplateVars } from './templates.ts';

export type CodeChannel = 'sms' | 'email';
export type CodePurpose = 'register' | 'reset_password' | 'login';

export interface CodeMessage {
  channel: CodeChannel;
  target: string;
  code: string;
  purpose: CodePurpose;
  language: Language;
  ttlSeconds: number;
}

/** Delivers codes and alerts to phones and mailboxes. */
export interface Delivery {
  /** Whether codes can be sent on `channel` at all. */
  supports(channel: CodeChannel): boolean;
  sendCode(message: CodeMessage): Promise<void>;
  /** Sends a sign-in alert by e-mail (Chinese, then English: the account's language is not known here); false without a mail server. */
  sendAlert(email: string, vars: TemplateVars): Promise<boolean>;
  close(): void;
}

/**
 * Codes go by e-mail through SMTP and by SMS through the HTTP provider when those are configured;
 * a channel without its own sender falls back to the webhook (`{channel, target, code, purpose}`,
 * for gateways that render their own text).
 */
export class ConfiguredDelivery implements Delivery {
  readonly #mailer: SmtpMailer | undefined;
  readonly #sms: SmsProvider | undefined;
  readonly #webhookUrl: string | undefined;

  constructor(config: Config['auth'], logger: Logger) {
    this.#mailer = config.smtp ? new SmtpMailer(config.smtp, logger) : undefined;
    this.#sms = config.sms ? new HttpSmsProvider(config.sms.url, config.sms.token) : undefined;
    this.#webhookUrl = config.codeWebhookUrl;
  }

  supports(channel: CodeChannel): boolean {
    return (channel === 'email' ? this.#mailer : this.#sms) !== undefined || this.#webhookUrl !== undefined;
  }

  async sendCode(message: CodeMessage): Promise<void> {
    const { channel, target, code, purpose, language } = message;
    const rendered = render(purpose, language, { code, minutes: Math.ceil(message.ttlSeconds / 60) });
    if (channel === 'email' && this.#mailer) return this.#mailer.send(target, rendered);
    if (channel === 'sms' && this.#sms) return this.#sms.send(target, rendered.text);
    if (this.#webhookUrl) {
      return postJson(this.#webhookUrl, { channel, target, code, purpose }, {}, 'the code gateway');
    }
  }

  async sendAlert(email: string, vars: TemplateVars): Promise<boolean> {
    if (!this.#mailer) return false;
    const zh = render('login_alert', 'zh-CN', vars);
    const en = render('login_alert', 'en', vars);
    await this.#mailer.send(email, {
      subject: `${zh.subject} / ${en.subject}`,
      text: `${zh.text}\n\n${en.text}`,
    });
    return true;
  }

  close(): void {
    this.#mailer?.close();
  }
}
