import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import sharp from 'sharp';
import type { FileConfig } from '../../platform/file-config.ts';
import type { Logger } from '../../platform/logger.ts';
import { THUMBNAIL_SIZE } from './media.ts';

/** What ffprobe and ffmpeg found in a video; null fields when they could not tell. */
export interface VideoDetails {
  durationMs: number | null;
  width: number | null;
  height: number | null;
  /** A WebP cover frame of at most THUMBNAIL_SIZE on its longest side. */
  cover: Buffer | null;
}

/** Most a tool may write to stdout: ffprobe's JSON is small, a 512 px PNG frame well under this. */
const MAX_OUTPUT = 8 * 1024 * 1024;
/** Frames larger than this are not decoded (the container's dimensions are not trusted). */
const MAX_PIXELS = 100_000_000;
/**
 * Only these demuxers may open an upload: a playlist or concat format (HLS, concat, ...) would make
 * ffmpeg open other files or URLs named inside the upload.
 */
const DEMUXERS = 'mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,flv,mpegts,mpeg,ogg';
const INPUT_OPTIONS = ['-protocol_whitelist', 'file', '-format_whitelist', DEMUXERS];
/** Videos processed at once; more wait their turn (each run decodes on a core). */
const CONCURRENT_VIDEOS = 2;

class ToolFailed extends Error {}

/** Runs a tool with an argument array (no shell), a time limit and a cap on what it writes. */
function run(path: string, args: string[], timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // SIGKILL: a decoder stuck on a hostile file need not heed SIGTERM.
    const child = spawn(path, args, {
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: timeoutMs,
      killSignal: 'SIGKILL',
    });
    const chunks: Buffer[] = [];
    let length = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > MAX_OUTPUT) child.kill('SIGKILL');
      else chunks.push(chunk);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0 && length <= MAX_OUTPUT) resolve(Buffer.concat(chunks));
      else reject(new ToolFailed(`${path} ended with ${signal ?? code}`));
    });
  });
}

interface Probe {
  format?: { duration?: string };
  streams?: { width?: number; height?: number; duration?: string }[];
}

const positive = (value: unknown) =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : null;

/**
 * Video cover frames and durations through ffmpeg/ffprobe, optional tools: `available` is false when
 * they are not installed (the embedded `npm start` needs nothing installed), and videos then get what
 * their container tells music-metadata and no cover. A file ffmpeg cannot read gets nulls, not an error.
 */
export class VideoFrames {
  readonly #config: FileConfig['video'];
  readonly available: boolean;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  private constructor(config: FileConfig['video'], available: boolean) {
    this.#config = config;
    this.available = available;
  }

  /** Finds out once whether ffmpeg and ffprobe run, and says at start when video covers are off. */
  static async detect(config: FileConfig['video'], logger: Logger): Promise<VideoFrames> {
    const runs = (path: string) =>
      run(path, ['-version'], config.timeoutMs).then(
        () => true,
        () => false,
      );
    const [ffmpeg, ffprobe] = await Promise.all([runs(config.ffmpegPath), runs(config.ffprobePath)]);
    if (!ffmpeg || !ffprobe)
      logger.info(
        { ffmpeg: config.ffmpegPath, ffprobe: config.ffprobePath },
        'video covers off: ffmpeg or ffprobe not found (FILE_FFMPEG_PATH, FILE_FFPROBE_PATH); videos keep the duration their container gives',
      );
    return new VideoFrames(config, ffmpeg && ffprobe);
  }

  /** Duration, dimensions and cover of a video, read from a temporary copy of its bytes. */
  async details(content: Buffer | Readable): Promise<VideoDetails | null> {
    if (!this.available) {
      if (!Buffer.isBuffer(content)) content.destroy();
      return null;
    }
    // A finished run hands its turn to the next waiting one, so at most CONCURRENT_VIDEOS run.
    if (this.#running < CONCURRENT_VIDEOS) this.#running++;
    else await new Promise<void>((turn) => this.#waiting.push(turn));
    try {
      return await this.#inTempCopy(content);
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }

  async #inTempCopy(content: Buffer | Readable): Promise<VideoDetails> {
    const dir = await mkdtemp(join(tmpdir(), 'anychat-video-'));
    const input = join(dir, 'input');
    try {
      await pipeline(Buffer.isBuffer(content) ? Readable.from([content]) : content, createWriteStream(input));
      const probe = await this.#probe(input);
      return { ...probe, cover: await this.#cover(input) };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async #probe(input: string): Promise<Omit<VideoDetails, 'cover'>> {
    const none = { durationMs: null, width: null, height: null };
    const args = [
      '-v',
      'error',
      ...INPUT_OPTIONS,
      '-select_streams',
      'v:0',
      '-show_entries',
      'format=duration:stream=width,height,duration',
      '-of',
      'json',
      input,
    ];
    let probe: Probe;
    try {
      probe = JSON.parse(
        (await run(this.#config.ffprobePath, args, this.#config.timeoutMs)).toString(),
      ) as Probe;
    } catch {
      return none;
    }
    const stream = probe.streams?.[0];
    const seconds = positive(Number(probe.format?.duration)) ?? positive(Number(stream?.duration));
    return {
      durationMs: seconds === null ? null : Math.round(seconds * 1000),
      width: positive(stream?.width),
      height: positive(stream?.height),
    };
  }

  /** The frame at 1 s, or the first frame of a shorter video, as a WebP thumbnail. */
  async #cover(input: string): Promise<Buffer | null> {
    for (const at of ['1', '0']) {
      const args = [
        '-nostdin',
        '-v',
        'error',
        '-threads',
        '1',
        '-max_pixels',
        String(MAX_PIXELS),
        ...INPUT_OPTIONS,
        '-ss',
        at,
        '-i',
        input,
        '-frames:v',
        '1',
        '-an',
        '-sn',
        '-vf',
        'scale=512:512:force_original_aspect_ratio=decrease',
        '-f',
        'image2pipe',
        '-c:v',
        'png',
        'pipe:1',
      ];
      const frame = await run(this.#config.ffmpegPath, args, this.#config.timeoutMs).catch(() => null);
      if (!frame || frame.length === 0) continue;
      return sharp(frame, { limitInputPixels: MAX_PIXELS })
        .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
        .webp({ quality: 80 })
        .toBuffer()
        .catch(() => null);
    }
    return null;
  }
}
