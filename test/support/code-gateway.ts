import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SentCode {
  channel: string;
  target: string;
  code: string;
  purpose: string;
}

/**
 * A stand-in SMS/e-mail gateway: the platform's webhook code sender posts each code here, as it
 * would to a provider (AUTH_CODE_WEBHOOK_URL = `url`), and the test reads what was sent.
 */
export class CodeGateway {
  readonly sent: SentCode[] = [];
  readonly #server: Server;
  url = '';

  private constructor() {
    this.#server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        this.sent.push(JSON.parse(body));
        res.end('{}');
      });
    });
  }

  static async start(): Promise<CodeGateway> {
    const gateway = new CodeGateway();
    await new Promise<void>((resolve) => gateway.#server.listen(0, '127.0.0.1', resolve));
    gateway.url = `http://127.0.0.1:${(gateway.#server.address() as AddressInfo).port}/codes`;
    return gateway;
  }

  /** The last code sent to `target`. */
  lastTo(target: string): SentCode {
    const code = this.sent.findLast((sent) => sent.target === target);
    if (!code) throw new Error(`no code was sent to ${target}`);
    return code;
  }

  close(): void {
    this.#server.close();
  }
}
