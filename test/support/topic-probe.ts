import type { TestPlatform } from './platform.ts';

/**
 * The next event on `topic` whose data passes `match`, as the platform's bus carries it (a
 * subscriber of its own, beside the services'). Lets a test wait for an event that should change
 * nothing, without waiting for the whole bus to be idle.
 */
export function nextEvent(
  platform: TestPlatform,
  topic: string,
  match: (data: Record<string, unknown>) => boolean = () => true,
): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const stop = platform.bus.subscribe(`probe-${topic}-${Math.random().toString(36).slice(2)}`, {
      pubsubName: platform.pubsubName,
      topic,
      async handle(cloudEvent) {
        const data = cloudEvent.data as Record<string, unknown>;
        if (match(data)) {
          stop();
          resolve(data);
        }
        return 'SUCCESS';
      },
    });
  });
}
