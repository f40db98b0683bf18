/**
 * The floor of the WebSocket frames benchmark (ws-frames.bench.ts): a bare `ws` server that relays
 * each frame a sender sends to its pair's receiver as it is, and answers the sender with a small
 * acknowledgement, with the gateway's compression settings (RELAY_COMPRESSION=true) or ws's default
 * windows (RELAY_COMPRESSION=default). It costs what
 * moving the same frames costs without authentication, validation, storage or ordering.
 */
import { type PerMessageDeflateOptions, type WebSocket, WebSocketServer } from 'ws';
import { COMPRESSION } from '../../services/gateway/protocol/index.ts';

/** `true`: the gateway's settings; `default`: ws's own (32 KB windows), for comparison. */
const compression = process.env.RELAY_COMPRESSION ?? 'false';
const DEFAULT_WINDOWS: PerMessageDeflateOptions = {
  threshold: 1024,
  serverNoContextTakeover: true,
  clientNoContextTakeover: true,
};
const receivers = new Map<string, WebSocket>();
const server = new WebSocketServer({
  port: 0,
  host: '127.0.0.1',
  perMessageDeflate:
    compression === 'true' ? COMPRESSION : compression === 'default' ? DEFAULT_WINDOWS : false,
});
server.on('connection', (ws, request) => {
  const url = new URL(request.url ?? '/', 'http://relay');
  const pair = url.searchParams.get('pair') ?? '';
  if (url.searchParams.get('role') === 'receiver') {
    receivers.set(pair, ws);
    return;
  }
  const ack = JSON.stringify({ type: 'SEND_ACK', data: { pair, ok: true } });
  ws.on('message', (data, isBinary) => {
    receivers.get(pair)?.send(data, { binary: isBinary });
    ws.send(ack);
  });
});
server.on('listening', () => {
  const address = server.address();
  if (address && typeof address === 'object') console.log(`relay listening on ${address.port}`);
});
