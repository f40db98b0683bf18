/**
 * The floor of the group load benchmark (`test/load/group-load.ts --floor`): a bare `ws` server in
 * which every socket is a member of one group. Each SEND_MESSAGE is numbered and relayed to every
 * other socket as a NEW_MESSAGE (its JSON encoded once, one `ws.send` of the same Buffer per
 * socket), and the sender gets a SEND_ACK; MESSAGE_ACKs are read and dropped. No authentication,
 * validation, storage or per-device ordering: what moving the same frames costs on this machine.
 */
import { type WebSocket, WebSocketServer } from 'ws';

const members = new Set<WebSocket>();
let seq = 0;
const server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
server.on('connection', (ws) => {
  members.add(ws);
  ws.on('close', () => members.delete(ws));
  ws.send(JSON.stringify({ type: 'CONNECT_ACK', data: {} }));
  ws.on('message', (raw) => {
    const frame = JSON.parse(raw.toString()) as {
      type: string;
      msgId?: string;
      data?: Record<string, unknown>;
    };
    if (frame.type !== 'SEND_MESSAGE' || !frame.data) return;
    seq++;
    const messageId = String(seq);
    const data = {
      messageId,
      seq,
      sessionId: 'g_floor',
      contentType: frame.data.contentType,
      content: frame.data.content,
    };
    const out = Buffer.from(JSON.stringify({ type: 'NEW_MESSAGE', msgId: messageId, data }));
    for (const member of members) if (member !== ws) member.send(out, { binary: false });
    ws.send(JSON.stringify({ type: 'SEND_ACK', msgId: frame.msgId, data: { messageId, seq } }));
  });
});
server.on('listening', () => {
  const address = server.address();
  if (address && typeof address === 'object') console.log(`group relay listening on ${address.port}`);
});
