import {
  AccessToken,
  RoomServiceClient,
  ServerError,
  TrackSource,
  type WebhookEvent,
  WebhookReceiver,
} from 'livekit-server-sdk';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import type { LiveKitSettings } from '../../platform/rtc-config.ts';

/** What one participant may do in a room: every grant a token of ours carries is decided here. */
export interface RoomGrant {
  room: string;
  /** The user id: one identity per user, so a second device that joins takes the first one's place. */
  identity: string;
  name: string;
  /** What the participant may publish (video calls add a camera to the microphone; meetings by their settings). */
  sources: PublishSource[];
  ttlSeconds: number;
}

export type PublishSource = 'microphone' | 'camera' | 'screen_share';
const SOURCES: Record<PublishSource, TrackSource[]> = {
  microphone: [TrackSource.MICROPHONE],
  camera: [TrackSource.CAMERA],
  screen_share: [TrackSource.SCREEN_SHARE, TrackSource.SCREEN_SHARE_AUDIO],
};

export interface LiveTrack {
  source: string;
  muted: boolean;
}

export interface LiveParticipant {
  identity: string;
  tracks: LiveTrack[];
}

const SOURCE_NAMES: Record<number, string> = {
  [TrackSource.MICROPHONE]: 'microphone',
  [TrackSource.CAMERA]: 'camera',
  [TrackSource.SCREEN_SHARE]: 'screen_share',
  [TrackSource.SCREEN_SHARE_AUDIO]: 'screen_share_audio',
};

/**
 * The LiveKit server as the rtc service uses it: rooms through the room service API, access
 * tokens, and webhook verification (a JWT signed with the API secret that carries the body's
 * SHA-256). A LiveKit that cannot be reached answers 100110, never a 500.
 */
export class LiveKit {
  readonly url: string;
  readonly #settings: LiveKitSettings;
  readonly #rooms: RoomServiceClient;
  readonly #webhooks: WebhookReceiver;

  constructor(settings: LiveKitSettings) {
    this.#settings = settings;
    this.url = settings.url;
    this.#rooms = new RoomServiceClient(settings.apiUrl, settings.apiKey, settings.apiSecret);
    this.#webhooks = new WebhookReceiver(settings.apiKey, settings.apiSecret);
  }

  async createRoom(name: string, options: { emptyTimeoutSeconds: number; maxParticipants: number }) {
    await unavailableOnFailure(() =>
      this.#rooms.createRoom({
        name,
        emptyTimeout: options.emptyTimeoutSeconds,
        departureTimeout: 10,
        maxParticipants: options.maxParticipants,
      }),
    );
  }

  /** Closes a room, disconnecting whoever is still in it; a room already gone is fine. */
  async deleteRoom(name: string): Promise<void> {
    await unavailableOnFailure(async () => {
      try {
        await this.#rooms.deleteRoom(name);
      } catch (error) {
        if (error instanceof ServerError && error.status === 404) return;
        throw error;
      }
    });
  }

  /** Mutes the microphones `identities` publish now (LiveKit's own server-side mute). */
  async muteMicrophones(room: string, identities: Set<string>): Promise<number> {
    let muted = 0;
    for (const participant of await this.#listed(room)) {
      if (!identities.has(participant.identity)) continue;
      for (const track of participant.tracks) {
        if (track.source !== TrackSource.MICROPHONE || track.muted) continue;
        await unavailableOnFailure(() =>
          this.#rooms.mutePublishedTrack(room, participant.identity, track.sid, true),
        );
        muted++;
      }
    }
    return muted;
  }

  /** Disconnects a participant; one not in the room is fine. */
  async removeParticipant(room: string, identity: string): Promise<void> {
    await unavailableOnFailure(async () => {
      try {
        await this.#rooms.removeParticipant(room, identity);
      } catch (error) {
        if (error instanceof ServerError && error.status === 404) return;
        throw error;
      }
    });
  }

  /** Names of the rooms among `names` that LiveKit has now. */
  async existingRooms(names: string[]): Promise<Set<string>> {
    if (names.length === 0) return new Set();
    const rooms = await unavailableOnFailure(() => this.#rooms.listRooms(names));
    return new Set(rooms.map((room) => room.name));
  }

  async participants(room: string): Promise<LiveParticipant[]> {
    return (await this.#listed(room)).map((participant) => ({
      identity: participant.identity,
      tracks: participant.tracks.map((track) => ({
        source: SOURCE_NAMES[track.source] ?? 'unknown',
        muted: track.muted,
      })),
    }));
  }

  #listed(room: string) {
    return unavailableOnFailure(async () => {
      try {
        return await this.#rooms.listParticipants(room);
      } catch (error) {
        if (error instanceof ServerError && error.status === 404) return [];
        throw error;
      }
    });
  }

  /**
   * A token that joins one room and publishes only what the call allows: no room administration,
   * no other room, no recording, no changing its own name or permissions.
   */
  async token(grant: RoomGrant): Promise<string> {
    const token = new AccessToken(this.#settings.apiKey, this.#settings.apiSecret, {
      identity: grant.identity,
      name: grant.name,
      ttl: grant.ttlSeconds,
    });
    token.addGrant({
      room: grant.room,
      roomJoin: true,
      canSubscribe: true,
      canPublishData: true,
      canPublish: grant.sources.length > 0,
      canPublishSources: grant.sources.flatMap((source) => SOURCES[source]),
      canUpdateOwnMetadata: false,
      roomAdmin: false,
      roomCreate: false,
      roomList: false,
      roomRecord: false,
      hidden: false,
      recorder: false,
    });
    return token.toJwt();
  }

  /** The event of a webhook request, or 000012 when its signature does not hold. */
  async webhookEvent(body: string, authorization: string | undefined): Promise<WebhookEvent> {
    try {
      return await this.#webhooks.receive(body, authorization);
    } catch (error) {
      throw new AppError(ErrorCode.UNAUTHENTICATED, {
        detail: `LiveKit webhook refused: ${(error as Error).message}`,
      });
    }
  }
}

async function unavailableOnFailure<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new AppError(ErrorCode.LIVEKIT_UNAVAILABLE, {
      detail: `LiveKit: ${(error as Error).message}`,
      cause: error,
    });
  }
}
