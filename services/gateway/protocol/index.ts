/** The WebSocket protocol: frames, their schemas and encodings, close codes, and its AsyncAPI document. */

export { asyncApiDocument } from './asyncapi.ts';
export { CLIENT_FRAME_TYPES, ClientFrame } from './client-frames.ts';
export { CloseCode } from './close-codes.ts';
export type { FrameCodec } from './codec.ts';
export { codecFor, SUBPROTOCOLS } from './codecs.ts';
export { COMPRESSION } from './compression.ts';
export { jsonCodec } from './json-codec.ts';
export {
  decodeClientFrame,
  decodeServerFrame,
  encodeClientFrame,
  encodeServerFrame,
  protoCodec,
} from './proto-codec.ts';
export { LOGOUT_REASONS, SERVER_FRAME_TYPES, ServerFrameSchema } from './server-frames.ts';
