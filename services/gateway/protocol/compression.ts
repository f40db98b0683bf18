import type { PerMessageDeflateOptions } from 'ws';

/**
 * Per-message deflate (RFC 7692) as the gateway negotiates it when GATEWAY_COMPRESSION=true
 * (seed §5.4.6: frames over 1 KB).
 * - Each frame on its own (no context takeover): ws applies the threshold only then; with context
 *   takeover every frame, however small, is compressed against the ones before.
 * - Small zlib windows: a chat frame is a few KB, so a 2 KB window compresses it as well as the
 *   default 32 KB (the same bytes in the benchmark), and a connection holds less zlib state
 *   (~110 KiB instead of ~160; BENCHMARKS.md, "WebSocket frames").
 */
export const COMPRESSION: PerMessageDeflateOptions = {
  threshold: 1024,
  serverNoContextTakeover: true,
  clientNoContextTakeover: true,
  serverMaxWindowBits: 11,
  clientMaxWindowBits: 11,
  zlibDeflateOptions: { memLevel: 4 },
};
