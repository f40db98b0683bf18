import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

export interface StreamOptions {
  natsUrl: string;
  streamName: string;
  subjects: string[];
  /** How long events are kept for consumers that are behind (seconds). */
  maxAgeSeconds?: number;
  /** Delete the stream and its consumers first (test runs start clean). */
  reset?: boolean;
}

/**
 * Creates or updates the JetStream stream that holds AnyChat's topics. Dapr's JetStream component
 * publishes into an existing stream and does not create one, so an installation needs this once
 * (and again when topic families are added): `npm run dapr:jetstream`, or the operator.
 */
export async function ensureJetStreamStream(options: StreamOptions): Promise<void> {
  const connection = await connect({ servers: options.natsUrl, timeout: 5_000 });
  try {
    const manager = await jetstreamManager(connection);
    if (options.reset) await manager.streams.delete(options.streamName).catch(() => false);
    const config = {
      name: options.streamName,
      subjects: options.subjects,
      max_age: (options.maxAgeSeconds ?? 7 * 86_400) * 1_000_000_000,
    };
    const exists = await manager.streams.info(options.streamName).then(
      () => true,
      (error: Error) => {
        if (/stream not found/i.test(error.message)) return false;
        throw error;
      },
    );
    try {
      if (exists) await manager.streams.update(options.streamName, config);
      else await manager.streams.add(config);
    } catch (error) {
      if (!/subjects overlap/i.test(String((error as Error).message))) throw error;
      const others = (await manager.streams.names().next()).filter((name) => name !== options.streamName);
      throw new Error(
        `JetStream on ${options.natsUrl}: stream ${options.streamName} cannot take ${options.subjects.join(' ')}: another stream (${others.join(', ')}) already holds some of them. Remove it (nats stream rm <name>) or use another NATS server.`,
      );
    }
  } finally {
    await connection.close();
  }
}

/** Deletes a stream and its consumers if it exists. */
export async function deleteJetStreamStream(natsUrl: string, streamName: string): Promise<void> {
  const connection = await connect({ servers: natsUrl, timeout: 5_000 });
  try {
    const manager = await jetstreamManager(connection);
    await manager.streams.delete(streamName).catch(() => false);
  } finally {
    await connection.close();
  }
}
