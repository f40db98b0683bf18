import { fromBinary, toBinary } from '@bufbuild/protobuf';
import type { z } from 'zod';
import {
  ClientFrameSchema as ClientFrameProto,
  ServerFrameSchema as ServerFrameProto,
} from '../../platform/contracts/gen/anychat/gateway/v1/frames_pb.ts';
import type { ServerFrame } from '../../platform/contracts/index.ts';
import { ClientFrame } from './client-frames.ts';
import type { FrameCodec } from './codec.ts';
import { frameFromProto, frameToProto } from './proto-mapping.ts';
import { ServerFrameSchema } from './server-frames.ts';

const clientSchemas = new Map<string, z.ZodType>(
  ClientFrame.options.map((option) => [option.shape.type.value, option]),
);
const serverSchemas = new Map<string, z.ZodType>(
  ServerFrameSchema.options.map((option) => [option.shape.type.value, option]),
);

/** The binary encoding (seed §5.4.6): frames.proto messages in binary WebSocket frames. */
export const protoCodec: FrameCodec = {
  encoding: 'proto',
  subprotocol: 'anychat.v1.proto',
  decode(payload, isBinary) {
    if (!isBinary) return { problem: 'this connection speaks protobuf in binary frames' };
    try {
      return { frame: decodeClientFrame(payload) };
    } catch {
      return { problem: 'frame is not an anychat.gateway.v1.ClientFrame' };
    }
  },
  encode: (frame) => encodeServerFrame(frame),
};

export const encodeServerFrame = (frame: ServerFrame): Uint8Array =>
  toBinary(ServerFrameProto, frameToProto(ServerFrameProto, frame as unknown as Record<string, unknown>));

export const decodeServerFrame = (payload: Uint8Array) =>
  frameFromProto(ServerFrameProto, fromBinary(ServerFrameProto, payload), (type) => serverSchemas.get(type));

export const encodeClientFrame = (frame: Record<string, unknown>): Uint8Array =>
  toBinary(ClientFrameProto, frameToProto(ClientFrameProto, frame));

export const decodeClientFrame = (payload: Uint8Array) =>
  frameFromProto(ClientFrameProto, fromBinary(ClientFrameProto, payload), (type) => clientSchemas.get(type));
