/**
 * Creates (or updates) the JetStream stream AnyChat's topics live in, on the NATS server of
 * components/pubsub-nats (or NATS_URL). Needed once per NATS installation before `dapr run -f .`.
 */
import { ensureJetStreamStream, LOCAL_BACKENDS, streamSubjects } from '../../common/deploy/index.ts';

const natsUrl = process.env.NATS_URL ?? LOCAL_BACKENDS.nats.natsUrl;
const streamName = process.env.NATS_STREAM ?? LOCAL_BACKENDS.nats.streamName;
const subjects = streamSubjects();
await ensureJetStreamStream({ natsUrl, streamName, subjects });
console.log(`stream ${streamName} on ${natsUrl} holds ${subjects.join(' ')}`);
