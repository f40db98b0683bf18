/**
 * Meeting recording through LiveKit Egress, against a real livekit-server and a real MinIO.
 *
 * A real Egress worker cannot run on this machine: it needs Chrome and GStreamer (livekit/egress's
 * image). So the suite proves what it can against the real parts: the settings that turn recording
 * off, LiveKit's own answer when no worker takes the job, who may start, and the webhook path
 * exactly as LiveKit delivers it (a signed egress_started and egress_ended, the JWT in
 * `Authorization` carrying the body's SHA-256, signed with the API secret), with the recording's
 * bytes put into MinIO at the egress's key first, as the worker would have uploaded them.
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
}

/** The file service's chat-files bucket under the default prefix: where Egress is told to write. */
const BUCKET = 'anychat-chat-files';

/** A snowflake-shaped id no service issued (the planted recording's). */
const plantedId = () => String((BigInt(Date.now()) << 22n) | BigInt(randomBytes(2).readUInt16BE()));

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
      livekit = await startLiveKit({ webhookUrl: `http://127.0.0.1:${port}/api/v1/rtc/webhook` });
      platform = await startPlatform(backend, {
        ...livekit.env,
        ...minio.env,
        PORT: String(port),
        LIVEKIT_EGRESS: 'enabled',
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

    // Once: the platform it starts is the same on either backend.
    if (backend === 'pglite')
      it('without Egress configured, starting answers 100113', async () => {
        const off = await startPlatform('pglite', { ...livekit!.env, ...minio!.env });
        try {
          const host = await registerUser(off.api);
          const { meetingId } = await off.api.ok<{ meetingId: string }>('POST', '/api/v1/meetings', {
            token: host.accessToken,
            body: { title: 'not recorded' },
          });
          const refused = await off.api.call('POST', `/api/v1/meetings/${meetingId}/recording/start`, {
            token: host.accessToken,
          });
          expect(refused.status).to.equal(400);
          expect(refused.body.code).to.equal(100113);
        } finally {
          await off.stop();
        }
      });

    it('LiveKit without an Egress worker: 100114 and nothing written; only the host starts or stops', async () => {
      const [host, member, stranger] = await Promise.all([1, 2, 3].map(() => registerUser(api())));
      const meetingId = await meetingOf(host!, member!);
      const start = (user: SignedIn) =>
        api().call('POST', `/api/v1/meetings/${meetingId}/recording/start`, { token: user.accessToken });

      const notHost = await start(member!);
      expect(notHost.body.code).to.equal(13);
      const noWorker = await start(host!);
      expect(noWorker.status, JSON.stringify(noWorker.body)).to.equal(503);
      expect(noWorker.body.code).to.equal(100114);
      expect(await recordings(host!, meetingId)).to.deep.equal([]);
      const rows = await serviceSql<{ n: string }>(
        platform!.host.databaseUrl,
        'rtc',
        'select count(*)::text as n from rtc.meeting_recordings where meeting_id = ?',
        [meetingId],
      );
      expect(rows[0]!.n).to.equal('0');

      const stop = await api().call('POST', `/api/v1/meetings/${meetingId}/recording/stop`, {
        token: host!.accessToken,
      });
      expect(stop.body.code).to.equal(100116);
      const memberStop = await api().call('POST', `/api/v1/meetings/${meetingId}/recording/stop`, {
        token: member!.accessToken,
      });
      expect(memberStop.body.code).to.equal(13);
      const outsider = await api().call('GET', `/api/v1/meetings/${meetingId}/recordings`, {
        token: stranger!.accessToken,
      });
      expect(outsider.body.code).to.equal(100106);
    });

    it("LiveKit's egress webhooks keep the recording as a file the members download, once", async () => {
      const [host, member, stranger] = await Promise.all([1, 2, 3].map(() => registerUser(api())));
      const meetingId = await meetingOf(host!, member!);
      const roomName = `meeting_${meetingId}`;
      const { recordingId, key, egressId } = await plantRunning(meetingId, host!.userId);

      const started = new EgressInfo({ egressId, roomName, status: EgressStatus.EGRESS_ACTIVE });
      expect((await deliver('egress_started', started)).status).to.equal(200);
      expect((await recordings(member!, meetingId))[0]).to.include({
        recordingId,
        status: 'active',
        fileId: null,
      });

      // The worker uploads the file, then LiveKit reports the egress complete.
      const bytes = randomBytes(64 * 1024);
      const s3 = new Client({
        endPoint: '127.0.0.1',
        port: Number(new URL(minio!.endpoint).port),
        useSSL: false,
        accessKey: minio!.accessKey,
        secretKey: minio!.secretKey,
        pathStyle: true,
      });
      await s3.putObject(BUCKET, key, bytes, bytes.length, { 'Content-Type': 'video/mp4' });
      const ended = new EgressInfo({
        egressId,
        roomName,
        status: EgressStatus.EGRESS_COMPLETE,
        fileResults: [
          {
            filename: key,
            duration: 3_500_000_000n,
            size: BigInt(bytes.length),
            location: `${minio!.endpoint}/${BUCKET}/${key}`,
          },
        ],
      });
      expect((await deliver('egress_ended', ended)).status).to.equal(200);
      const [done] = await recordings(member!, meetingId);
      expect(done).to.include({ recordingId, status: 'done', durationMs: 3500, size: bytes.length });
      expect(done!.fileId).to.be.a('string');

      // The usual file route: members download the bytes; anyone else gets 70105.
      for (const user of [host!, member!]) {
        const file = await api().ok<{ url: string; size: number; mimeType: string; durationMs: number }>(
          'GET',
          `/api/v1/files/${done!.fileId}`,
          { token: user.accessToken },
        );
        expect(file).to.include({ size: bytes.length, mimeType: 'video/mp4', durationMs: 3500 });
        const response = await fetch(file.url);
        expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).to.equal(true);
      }
      const outsider = await api().call('GET', `/api/v1/files/${done!.fileId}`, {
        token: stranger!.accessToken,
      });
      expect(outsider.body.code).to.equal(70105);

      // Redelivered: still one recording and one file.
      expect((await deliver('egress_ended', ended)).status).to.equal(200);
      expect(await recordings(host!, meetingId)).to.deep.equal([done]);
      const files = await serviceSql<{ n: string }>(
        platform!.host.databaseUrl,
        'file',
        'select count(*)::text as n from "file"."files" where file_id = ?',
        [done!.fileId],
      );
      expect(files[0]!.n).to.equal('1');
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
