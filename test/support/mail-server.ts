import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
}

export interface MailServerOptions {
  /** Answer every message with this SMTP error (a mail server refusing delivery). */
  refuse?: { code: number; message: string };
  /** Offer STARTTLS (a self-signed certificate: only for tests that show it is not trusted). */
  starttls?: boolean;
  /** Require AUTH PLAIN/LOGIN with these credentials. */
  credentials?: { user: string; password: string };
}

/**
 * A real SMTP server (smtp-server) on loopback: the platform's mailer speaks SMTP to it, and each
 * received message is parsed (mailparser) for the test to read, as a mailbox would show it.
 */
export class MailServer {
  readonly received: ReceivedMail[] = [];
  readonly #server: SMTPServer;
  port = 0;

  private constructor(options: MailServerOptions) {
    this.#server = new SMTPServer({
      disabledCommands: [...(options.starttls ? [] : ['STARTTLS']), ...(options.credentials ? [] : ['AUTH'])],
      allowInsecureAuth: true,
      authOptional: !options.credentials,
      logger: false,
      onAuth: (auth, _session, callback) => {
        const { user, password } = options.credentials ?? { user: '', password: '' };
        if (auth.username === user && auth.password === password) callback(null, { user });
        else callback(Object.assign(new Error('invalid credentials'), { responseCode: 535 }));
      },
      onData: (stream, session, callback) => {
        simpleParser(stream).then(
          (mail: ParsedMail) => {
            if (options.refuse) {
              callback(
                Object.assign(new Error(options.refuse.message), { responseCode: options.refuse.code }),
              );
              return;
            }
            const received = {
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
              subject: mail.subject ?? '',
              text: mail.text ?? '',
            };
            // Stored before the 250 answer: once the sender's call returns, the mail is here.
            this.received.push(received);
            callback();
          },
          (error: Error) => callback(error),
        );
      },
    });
  }

  static async start(options: MailServerOptions = {}): Promise<MailServer> {
    const server = new MailServer(options);
    await new Promise<void>((resolve) => server.#server.listen(0, '127.0.0.1', resolve));
    server.port = (server.#server.server.address() as AddressInfo).port;
    return server;
  }

  /** Settings that point the platform's mailer here. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(this.port), SMTP_TLS: 'none', ...extra };
  }

  /** The last mail received for `to`. */
  lastTo(to: string): ReceivedMail {
    const mail = this.received.findLast((received) => received.to.includes(to));
    if (!mail) throw new Error(`no mail was received for ${to}`);
    return mail;
  }

  /** The six-digit code in the last mail received for `to`. */
  codeFor(to: string): string {
    const code = /\b([0-9]{6})\b/.exec(this.lastTo(to).text)?.[1];
    if (!code) throw new Error(`the last mail to ${to} holds no code`);
    return code;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
