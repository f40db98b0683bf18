import type { ServerFrame } from '../../platform/contracts/index.ts';

/** How frames travel on one connection, chosen by the WebSocket subprotocol at connect. */
export interface FrameCodec {
  encoding: 'json' | 'proto';
  /** The Sec-WebSocket-Protocol a client asks for to get this encoding. */
  subprotocol: string;
  /** A client frame as a plain object in the documented JSON shape (validated afterwards), or why it cannot be read. */
  decode(payload: Buffer, isBinary: boolean): { frame: unknown } | { problem: string };
  encode(frame: ServerFrame): string | Uint8Array;
}
