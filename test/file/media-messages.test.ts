import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import sharp from 'sharp';
import { ErrorCode } from '../../services/platform/errors.ts';
import type { SignedIn } from '../support/api-client.ts';
import { befriend } from '../support/chat.ts';
import { type MinioServer, startMinio } from '../support/minio.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';
import { clientMsgId } from '../support/ws-client.ts';
import { castOf } from './cast.ts';
import { download, type FileView, postForm, sha256, uploadSimple } from './files-client.ts';

interface Message {
  messageId: string;
  contentType: string;
  content: Record<string, unknown>;
}

/** Media messages that carry an uploaded file, on the embedded store and on a real MinIO server. */
for (const store of ['local', 'minio'] as const) {
  describe(`media messages [${store}]`, function () {
    this.timeout(120_000);
    let platform: TestPlatform;
    let minio: MinioServer | undefined;
    let alice: SignedIn;
    let bob: SignedIn;
    let dave: SignedIn;
    let carol: SignedIn;
    let groupId: string;
    const api = () => platform.api;

    const send = (
      from: SignedIn,
      sessionType: 'single' | 'group',
      targetId: string,
      contentType: string,
      content: unknown,
    ) =>
      api().call<{ messageId: string; sessionId: string }>('POST', '/api/v1/messages', {
        token: from.accessToken,
        body: { sessionType, targetId, contentType, content, clientMsgId: clientMsgId() },
      });
    const history = async (user: SignedIn, sessionId: string) =>
      (
        await api().ok<{ messages: Message[] }>(
          'GET',
          `/api/v1/messages/history?sessionId=${encodeURIComponent(sessionId)}`,
          { token: user.accessToken },
        )
      ).messages;

    before(async () => {
      if (store === 'minio') minio = await startMinio();
      platform = await startPlatform(store === 'minio' ? 'postgresql' : 'pglite', minio?.env ?? {});
      ({ alice, bob, dave, carol, groupId } = await castOf(api(), 'photos'));
    });
    after(async () => {
      await platform?.stop();
      await minio?.stop();
    });

    it('sends a photo: the recipient sees how to render it and downloads the same bytes; others are refused', async () => {
      const png = await sharp({ create: { width: 600, height: 400, channels: 3, background: '#884422' } })
        .png()
        .toBuffer();
      const file = (
        await uploadSimple(api(), alice.accessToken, 'chat_image', { bytes: png, name: 'cat.png' })
      ).body.data;
      const sent = await send(alice, 'single', bob.userId, 'image', { fileId: file.fileId });
      expect(sent.body.code, JSON.stringify(sent.body)).to.equal(0);
      const [message] = (await history(bob, sent.body.data.sessionId)).filter(
        (m) => m.messageId === sent.body.data.messageId,
      );
      expect(message!.content).to.deep.include({
        fileId: file.fileId,
        fileName: 'cat.png',
        size: png.length,
        mimeType: 'image/png',
        width: 600,
        height: 400,
      });
      const view = await api().ok<FileView>('GET', `/api/v1/files/${file.fileId}`, {
        token: bob.accessToken,
      });
      expect(sha256((await download(view.url)).bytes)).to.equal(sha256(png));
      const refused = await api().call('GET', `/api/v1/files/${file.fileId}`, { token: carol.accessToken });
      expect(refused.body.code).to.equal(ErrorCode.FILE_NOT_FOUND);
      // The message names the route that signs its thumbnail's URL, for the recipient and nobody else.
      const thumbnailRoute = new URL(message!.content.thumbnailUrl as string).pathname;
      expect(thumbnailRoute).to.equal(`/api/v1/files/${file.fileId}/thumbnail`);
      const thumbnail = await api().ok<{ url: string }>('GET', thumbnailRoute, { token: bob.accessToken });
      const shown = await sharp((await download(thumbnail.url)).bytes).metadata();
      expect([shown.format, shown.width]).to.deep.equal(['webp', 256]);
      expect((await api().call('GET', thumbnailRoute, { token: carol.accessToken })).body.code).to.equal(
        ErrorCode.FILE_NOT_FOUND,
      );
    });

    it('shares a file in a group with its members, and nobody can send a file that is not theirs', async () => {
      const bytes = randomBytes(300_000);
      const file = (await uploadSimple(api(), alice.accessToken, 'chat_file', { bytes, name: 'report.bin' }))
        .body.data;
      const sent = await send(alice, 'group', groupId, 'file', { fileId: file.fileId });
      expect(sent.body.code, JSON.stringify(sent.body)).to.equal(0);
      const [message] = (await history(dave, sent.body.data.sessionId)).filter(
        (m) => m.messageId === sent.body.data.messageId,
      );
      expect(message!.content).to.deep.equal({
        fileId: file.fileId,
        fileName: 'report.bin',
        fileSize: bytes.length,
        mimeType: 'application/octet-stream',
      });
      const view = await api().ok<FileView>('GET', `/api/v1/files/${file.fileId}`, {
        token: dave.accessToken,
      });
      expect(sha256((await download(view.url)).bytes)).to.equal(sha256(bytes));
      expect(
        (await api().call('GET', `/api/v1/files/${file.fileId}`, { token: carol.accessToken })).body.code,
      ).to.equal(ErrorCode.FILE_NOT_FOUND);
      // Carol names Alice's file in a message of her own: refused, and Carol still cannot read it.
      await befriend(api(), carol, bob);
      const stolen = await send(carol, 'single', bob.userId, 'file', { fileId: file.fileId });
      expect(stolen.body.code).to.equal(ErrorCode.FILE_NOT_FOUND);
      // A member may forward what the group shared with them.
      const forwarded = await send(bob, 'single', carol.userId, 'file', { fileId: file.fileId });
      expect(forwarded.body.code, JSON.stringify(forwarded.body)).to.equal(0);
      expect(
        (await api().call('GET', `/api/v1/files/${file.fileId}`, { token: carol.accessToken })).body.code,
      ).to.equal(0);
    });

    it("shows a group's avatar to its members only, and takes one only from a member", async () => {
      const png = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#123456' } })
        .png()
        .toBuffer();
      const upload = (user: SignedIn, fields: Record<string, string>) =>
        postForm<FileView>(api(), '/api/v1/files/upload', user.accessToken, fields, {
          bytes: png,
          name: 'g.png',
        });
      const avatar = await upload(alice, { type: 'group_avatar', groupId });
      expect(avatar.body.code, JSON.stringify(avatar.body)).to.equal(0);
      const seen = await api().call('GET', `/api/v1/files/${avatar.body.data.fileId}`, {
        token: dave.accessToken,
      });
      expect(seen.body.code).to.equal(0);
      const hidden = await api().call('GET', `/api/v1/files/${avatar.body.data.fileId}`, {
        token: carol.accessToken,
      });
      expect(hidden.body.code).to.equal(ErrorCode.FILE_NOT_FOUND);
      expect((await upload(carol, { type: 'group_avatar', groupId })).body.code).to.equal(
        ErrorCode.GROUP_NOT_MEMBER,
      );
      expect((await upload(alice, { type: 'group_avatar' })).body.code).to.equal(ErrorCode.INVALID_PARAMS);
    });

    it('refuses a file whose real type is not the message type', async () => {
      const bytes = randomBytes(1000);
      const file = (await uploadSimple(api(), alice.accessToken, 'chat_file', { bytes, name: 'x.png' })).body
        .data;
      const sent = await send(alice, 'single', bob.userId, 'image', { fileId: file.fileId });
      expect(sent.body.code).to.equal(ErrorCode.FILE_TYPE_UNSUPPORTED);
    });
  });
}
