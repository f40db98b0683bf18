/**
 * The reconnect storm's floor (idle-connections.bench.ts --storm): a bare `ws` server on loopback
 * that answers each connect as the gateway's protocol does — CONNECT_ACK, and SYNC_COMPLETE when
 * the client names a syncSeq — with no token check, registry, timeline or storage. The same client
 * processes storm it: what that takes is the cost of the sockets and of the clients themselves.
 */
import { WebSocketServer } from 'ws';

const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
server.on('connection', (ws, request) => {
  const syncSeq = new URL(request.url ?? '/', 'http://floor').searchParams.get('syncSeq');
  ws.send(JSON.stringify({ type: 'CONNECT_ACK', data: { syncSeq: Number(syncSeq ?? 0) } }));
  if (syncSeq !== null)
    ws.send(JSON.stringify({ type: 'SYNC_COMPLETE', data: { syncSeq: Number(syncSeq) } }));
  ws.on('message', () => {});
});
server.on('listening', () => {
  const address = server.address();
  if (address && typeof address === 'object')
    console.log(`floor is serving http://127.0.0.1:${address.port}`);
});
