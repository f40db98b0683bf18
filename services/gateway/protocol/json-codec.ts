import type { ServerFrame } from '../../platform/contracts/index.ts';
import { upgradeLegacyClientFrame } from './client-frames.ts';
import type { FrameCodec } from './codec.ts';

/**
 * The default encoding: text frames of JSON. Older clients read and write a few fields in places
 * the documented shape moved (deprecated, kept until v2): they are accepted here and still sent.
 */
export const jsonCodec: FrameCodec = {
  encoding: 'json',
  subprotocol: 'anychat.v1.json',
  decode(payload, isBinary) {
    if (isBinary) return { problem: 'this connection speaks JSON in text frames' };
    try {
      return { frame: upgradeLegacyClientFrame(JSON.parse(payload.toString('utf8'))) };
    } catch {
      return { problem: 'frame is not valid JSON' };
    }
  },
  encode: (frame) => JSON.stringify(withLegacyFields(frame)),
};

/** Adds the deprecated places of fields (JSON only, until v2); the documented ones stay. */
function withLegacyFields(frame: ServerFrame): ServerFrame {
  const data = frame.data as Record<string, unknown> | undefined;
  switch (frame.type) {
    case 'ERROR':
      return { ...frame, code: data?.code as number, message: data?.message as string };
    case 'CONNECT_ERROR':
      return { ...frame, code: data?.status as number, message: data?.message as string };
    case 'FORCE_LOGOUT':
      return data?.authSessionId === undefined
        ? frame
        : { ...frame, data: { ...data, sessionId: data.authSessionId } };
    default:
      return frame;
  }
}
