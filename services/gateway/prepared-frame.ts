import type { ServerFrame } from '../platform/contracts/index.ts';
import type { FrameCodec } from './protocol/index.ts';

/** A NEW_MESSAGE waiting for the device's MESSAGE_ACK (connection.ts). */
export interface AwaitingAck {
  frame: ServerFrame;
  prepared: PreparedFrame | undefined;
  due: number;
  resent: boolean;
}

/** How much earlier than its own push a shared ack deadline may fall (pushes held back by a gap get their own). */
const SHARED_DUE_SLACK_MS = 50;

/**
 * A server frame going to many devices (a read fan-out group's message), serialized once: its
 * payload per encoding and, for sockets that negotiated no extension (no per-message deflate), the
 * whole WebSocket frame (header and payload) that every such socket is written as it is. Nothing
 * per recipient is allocated for it but what the socket's write itself needs.
 */
export class PreparedFrame {
  readonly frame: ServerFrame;
  /** Per encoding: the payload, or null when the encoding cannot carry the frame. */
  readonly #payloads = new Map<FrameCodec, Buffer | null>();
  readonly #wire = new Map<FrameCodec, Buffer | null>();
  #awaiting: AwaitingAck | undefined;

  constructor(frame: ServerFrame) {
    this.frame = frame;
  }

  /** The payload in `codec`'s encoding; undefined when it cannot carry the frame (Connection.send reports it). */
  payload(codec: FrameCodec): Buffer | undefined {
    let payload = this.#payloads.get(codec);
    if (payload === undefined) {
      try {
        const encoded = codec.encode(this.frame);
        // One Buffer for every socket: a string would be copied into a new one by each send.
        payload =
          typeof encoded === 'string'
            ? Buffer.from(encoded)
            : Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
      } catch {
        payload = null;
      }
      this.#payloads.set(codec, payload);
    }
    return payload ?? undefined;
  }

  /** The unmasked, uncompressed WebSocket frame (text for JSON, binary for protobuf) of the payload. */
  wire(codec: FrameCodec): Buffer | undefined {
    let wire = this.#wire.get(codec);
    if (wire === undefined) {
      const payload = this.payload(codec);
      wire = payload ? unmaskedFrame(codec.encoding === 'proto' ? 2 : 1, payload) : null;
      this.#wire.set(codec, wire);
    }
    return wire ?? undefined;
  }

  /**
   * The record of a push waiting for its MESSAGE_ACK, shared by the devices pushed to in the same
   * moment (it is never changed: a resend replaces it with the device's own).
   */
  awaiting(now: number, timeoutMs: number): AwaitingAck {
    const due = now + timeoutMs;
    const shared = this.#awaiting;
    if (shared && shared.due <= due && shared.due >= due - SHARED_DUE_SLACK_MS) return shared;
    const entry = { frame: this.frame, prepared: this, due, resent: false };
    if (!shared) this.#awaiting = entry;
    return entry;
  }
}

/** A final, unmasked, uncompressed WebSocket frame (RFC 6455 §5.2) of one payload: what a server writes. */
function unmaskedFrame(opcode: 1 | 2, payload: Buffer): Buffer {
  const length = payload.length;
  const headerLength = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(headerLength + length);
  frame[0] = 0x80 | opcode;
  if (length < 126) frame[1] = length;
  else if (length < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  payload.copy(frame, headerLength);
  return frame;
}
