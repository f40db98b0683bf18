/**
 * Meeting recording through LiveKit Egress, against a real livekit-server and a real MinIO.
 *
 * A real Egress worker cannot run on this machine: it needs Chrome and GStreamer (livekit/egress's
 * image). So the suite proves what it can against the real parts: the settings that turn recording
 * off, the start's rate limits, LiveKit's own answer when no worker takes the job (it comes after
 * the start has answered `starting`), who may start, and the webhook path exactly as LiveKit
 * delivers it (a signed egress_started and egress_ended, the JWT in `Authorization` carrying the
 * body's SHA-256, signed with the API secret), with the recording's bytes put into MinIO at the
 * egress's key first, as the worker would have uploaded them: who reads the file (the meeting's
 * members, late joiners too, not those removed) and the host's quota.
 */
import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import {
  AccessToken,
  EgressInfo,
  EgressStatus,
  WebhookEvent,
  type WebhookEventNames,
} from 'livekit-server-sdk';
import { Client } from 'minio';
import { type ApiClient, registerUser, type SignedIn } from '../support/api-client.ts';
import { requirePostgres } from '../support/backends.ts';
import { type LiveKitServer, startLiveKit } from '../support/livekit.ts';
import { type MinioServer, startMinio } from '../support/minio.ts';
import { startPlatform, type TestPlatform } from '../support/platform.ts';
import { freePort } from '../support/processes.ts';
import { serviceSql } from '../support/service-sql.ts';

interface Recording {
  recordingId: string;
  status: string;
  fileId: string | null;
  durationMs: number | null;
  size: number | null;
  error: string | null;
  errorCode: number | null;
}

/** The file service's chat-files bucket under the default prefix: where Egress is told to write. */
const BUCKET = 'anychat-chat-files';

/** A snowflake-shaped id no service issued (the planted recording's). */
const plantedId = () => String((BigInt(Date.now()) << 22n) | BigInt(randomBytes(2).readUInt16BE()));

/** FILE_USER_QUOTA_MB of the suite's platform: what a host's files (recordings too) may hold. */
const QUOTA_BYTES = 1024 * 1024;

for (const backend of ['postgresql', 'pglite'] as const) {
  describe(`meeting recordings through LiveKit Egress [${backend}]`, function () {
    this.timeout(120_000);
    let minio: MinioServer | undefined;
    let livekit: LiveKitServer | undefined;
    let platform: TestPlatform | undefined;
    const api = (): ApiClient => platform!.api;

    before(async function () {
      this.timeout(240_000);
      if (backend === 'postgresql') await requirePostgres(this);
      minio = await startMinio();
      const port = await freePort();
      // One round of LiveKit's search for an Egress worker (6–9 s) rather than three (18–27 s).
      livekit = await startLiveKit({
        webhookUrl: `http://127.0.0.1:${port}/api/v1/rtc/webhook`,
        psrpcMaxAttempts: 1,
      });
      platform = await startPlatform(backend, {
        ...livekit.env,
        ...minio.env,
        PORT: String(port),
        LIVEKIT_EGRESS: 'enabled',
        FILE_USER_QUOTA_MB: String(QUOTA_BYTES / 1024 / 1024),
      });
    });
    after(async () => {
      await platform?.stop();
      await livekit?.stop();
      await minio?.stop();
    });

    const meetingOf = async (host: SignedIn, ...members: SignedIn[]) => {
      const { meetingId } = await api().ok<{ meetingId: string }>('POST', '/api/v1/meetings', {
        token: host.accessToken,
        body: { title: 'recorded' },
      });
      for (const member of members)
        await api().ok('POST', `/api/v1/meetings/${meetingId}/join`, { token: member.accessToken, body: {} });
      return meetingId;
    };
    const recordings = async (user: SignedIn, meetingId: string) =>
      (
        await api().ok<{ items: Recording[] }>('GET', `/api/v1/meetings/${meetingId}/recordings`, {
          token: user.accessToken,
        })
      ).items;

    /** Posts a webhook as LiveKit does: protobuf JSON, signed with the API key's secret unless forged. */
    const deliver = async (event: WebhookEventNames, info: EgressInfo, secret = livekit!.apiSecret) => {
      const message = new WebhookEvent({
        id: `EV_${randomBytes(6).toString('hex')}`,
        createdAt: BigInt(Math.floor(Date.now() / 1000)),
        egressInfo: info,
      });
      // Set after construction: the SDK's subclass resets `event` in its constructor.
      message.event = event;
      const body = message.toJsonString();
      const token = new AccessToken(livekit!.apiKey, secret);
      token.sha256 = createHash('sha256').update(body).digest('base64');
      return fetch(`${platform!.host.url}/api/v1/rtc/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/webhook+json', authorization: await token.toJwt() },
        body,
      });
    };

    /**
     * What a successful StartRoomCompositeEgress leaves (the start route with a worker): a running
     * recording with LiveKit's egress id. Planted, since no worker can take the job here.
     */
    const plantRunning = async (meetingId: string, hostId: string) => {
      const recordingId = plantedId();
      const key = `recordings/${meetingId}/${recordingId}.mp4`;
      const egressId = `EG_${randomBytes(6).toString('hex')}`;
      await serviceSql(
        platform!.host.databaseUrl,
        'rtc',
        `insert into rtc.meeting_recordings (recording_id, meeting_id, egress_id, started_by, status, storage_key, file_id)
         values (?, ?, ?, ?, 'starting', ?, ?)`,
        [recordingId, meetingId, egressId, hostId, key, plantedId()],
      );
      return { recordingId, key, egressId };
    };

    const s3 = () =>
      new Client({
        endPoint: '127.0.0.1',
        port: Number(new URL(minio!.endpoint).port),
        useSSL: false,
        accessKey: minio!.accessKey,
        secretKey: minio!.secretKey,
        pathStyle: true,
      });

    /** The worker uploads the file at the egress's key, then LiveKit reports the egress complete. */
    const completeEgress = async (
      meetingId: string,
      planted: { key: string; egressId: string },
      bytes: Buffer,
    ) => {
      await s3().putObject(BUCKET, planted.key, bytes, bytes.length, { 'Content-Type': 'video/mp4' });
      const ended = new EgressInfo({
        egressId: planted.egressId,
        roomName: `meeting_${meetingId}`,
        status: EgressStatus.EGRESS_COMPLETE,
        fileResults: [
          {
            filename: planted.key,
            duration: 3_500_000_000n,
            size: BigInt(bytes.length),
            location: `${minio!.endpoint}/${BUCKET}/${planted.key}`,
          },
        ],
      });
      expect((await deliver('egress_ended', ended)).status).to.equal(200);
      return ended;
    };

    const fileRows = async (fileId: string) =>
      (
        await serviceSql<{ n: string }>(
          platform!.host.databaseUrl,
          'file',
          'select count(*)::text as n from "file"."files" where file_id = ?',
          [fileId],
        )
      )[0]!.n;

    // Once: the platform it starts is the same on either backend.
    if (backend === 'pglite')
      it('without Egress configured, starting answers 100113; starts are rate limited per meeting and per host', async () => {
        const off = await startPlatform('pglite', {
          ...livekit!.env,
          ...minio!.env,
          RATE_LIMIT_FACTOR: '1',
        });
        try {
          const host = await registerUser(off.api);
          const meeting = async () =>
            (
              await off.api.ok<{ meetingId: string }>('POST', '/api/v1/meetings', {
                token: host.accessToken,
                body: { title: 'not recorded' },
              })
            ).meetingId;
          const start = (meetingId: string) =>
            off.api.call('POST', `/api/v1/meetings/${meetingId}/recording/start`, {
              token: host.accessToken,
            });
          const first = await meeting();
          const refused = await start(first);
          expect(refused.status).to.equal(400);
          expect(refused.body.code).to.equal(100113);
          // Five starts a minute for one meeting: the sixth is limited, with when to try again.
          for (let i = 0; i < 4; i++) expect((await start(first)).body.code).to.equal(100113);
          const limited = await start(first);
          expect(limited.status).to.equal(429);
          expect(limited.body.code).to.equal(9);
          expect(Number(limited.headers.get('retry-after'))).to.be.within(1, 60);
          // Twenty a minute for one host over all their meetings.
          for (let m = 0; m < 3; m++) {
            const other = await meeting();
            for (let i = 0; i < 5; i++) expect((await start(other)).body.code).to.equal(100113);
          }
          const fifth = await meeting();
          expect((await start(fifth)).body.code).to.equal(9);
          // Another user's limits are their own.
          const other = await registerUser(off.api);
          const own = await off.api.ok<{ meetingId: string }>('POST', '/api/v1/meetings', {
            token: other.accessToken,
            body: { title: 'mine' },
          });
          const theirs = await off.api.call('POST', `/api/v1/meetings/${own.meetingId}/recording/start`, {
            token: other.accessToken,
          });
          expect(theirs.body.code).to.equal(100113);
        } finally {
          await off.stop();
        }
      });

    it('LiveKit without an Egress worker: the start answers starting, then the recording fails with 100114; only the host starts or stops', async () => {
      const [host, member, stranger] = await Promise.all([1, 2, 3].map(() => registerUser(api())));
      const meetingId = await meetingOf(host!, member!);
      const start = (user: SignedIn) =>
        api().call('POST', `/api/v1/meetings/${meetingId}/recording/start`, { token: user.accessToken });
      const stop = (user: SignedIn) =>
        api().call('POST', `/api/v1/meetings/${meetingId}/recording/stop`, { token: user.accessToken });

      expect((await start(member!)).body.code).to.equal(13);
      // LiveKit looks for a worker for several seconds before it answers: the host is not kept waiting.
      const starting = await start(host!);
      expect(starting.status, JSON.stringify(starting.body)).to.equal(200);
      const recording = starting.body.data as Recording;
      expect(recording).to.include({ status: 'starting', fileId: null, errorCode: null });
      expect((await start(host!)).body.code).to.equal(100115);
      expect((await stop(member!)).body.code).to.equal(13);
      // Stopped before LiveKit answered: stopped as soon as it does (here, it never starts).
      const stopping = await stop(host!);
      expect(stopping.body.data).to.include({ recordingId: recording.recordingId, status: 'stopping' });

      let failed: Recording | undefined;
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
        failed = (await recordings(member!, meetingId)).find((r) => r.status === 'failed');
        if (failed) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(failed, livekit!.logTail()).to.include({
        recordingId: recording.recordingId,
        errorCode: 100114,
        fileId: null,
      });
      expect(failed!.error).to.match(/LiveKit Egress/);
      // Nothing runs any more: the meeting can be recorded again, and there is nothing to stop.
      expect((await stop(host!)).body.code).to.equal(100116);
      const outsider = await api().call('GET', `/api/v1/meetings/${meetingId}/recordings`, {
        token: stranger!.accessToken,
      });
      expect(outsider.body.code).to.equal(100106);
    });

    it("LiveKit's egress webhooks keep the recording as a file the meeting's members download, joiners after too, not the removed", async () => {
      const [host, member, late, stranger] = await Promise.all([1, 2, 3, 4].map(() => registerUser(api())));
      const meetingId = await meetingOf(host!, member!);
      const roomName = `meeting_${meetingId}`;
      const planted = await plantRunning(meetingId, host!.userId);
      const { recordingId } = planted;

      const started = new EgressInfo({
        egressId: planted.egressId,
        roomName,
        status: EgressStatus.EGRESS_ACTIVE,
      });
      expect((await deliver('egress_started', started)).status).to.equal(200);
      expect((await recordings(member!, meetingId))[0]).to.include({
        recordingId,
        status: 'active',
        fileId: null,
      });

      const bytes = randomBytes(64 * 1024);
      const ended = await completeEgress(meetingId, planted, bytes);
      const [done] = await recordings(member!, meetingId);
      expect(done).to.include({
        recordingId,
        status: 'done',
        durationMs: 3500,
        size: bytes.length,
        errorCode: null,
      });
      expect(done!.fileId).to.be.a('string');

      const download = (user: SignedIn) =>
        api().call<{ url: string; size: number; mimeType: string; durationMs: number }>(
          'GET',
          `/api/v1/files/${done!.fileId}`,
          { token: user.accessToken },
        );
      // Someone who joins after the file was kept reads it as the others do.
      await api().ok('POST', `/api/v1/meetings/${meetingId}/join`, { token: late!.accessToken, body: {} });
      for (const user of [host!, member!, late!]) {
        const file = await download(user);
        expect(file.status, JSON.stringify(file.body)).to.equal(200);
        expect(file.body.data).to.include({ size: bytes.length, mimeType: 'video/mp4', durationMs: 3500 });
        const response = await fetch(file.body.data!.url);
        expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).to.equal(true);
      }
      expect((await download(stranger!)).body.code).to.equal(70105);
      // Removed by the host: neither the list nor the file any more.
      await api().ok('POST', `/api/v1/meetings/${meetingId}/remove`, {
        token: host!.accessToken,
        body: { userId: member!.userId },
      });
      expect((await download(member!)).body.code).to.equal(70105);
      const removedList = await api().call('GET', `/api/v1/meetings/${meetingId}/recordings`, {
        token: member!.accessToken,
      });
      expect(removedList.body.code).to.equal(100106);
      expect((await download(late!)).status).to.equal(200);

      // Redelivered: still one recording and one file.
      expect((await deliver('egress_ended', ended)).status).to.equal(200);
      expect(await recordings(host!, meetingId)).to.deep.equal([done]);
      expect(await fileRows(done!.fileId!)).to.equal('1');
    });

    it("a recording counts against the host's quota: one that does not fit is refused and its bytes removed (100117), and a host with no room left cannot start", async () => {
      const host = await registerUser(api());
      const meetingId = await meetingOf(host);

      const tooBig = await plantRunning(meetingId, host.userId);
      await completeEgress(meetingId, tooBig, randomBytes(QUOTA_BYTES + 1));
      const [refused] = await recordings(host, meetingId);
      expect(refused).to.include({
        recordingId: tooBig.recordingId,
        status: 'failed',
        fileId: null,
        errorCode: 100117,
      });
      expect(refused!.error).to.match(/does not fit/);
      const gone = await s3()
        .statObject(BUCKET, tooBig.key)
        .then(
          () => 'stored',
          (error: { code?: string }) => error.code,
        );
      expect(gone).to.equal('NotFound');
      const { file_id: refusedFileId } = (
        await serviceSql<{ file_id: string }>(
          platform!.host.databaseUrl,
          'rtc',
          'select file_id::text from rtc.meeting_recordings where recording_id = ?',
          [tooBig.recordingId],
        )
      )[0]!;
      expect(await fileRows(refusedFileId)).to.equal('0');

      // One that fills the quota exactly is kept; then the host's storage is full.
      const fits = await plantRunning(meetingId, host.userId);
      await completeEgress(meetingId, fits, randomBytes(QUOTA_BYTES));
      expect((await recordings(host, meetingId))[0]).to.include({
        recordingId: fits.recordingId,
        status: 'done',
        size: QUOTA_BYTES,
      });
      const full = await api().call('POST', `/api/v1/meetings/${meetingId}/recording/start`, {
        token: host.accessToken,
      });
      expect(full.status).to.equal(403);
      expect(full.body.code).to.equal(100117);
      expect(full.body.data).to.deep.equal({ usedBytes: QUOTA_BYTES, quotaBytes: QUOTA_BYTES });
    });

    it('a forged egress webhook is refused and changes nothing; a failed egress marks the recording failed', async () => {
      const host = await registerUser(api());
      const meetingId = await meetingOf(host);
      const roomName = `meeting_${meetingId}`;
      const { recordingId, egressId } = await plantRunning(meetingId, host.userId);
      const failed = new EgressInfo({
        egressId,
        roomName,
        status: EgressStatus.EGRESS_FAILED,
        error: 'Start signal not received',
      });
      const forged = await deliver('egress_ended', failed, 'not-the-secret-of-this-livekit-server-000');
      expect(forged.status).to.equal(401);
      expect(((await forged.json()) as { code: number }).code).to.equal(12);
      expect((await recordings(host, meetingId))[0]).to.include({ recordingId, status: 'starting' });

      expect((await deliver('egress_ended', failed)).status).to.equal(200);
      expect((await recordings(host, meetingId))[0]).to.include({
        recordingId,
        status: 'failed',
        fileId: null,
        error: 'Start signal not received',
      });

      // LiveKit's word that an egress completed, but nothing at its key: no file, a failed recording.
      const empty = await plantRunning(meetingId, host.userId);
      const complete = new EgressInfo({
        egressId: empty.egressId,
        roomName,
        status: EgressStatus.EGRESS_COMPLETE,
        fileResults: [{ filename: empty.key, duration: 1_000_000_000n, size: 10n }],
      });
      expect((await deliver('egress_ended', complete)).status).to.equal(200);
      expect((await recordings(host, meetingId))[0]).to.include({
        recordingId: empty.recordingId,
        status: 'failed',
        fileId: null,
      });

      // Stopping an egress LiveKit cannot reach (this one has no Egress system: "egress not
      // connected"; elsewhere an unknown egress is a 404): the recording fails rather than block the
      // next one.
      const lost = await plantRunning(meetingId, host.userId);
      await deliver(
        'egress_started',
        new EgressInfo({ egressId: lost.egressId, roomName, status: EgressStatus.EGRESS_ACTIVE }),
      );
      const stopped = await api().ok<Recording>('POST', `/api/v1/meetings/${meetingId}/recording/stop`, {
        token: host.accessToken,
      });
      expect(stopped).to.include({ recordingId: lost.recordingId, status: 'failed' });
    });
  });
}
