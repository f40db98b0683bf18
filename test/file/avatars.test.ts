import { expect } from 'chai';
import sharp from 'sharp';
import { ErrorCode } from '../../services/platform/errors.ts';
import type { SignedIn } from '../support/api-client.ts';
import { type MinioServer, startMinio } from '../support/minio.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';
import { castOf } from './cast.ts';
import { download, type FileView, postForm, sha256, uploadSimple } from './files-client.ts';

/** User and group avatars set from uploads (avatarFileId), on the embedded store and on a real MinIO server. */
for (const store of ['local', 'minio'] as const) {
  describe(`avatars from files [${store}]`, function () {
    this.timeout(120_000);
    let platform: TestPlatform;
    let minio: MinioServer | undefined;
    let alice: SignedIn;
    let bob: SignedIn;
    let dave: SignedIn;
    let carol: SignedIn;
    let groupId: string;
    let png: Buffer;
    const api = () => platform.api;

    const upload = async (user: SignedIn, fields: Record<string, string>, bytes: Buffer, name: string) => {
      const uploaded = await postForm<FileView>(api(), '/api/v1/files/upload', user.accessToken, fields, {
        bytes,
        name,
      });
      expect(uploaded.body.code, JSON.stringify(uploaded.body)).to.equal(0);
      return uploaded.body.data;
    };
    const setMyAvatar = (user: SignedIn, body: Record<string, unknown>) =>
      api().call<{ avatar: string | null }>('PUT', '/api/v1/users/me', { token: user.accessToken, body });
    const setGroupAvatar = (user: SignedIn, body: Record<string, unknown>) =>
      api().call<{ avatar: string | null }>('PUT', `/api/v1/groups/${groupId}`, {
        token: user.accessToken,
        body,
      });
    /** The avatar's URL as another user opens it: the file's route, answering a signed URL. */
    const open = (user: SignedIn, avatar: string) =>
      api().call<FileView>('GET', new URL(avatar).pathname, { token: user.accessToken });

    before(async () => {
      if (store === 'minio') minio = await startMinio();
      platform = await startPlatform(store === 'minio' ? 'postgresql' : 'pglite', minio?.env ?? {});
      ({ alice, bob, dave, carol, groupId } = await castOf(api(), 'avatars'));
      png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#2266aa' } })
        .png()
        .toBuffer();
    });
    after(async () => {
      await platform?.stop();
      await minio?.stop();
    });

    it('sets my avatar from my upload: a stable URL anyone signed in opens to the same image', async () => {
      const file = await upload(alice, { type: 'avatar' }, png, 'me.png');
      const set = await setMyAvatar(alice, { avatarFileId: file.fileId });
      expect(set.body.code, JSON.stringify(set.body)).to.equal(0);
      const avatar = set.body.data.avatar!;
      expect(new URL(avatar).pathname).to.equal(`/api/v1/files/${file.fileId}`);
      const profile = await api().ok<{ avatar: string }>('GET', `/api/v1/users/${alice.userId}`, {
        token: carol.accessToken,
      });
      expect(profile.avatar).to.equal(avatar);
      // Carol is no friend of Alice's: a user avatar is for anyone signed in.
      const opened = await open(carol, avatar);
      expect(opened.body.code, JSON.stringify(opened.body)).to.equal(0);
      expect(sha256((await download(opened.body.data.url)).bytes)).to.equal(sha256(png));
      expect((await api().call('GET', new URL(avatar).pathname)).status).to.equal(401);
    });

    it("refuses someone else's upload, a file that is not an image and an image not uploaded as an avatar", async () => {
      const alices = await upload(alice, { type: 'avatar' }, png, 'alice.png');
      const before = await api().ok<{ avatar: string | null }>('GET', '/api/v1/users/me', {
        token: bob.accessToken,
      });
      expect((await setMyAvatar(bob, { avatarFileId: alices.fileId })).body.code).to.equal(
        ErrorCode.FILE_NOT_FOUND,
      );
      const text = (
        await uploadSimple(api(), bob.accessToken, 'chat_file', {
          bytes: Buffer.from('not a picture at all\n'),
          name: 'notes.txt',
        })
      ).body.data;
      expect((await setMyAvatar(bob, { avatarFileId: text.fileId })).body.code).to.equal(
        ErrorCode.FILE_TYPE_UNSUPPORTED,
      );
      // An image uploaded for a chat may be seen only by those it was shared with: not an avatar.
      const photo = await upload(bob, { type: 'chat_image' }, png, 'photo.png');
      expect((await setMyAvatar(bob, { avatarFileId: photo.fileId })).body.code).to.equal(
        ErrorCode.FILE_TYPE_UNSUPPORTED,
      );
      expect(
        (await setMyAvatar(bob, { avatarFileId: photo.fileId, avatar: 'https://example.com/a.png' })).body
          .code,
      ).to.equal(ErrorCode.INVALID_PARAMS);
      const after = await api().ok<{ avatar: string | null }>('GET', '/api/v1/users/me', {
        token: bob.accessToken,
      });
      expect(after.avatar).to.equal(before.avatar);
    });

    it("sets a group's avatar from an upload naming the group: members open it, others do not", async () => {
      const file = await upload(alice, { type: 'group_avatar', groupId }, png, 'group.png');
      const set = await setGroupAvatar(alice, { avatarFileId: file.fileId });
      expect(set.body.code, JSON.stringify(set.body)).to.equal(0);
      const avatar = set.body.data.avatar!;
      expect(new URL(avatar).pathname).to.equal(`/api/v1/files/${file.fileId}`);
      const opened = await open(dave, avatar);
      expect(opened.body.code, JSON.stringify(opened.body)).to.equal(0);
      expect(sha256((await download(opened.body.data.url)).bytes)).to.equal(sha256(png));
      expect((await open(carol, avatar)).body.code).to.equal(ErrorCode.FILE_NOT_FOUND);
    });

    it('refuses a group avatar from a member who may not change the group, or from an upload for something else', async () => {
      const bobs = await upload(bob, { type: 'group_avatar', groupId }, png, 'bob.png');
      expect((await setGroupAvatar(bob, { avatarFileId: bobs.fileId })).body.code).to.equal(
        ErrorCode.GROUP_NOT_ADMIN,
      );
      // Bob's upload named the group, but it is Bob's, not Alice's.
      expect((await setGroupAvatar(alice, { avatarFileId: bobs.fileId })).body.code).to.equal(
        ErrorCode.FILE_NOT_FOUND,
      );
      const own = await upload(alice, { type: 'avatar' }, png, 'mine.png');
      expect((await setGroupAvatar(alice, { avatarFileId: own.fileId })).body.code).to.equal(
        ErrorCode.FILE_TYPE_UNSUPPORTED,
      );
      const group = await api().ok<{ avatar: string | null }>('GET', `/api/v1/groups/${groupId}`, {
        token: bob.accessToken,
      });
      expect(group.avatar === null || !group.avatar.endsWith(bobs.fileId)).to.equal(true);
    });
  });
}
