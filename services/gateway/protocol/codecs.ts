import type { FrameCodec } from './codec.ts';
import { jsonCodec } from './json-codec.ts';
import { protoCodec } from './proto-codec.ts';

/** Every encoding, by the subprotocol that selects it; a connection without one speaks JSON. */
const CODECS: FrameCodec[] = [jsonCodec, protoCodec];

export const SUBPROTOCOLS = CODECS.map((codec) => codec.subprotocol);

export function codecFor(subprotocol: string): FrameCodec {
  return CODECS.find((codec) => codec.subprotocol === subprotocol) ?? jsonCodec;
}
