import type { Readable } from 'node:stream';
import { parseBuffer, parseStream } from 'music-metadata';
import sharp from 'sharp';

/** Longest side of a thumbnail, in pixels. */
export const THUMBNAIL_SIZE = 256;
/** Images larger than this many pixels are not decoded (a decompression bomb costs memory, not bytes). */
const MAX_PIXELS = 100_000_000;

export interface ProcessedImage {
  /** The bytes to store: the upload itself, or re-encoded without its metadata. */
  bytes: Buffer;
  width: number;
  height: number;
  /** A WebP of at most THUMBNAIL_SIZE on its longest side, when the image is larger than that. */
  thumbnail: Buffer | null;
}

/**
 * An image as it is shared: dimensions as shown (EXIF orientation applied), metadata removed when
 * there is any (EXIF carries GPS positions and camera serials; sharp writes none unless asked), and
 * a thumbnail. An image without metadata is kept byte for byte.
 */
export async function processImage(bytes: Buffer): Promise<ProcessedImage> {
  const image = () => sharp(bytes, { limitInputPixels: MAX_PIXELS, animated: true });
  const metadata = await image().metadata();
  const carriesMetadata = Boolean(metadata.exif || metadata.xmp || metadata.iptc);
  // Animated images keep every frame; orientation tags do not apply to them.
  const oriented = (metadata.pages ?? 1) > 1 ? image() : image().rotate();
  const stored = carriesMetadata ? await oriented.toBuffer() : bytes;
  const swapped = (metadata.orientation ?? 1) >= 5;
  const width = (swapped ? metadata.height : metadata.width) ?? 0;
  const height = (swapped ? metadata.width : (metadata.pageHeight ?? metadata.height)) ?? 0;
  const thumbnail =
    Math.max(width, height) > THUMBNAIL_SIZE
      ? await sharp(bytes, { limitInputPixels: MAX_PIXELS })
          .rotate()
          .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside' })
          .webp({ quality: 80 })
          .toBuffer()
      : null;
  return { bytes: stored, width, height, thumbnail };
}

/** Length of a voice or video recording in milliseconds, read from its container; null when it does not say. */
export async function durationOf(
  content: Buffer | Readable,
  mimeType: string,
  size: number,
): Promise<number | null> {
  const options = { duration: true, skipCovers: true };
  try {
    const metadata = Buffer.isBuffer(content)
      ? await parseBuffer(content, { mimeType, size }, options)
      : await parseStream(content, { mimeType, size }, options);
    const seconds = metadata.format.duration;
    return seconds === undefined || !Number.isFinite(seconds) ? null : Math.round(seconds * 1000);
  } catch {
    // A container music-metadata cannot read still uploads; it just has no duration.
    return null;
  } finally {
    if (!Buffer.isBuffer(content)) content.destroy();
  }
}
