import { createTransport, type Transporter } from 'nodemailer';
import type { Config } from '../../../platform/config.ts';
import { AppError, ErrorCode } from '../../../platform/errors.ts';
import type { Logger } from '../../../platform/logger.ts';
import type { RenderedMessage } from './templates.ts';

export type SmtpSettings = NonNullable<Config['auth']['smtp']>;

/** Sends mail through the configured SMTP server (nodemailer). */
export class SmtpMailer {
  readonly #transport: Transporter;
  readonly #from: string;
  readonly #logger: Logger;

  constructor(settings: SmtpSettings, logger: Logger) {
    this.#from = settings.from;
    this.#logger = logger;
    this.#transport = createTransport({
      host: settings.host,
      port: settings.port,
      secure: settings.tls === 'implicit',
      requireTLS: settings.tls === 'starttls',
      ignoreTLS: settings.tls === 'none',
      ...(settings.user ? { auth: { user: settings.user, pass: settings.password ?? '' } } : {}),
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 15_000,
    });
  }

  /** Sends one mail; a refusal or an unreachable server is 10118 for the client (logged without the text). */
  async send(to: string, message: RenderedMessage): Promise<void> {
    try {
      await this.#transport.sendMail({ from: this.#from, to, subject: message.subject, text: message.text });
    } catch (error) {
      this.#logger.warn(
        { err: { message: (error as Error).message, code: (error as { code?: string }).code } },
        'mail could not be sent',
      );
      throw new AppError(ErrorCode.CODE_DELIVERY_FAILED, {
        detail: 'the mail server did not take the message',
      });
    }
  }

  close(): void {
    this.#transport.close();
  }
}
