import {
  AudioFrame,
  AudioSource,
  LocalAudioTrack,
  Room,
  TrackPublishOptions,
  TrackSource,
} from '@livekit/rtc-node';
import { RoomServiceClient } from 'livekit-server-sdk';
import { type ApiClient, registerUser } from '../support/api-client.ts';
import { requirePostgres } from '../support/backends.ts';
import { befriend, loginDevice, type User } from '../support/chat.ts';
import { type LiveKitServer, startLiveKit } from '../support/livekit.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';
import { freePort } from '../support/processes.ts';
import { WsClient } from '../support/ws-client.ts';

export interface RtcWorld {
  platform: TestPlatform;
  livekit: LiveKitServer;
  /** LiveKit's own API, to check what the platform did there. */
  rooms: RoomServiceClient;
  stop(): Promise<void>;
}

/** Short ring time and sweep, so that missed calls are seen within a test. */
export const RING_SECONDS = 5;

/** A LiveKit server whose webhooks go to the platform, and the platform configured with it. */
export async function startRtcWorld(
  backend: 'postgresql' | 'pglite',
  env: Record<string, string> = {},
): Promise<RtcWorld> {
  const port = await freePort();
  const livekit = await startLiveKit({ webhookUrl: `http://127.0.0.1:${port}/api/v1/rtc/webhook` });
  try {
    const platform = await startPlatform(backend, {
      ...livekit.env,
      PORT: String(port),
      RTC_RING_TIMEOUT_SECONDS: String(RING_SECONDS),
      RTC_SWEEP_SECONDS: '1',
      ...env,
    });
    return {
      platform,
      livekit,
      rooms: new RoomServiceClient(livekit.url, livekit.apiKey, livekit.apiSecret),
      async stop() {
        await platform.stop();
        await livekit.stop();
      },
    };
  } catch (error) {
    await livekit.stop();
    throw error;
  }
}

/** Runs a describe block once per backend, each with its own LiveKit and platform. */
export function forEachRtcBackend(title: string, body: (world: () => RtcWorld) => void) {
  for (const backend of ['postgresql', 'pglite'] as const) {
    describe(`${title} [${backend}]`, function () {
      this.timeout(90_000);
      let world: RtcWorld | undefined;
      before(async function () {
        this.timeout(180_000);
        if (backend === 'postgresql') await requirePostgres(this);
        world = await startRtcWorld(backend);
      });
      after(async () => {
        await world?.stop();
      });
      body(() => {
        if (!world) throw new Error('rtc world not started');
        return world;
      });
    });
  }
}

/** A user signed in on a web and a phone device, each connected over WebSocket. */
export interface TwoDeviceUser {
  user: User;
  web: WsClient;
  phone: WsClient;
  phoneToken: string;
}

export async function userWithTwoDevices(api: ApiClient, url: string): Promise<TwoDeviceUser> {
  const user = await registerUser(api);
  const { accessToken: phoneToken } = await loginDevice(api, user, 'iOS', `ios-${user.account}`);
  const web = await WsClient.connect(url, user.accessToken);
  const phone = await WsClient.connect(url, phoneToken);
  return { user, web, phone, phoneToken };
}

/** Two friends, each connected on one device. */
export async function callers(platform: TestPlatform) {
  const a = await registerUser(platform.api);
  const b = await registerUser(platform.api);
  await befriend(platform.api, a, b);
  return { a, b };
}

/** A real participant: joins a LiveKit room with a token our API issued and publishes a microphone. */
export class Participant {
  readonly room = new Room();
  #source: AudioSource | undefined;
  #timer: NodeJS.Timeout | undefined;

  static async join(url: string, token: string): Promise<Participant> {
    const participant = new Participant();
    await participant.room.connect(url, token, { autoSubscribe: true, dynacast: false });
    return participant;
  }

  /** Joins and publishes a microphone; `into` keeps it for the caller's cleanup even if publishing fails. */
  static async talking(url: string, token: string, into: Participant[]): Promise<Participant> {
    const participant = await Participant.join(url, token);
    into.push(participant);
    await participant.publishAudio();
    return participant;
  }

  /** Publishes a microphone track and keeps feeding it silence (10 ms frames), as a muted mic would. */
  async publishAudio(): Promise<void> {
    const source = new AudioSource(48_000, 1);
    this.#source = source;
    const track = LocalAudioTrack.createAudioTrack('microphone', source);
    const options = new TrackPublishOptions();
    options.source = TrackSource.SOURCE_MICROPHONE;
    await this.room.localParticipant!.publishTrack(track, options);
    const frame = () => new AudioFrame(new Int16Array(480), 48_000, 1, 480);
    this.#timer = setInterval(() => void source.captureFrame(frame()).catch(() => {}), 10);
  }

  async leave(): Promise<void> {
    clearInterval(this.#timer);
    await this.room.disconnect();
    await this.#source?.close();
  }
}

/** The NOTIFICATION of `kind` about `callId` on a connection. */
export function callNotice(ws: WsClient, kind: string, callId: string, timeoutMs = 10_000, from = 0) {
  return ws.next(
    (f) => f.type === 'NOTIFICATION' && f.data?.kind === kind && f.data?.payload?.callId === callId,
    timeoutMs,
    from,
  );
}

/** Whether a NOTIFICATION of `kind` about `callId` has arrived on the connection. */
export function hasNotice(ws: WsClient, kind: string, callId: string): boolean {
  return ws.frames.some(
    (f) => f.type === 'NOTIFICATION' && f.data?.kind === kind && f.data?.payload?.callId === callId,
  );
}
