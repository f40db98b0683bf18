/**
 * The one module that uses LiveKit's web SDK. It is loaded with a dynamic import when a call or a
 * meeting starts, so livekit-client is a chunk of its own and never part of the app's first load.
 */
import {
  DisconnectReason,
  type Participant,
  type RemoteTrack,
  Room,
  RoomEvent,
  Track,
  type VideoTrack,
} from 'livekit-client';
import { markRaw } from 'vue';
import type { JoinTicket } from './api.ts';
import { demoteRoomTeardownErrors } from './sdk-logging.ts';

demoteRoomTeardownErrors();

/** One person in the room as the screen shows them. */
export interface Peer {
  /** LiveKit identity: our user id (the tokens are issued so). */
  identity: string;
  name: string;
  local: boolean;
  /** Publishes a microphone that is not muted. */
  micOn: boolean;
  speaking: boolean;
  /** The camera track, when one is published and not muted (kept out of Vue's reactivity). */
  video: VideoTrack | null;
}

/** The reactive part the screens render; the room writes it after every change. */
export interface MediaView {
  peers: Peer[];
  micOn: boolean;
  cameraOn: boolean;
}

/** Why the room ended without us leaving it: the server closed it, or removed us. */
export type GoneReason = 'closed' | 'removed' | 'lost';

export interface MediaRoom {
  setMicrophone(on: boolean): Promise<void>;
  setCamera(on: boolean): Promise<void>;
  leave(): Promise<void>;
}

function peerOf(participant: Participant, local: boolean): Peer {
  const mic = participant.getTrackPublication(Track.Source.Microphone);
  const camera = participant.getTrackPublication(Track.Source.Camera);
  const video = camera && !camera.isMuted ? (camera.videoTrack ?? null) : null;
  return {
    identity: participant.identity,
    name: participant.name || participant.identity,
    local,
    micOn: Boolean(mic?.track) && !mic?.isMuted,
    speaking: participant.isSpeaking,
    video: video ? markRaw(video) : null,
  };
}

/**
 * Joins the ticket's room, publishes the microphone (unless `muted`) and the camera (`video`), plays
 * what the others publish, and keeps `view` up to date. `gone` is called once when the room ends
 * without `leave()`.
 */
export async function joinRoom(
  ticket: JoinTicket,
  options: { video: boolean; muted: boolean },
  view: MediaView,
  gone: (reason: GoneReason) => void,
): Promise<MediaRoom> {
  const room = new Room({ adaptiveStream: true, dynacast: true });
  // Remote audio plays through elements of its own, out of sight (the screen shows people, not players).
  const speakers = document.createElement('div');
  speakers.hidden = true;
  speakers.dataset.test = 'call-speakers';
  document.body.append(speakers);
  let leaving = false;

  const refresh = () => {
    const local = room.localParticipant;
    view.peers = [peerOf(local, true), ...[...room.remoteParticipants.values()].map((p) => peerOf(p, false))];
    view.micOn = local.isMicrophoneEnabled;
    view.cameraOn = local.isCameraEnabled;
  };
  room
    .on(RoomEvent.TrackSubscribed, (track: RemoteTrack) => {
      if (track.kind === Track.Kind.Audio) speakers.append(track.attach());
      refresh();
    })
    .on(RoomEvent.TrackUnsubscribed, (track: RemoteTrack) => {
      for (const element of track.detach()) element.remove();
      refresh();
    })
    .on(RoomEvent.ParticipantConnected, refresh)
    .on(RoomEvent.ParticipantDisconnected, refresh)
    .on(RoomEvent.TrackMuted, refresh)
    .on(RoomEvent.TrackUnmuted, refresh)
    .on(RoomEvent.TrackPublished, refresh)
    .on(RoomEvent.TrackUnpublished, refresh)
    .on(RoomEvent.LocalTrackPublished, refresh)
    .on(RoomEvent.LocalTrackUnpublished, refresh)
    .on(RoomEvent.ActiveSpeakersChanged, refresh)
    .on(RoomEvent.Disconnected, (reason?: DisconnectReason) => {
      speakers.remove();
      if (leaving) return;
      gone(
        reason === DisconnectReason.PARTICIPANT_REMOVED
          ? 'removed'
          : reason === DisconnectReason.ROOM_DELETED || reason === DisconnectReason.ROOM_CLOSED
            ? 'closed'
            : 'lost',
      );
    });

  try {
    await room.connect(ticket.url, ticket.token);
    refresh();
    if (!options.muted) await room.localParticipant.setMicrophoneEnabled(true);
    if (options.video) await room.localParticipant.setCameraEnabled(true);
    refresh();
  } catch (error) {
    leaving = true;
    await room.disconnect();
    speakers.remove();
    throw error;
  }

  return {
    async setMicrophone(on) {
      await room.localParticipant.setMicrophoneEnabled(on);
      refresh();
    },
    async setCamera(on) {
      await room.localParticipant.setCameraEnabled(on);
      refresh();
    },
    async leave() {
      leaving = true;
      await room.disconnect();
      speakers.remove();
    },
  };
}
