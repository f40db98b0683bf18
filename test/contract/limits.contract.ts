/**
 * The limits of the platform hammered in parallel on a state adapter (part of the ports contract,
 * so it runs on the embedded adapter and on real Dapr sidecars with each state store): every
 * attempt is counted by a write under an ETag before it is answered, so parallel attempts never
 * get past a limit, whatever the store.
 */
import { expect } from 'chai';
import type { CodeMessage, Delivery } from '../../services/auth/domain/delivery/index.ts';
import { VerificationCodes } from '../../services/auth/domain/verification-codes.ts';
import { AppError, ErrorCode } from '../../services/platform/errors.ts';
import type { StateStore } from '../../services/platform/ports/index.ts';
import { SignInThrottle, WindowLimit } from '../../services/platform/security/index.ts';

const PARALLEL = 40;
const CODE_ATTEMPTS = 5;

let unique = 0;
const name = (prefix: string) => `${prefix}-${Date.now()}-${unique++}`;

/** What each parallel call ended with: 'ok', or the AppError code it was refused with. */
async function outcomes(calls: Array<Promise<unknown>>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const result of await Promise.allSettled(calls)) {
    if (result.status === 'rejected' && !(result.reason instanceof AppError)) throw result.reason;
    const outcome = result.status === 'fulfilled' ? 'ok' : String(result.reason.code);
    counts[outcome] = (counts[outcome] ?? 0) + 1;
  }
  return counts;
}

/** Keeps the codes instead of sending them: what is counted here is the store's part, not delivery. */
class CapturingSender implements Delivery {
  readonly sent: CodeMessage[] = [];
  supports(): boolean {
    return true;
  }
  async sendCode(message: CodeMessage): Promise<void> {
    this.sent.push(message);
  }
  async sendAlert(): Promise<boolean> {
    return false;
  }
  close(): void {}
}

export function limitsContract(store: () => StateStore) {
  const codes = (sender: Delivery, resendSeconds = 0) =>
    new VerificationCodes(store(), sender, { ttlSeconds: 300, resendSeconds, targetHourlyLimit: 1000 });
  const en = { language: 'en' } as const;

  it(`answers only ${CODE_ATTEMPTS} of ${PARALLEL} parallel wrong code guesses, and the code is dead after them`, async () => {
    const sender = new CapturingSender();
    const target = `${name('guess')}@example.com`;
    await codes(sender).issue('email', target, 'reset_password', en);
    const right = sender.sent[0]!.code;
    const wrong = Array.from({ length: PARALLEL }, (_, i) =>
      String((Number(right) + 1 + i) % 1_000_000).padStart(6, '0'),
    );
    const answers = await outcomes(
      wrong.map((code) => codes(sender).consume(target, 'reset_password', code)),
    );
    expect(answers, JSON.stringify(answers)).to.deep.equal({
      [ErrorCode.VERIFY_CODE_WRONG]: CODE_ATTEMPTS,
      [ErrorCode.VERIFY_CODE_EXPIRED]: PARALLEL - CODE_ATTEMPTS,
    });
    const late = await outcomes([codes(sender).consume(target, 'reset_password', right)]);
    expect(late).to.deep.equal({ [ErrorCode.VERIFY_CODE_EXPIRED]: 1 });
  });

  it('lets exactly one of several parallel right uses of a code through', async () => {
    const sender = new CapturingSender();
    const target = `${name('right')}@example.com`;
    await codes(sender).issue('email', target, 'register', en);
    const right = sender.sent[0]!.code;
    const answers = await outcomes(
      Array.from({ length: 5 }, () => codes(sender).consume(target, 'register', right)),
    );
    expect(answers).to.deep.equal({ ok: 1, [ErrorCode.VERIFY_CODE_EXPIRED]: 4 });
  });

  it('sends one code per target per resend interval, however many ask at once', async () => {
    const sender = new CapturingSender();
    const target = `${name('send')}@example.com`;
    const answers = await outcomes(
      Array.from({ length: 10 }, () => codes(sender, 60).issue('email', target, 'register', en)),
    );
    expect(answers).to.deep.equal({ ok: 1, [ErrorCode.TOO_MANY_REQUESTS]: 9 });
    expect(sender.sent).to.have.length(1);
  });

  it(`counts ${PARALLEL} parallel sign-in attempts one by one: the free ones pass, the rest are refused`, async () => {
    const throttle = new SignInThrottle(store(), name('sign-in'), {
      maxFailures: 5,
      backoffSeconds: 30,
      maxBackoffSeconds: 900,
      accountMaxFailures: 50,
      addressMaxFailures: 20,
    });
    const account = name('account');
    const answers = await outcomes(
      Array.from({ length: PARALLEL }, () => throttle.begin({ account, address: '192.0.2.1' })),
    );
    expect(answers, JSON.stringify(answers)).to.deep.equal({
      ok: 5,
      [ErrorCode.TOO_MANY_REQUESTS]: PARALLEL - 5,
    });
    // Another address is counted apart; a known device on its own.
    await throttle.begin({ account, address: '192.0.2.2' });
    await throttle.begin({ account, address: '192.0.2.1', knownDevice: 'phone' });
  });

  it('takes at most the limit of a window from many parallel requests, and spreads them so none is refused below it', async () => {
    const subject = name('window');
    const small = new WindowLimit(store(), name('rate'), { limit: 20, windowMs: 86_400_000 });
    const capped = await outcomes(Array.from({ length: 60 }, () => small.take(subject)));
    expect(capped, JSON.stringify(capped)).to.deep.equal({ ok: 20, [ErrorCode.TOO_MANY_REQUESTS]: 40 });
    const large = new WindowLimit(store(), name('rate'), { limit: 1000, windowMs: 86_400_000 });
    const roomy = await outcomes(Array.from({ length: 60 }, () => large.take(subject)));
    expect(roomy, JSON.stringify(roomy)).to.deep.equal({ ok: 60 });
  });
}
