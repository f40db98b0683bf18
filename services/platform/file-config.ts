import { join } from 'node:path';
import { z } from 'zod';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const MiB = 1024 * 1024;

/**
 * Settings of the file service (FILE_*). The object store is a local directory by default (the
 * embedded platform needs nothing installed) or any S3 API (MinIO in a cluster); the S3 secret key
 * comes from a Secret in a cluster and is never logged.
 */
const FileEnvSchema = z.object({
  /** `local` (a directory, URLs signed and served by the file service) or `s3` (MinIO or any S3 API). */
  FILE_STORAGE: z.enum(['local', 's3']).default('local'),
  /** Directory of the local store. Unset: `files` under ANYCHAT_DATA_DIR. */
  FILE_LOCAL_DIR: z.string().optional(),
  /** Key that signs the local store's URLs (any text of 32+ characters), the same on every replica. Unset: a random key per process. */
  FILE_URL_SIGNING_KEY: z.string().min(32).optional(),
  /** S3 endpoint, e.g. `http://minio:9000` (path-style addressing). */
  FILE_S3_ENDPOINT: z.string().url().optional(),
  FILE_S3_ACCESS_KEY: z.string().optional(),
  /** The S3 secret key; the operator provides it from a Secret. */
  FILE_S3_SECRET_KEY: z.string().optional(),
  FILE_S3_REGION: z.string().default('us-east-1'),
  /** Prefix of the four bucket names (user avatars, group avatars, chat files, temporary files). */
  FILE_BUCKET_PREFIX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,30}$/, 'lower-case letters, digits and dashes, at most 31')
    .default('anychat-'),
  /** Lifetime of a signed download or upload URL. */
  FILE_URL_TTL_SECONDS: int(10, 7 * 86_400).default(300),
  /** Largest user or group avatar (MiB). */
  FILE_AVATAR_MAX_MB: int(1, 100).default(5),
  /** Largest chat image (MiB). */
  FILE_IMAGE_MAX_MB: int(1, 1024).default(20),
  /** Largest chat video (MiB). */
  FILE_VIDEO_MAX_MB: int(1, 10_240).default(500),
  /** Largest voice message (MiB). */
  FILE_VOICE_MAX_MB: int(1, 100).default(10),
  /** Largest chat file or temporary file (MiB). */
  FILE_CHAT_FILE_MAX_MB: int(1, 102_400).default(1024),
  /** Largest file sent in one `POST /files/upload` (held in memory while checked); larger ones go by multipart or presigned upload. */
  FILE_SIMPLE_UPLOAD_MAX_MB: int(1, 100).default(20),
  /** Bytes a user may hold in files, all types together (MiB); identical files count once per user. */
  FILE_USER_QUOTA_MB: int(1, 10_485_760).default(10_240),
  /** Lifetime of a temporary file. */
  FILE_TEMP_TTL_SECONDS: int(1, 90 * 86_400).default(86_400),
  /** An upload not completed within this time is aborted and its parts removed. */
  FILE_UPLOAD_TTL_SECONDS: int(1, 30 * 86_400).default(86_400),
  /** Stored bytes no file refers to are removed once at least this old (an upload may just have found them by their hash). */
  FILE_BLOB_GRACE_SECONDS: int(0, 30 * 86_400).default(600),
  /** How often expired files, abandoned uploads and unreferenced blobs are cleaned. */
  FILE_SWEEP_SECONDS: int(1, 86_400).default(600),
  /** ffmpeg binary that draws video cover frames: a path, or a name looked up on the PATH. Missing: videos get no cover. */
  FILE_FFMPEG_PATH: z.string().default('ffmpeg'),
  /** ffprobe binary that reads a video's duration and dimensions; missing: the duration comes from the container (music-metadata). */
  FILE_FFPROBE_PATH: z.string().default('ffprobe'),
  /** Longest an ffmpeg or ffprobe run may take on one video before it is killed (a hostile file must not hang). */
  FILE_FFMPEG_TIMEOUT_SECONDS: int(1, 600).default(20),
});

export type FileKind =
  | 'avatar'
  | 'group_avatar'
  | 'chat_image'
  | 'chat_video'
  | 'chat_voice'
  | 'chat_file'
  | 'temp';

export interface FileConfig {
  storage:
    | { type: 'local'; dir: string }
    | { type: 's3'; endpoint: URL; accessKey: string; secretKey: string; region: string };
  urlSigningKey: string | undefined;
  bucketPrefix: string;
  urlTtlSeconds: number;
  /** Largest file of each kind, in bytes. */
  maxBytes: Record<FileKind, number>;
  simpleUploadMaxBytes: number;
  userQuotaBytes: number;
  tempTtlSeconds: number;
  uploadTtlSeconds: number;
  blobGraceSeconds: number;
  sweepSeconds: number;
  /** ffmpeg and ffprobe for video covers and durations (optional tools: the service runs without them). */
  video: { ffmpegPath: string; ffprobePath: string; timeoutMs: number };
}

/** The file settings of `env` (empty strings already removed); throws naming what is wrong. */
export function loadFileConfig(env: Record<string, string | undefined>, dataDir: string): FileConfig {
  const parsed = FileEnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(
      parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '),
    );
  }
  const e = parsed.data;
  let storage: FileConfig['storage'];
  if (e.FILE_STORAGE === 's3') {
    if (!e.FILE_S3_ENDPOINT || !e.FILE_S3_ACCESS_KEY || !e.FILE_S3_SECRET_KEY)
      throw new Error('FILE_STORAGE=s3 needs FILE_S3_ENDPOINT, FILE_S3_ACCESS_KEY and FILE_S3_SECRET_KEY');
    storage = {
      type: 's3',
      endpoint: new URL(e.FILE_S3_ENDPOINT),
      accessKey: e.FILE_S3_ACCESS_KEY,
      secretKey: e.FILE_S3_SECRET_KEY,
      region: e.FILE_S3_REGION,
    };
  } else {
    storage = { type: 'local', dir: e.FILE_LOCAL_DIR ?? join(dataDir, 'files') };
  }
  return {
    storage,
    urlSigningKey: e.FILE_URL_SIGNING_KEY,
    bucketPrefix: e.FILE_BUCKET_PREFIX,
    urlTtlSeconds: e.FILE_URL_TTL_SECONDS,
    maxBytes: {
      avatar: e.FILE_AVATAR_MAX_MB * MiB,
      group_avatar: e.FILE_AVATAR_MAX_MB * MiB,
      chat_image: e.FILE_IMAGE_MAX_MB * MiB,
      chat_video: e.FILE_VIDEO_MAX_MB * MiB,
      chat_voice: e.FILE_VOICE_MAX_MB * MiB,
      chat_file: e.FILE_CHAT_FILE_MAX_MB * MiB,
      temp: e.FILE_CHAT_FILE_MAX_MB * MiB,
    },
    simpleUploadMaxBytes: e.FILE_SIMPLE_UPLOAD_MAX_MB * MiB,
    userQuotaBytes: e.FILE_USER_QUOTA_MB * MiB,
    tempTtlSeconds: e.FILE_TEMP_TTL_SECONDS,
    uploadTtlSeconds: e.FILE_UPLOAD_TTL_SECONDS,
    blobGraceSeconds: e.FILE_BLOB_GRACE_SECONDS,
    sweepSeconds: e.FILE_SWEEP_SECONDS,
    video: {
      ffmpegPath: e.FILE_FFMPEG_PATH,
      ffprobePath: e.FILE_FFPROBE_PATH,
      timeoutMs: e.FILE_FFMPEG_TIMEOUT_SECONDS * 1000,
    },
  };
}
