import { z } from 'zod';
import { AppError, ErrorCode } from '../../platform/errors.ts';
import { schemas } from '../../platform/validation.ts';
import type { SharedFile } from '../clients/files.ts';

/**
 * Message content types of seed §4.5.2, each with its own schema. The schemas are built from the
 * configured text limit; a send is refused with the §7.8 code that says why (empty, too long, bad
 * URL, unsupported type) before anything is stored. Every string goes through the platform's text
 * schemas: message text as sent (bidi marks and joiners included), one-line fields without control
 * characters, and names shown as someone's or something's name (file names, card nicknames)
 * without invisible or text-direction characters ("invoice\u202Efdp.exe" would show as "…exe.pdf").
 */

export const CONTENT_TYPES = [
  'text',
  'image',
  'video',
  'voice',
  'file',
  'emoji',
  'card',
  'location',
  'merged',
  'quote',
  'call',
] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];

const mediaUrl = schemas.text(2048);
const isHttpUrl = (value: string) => {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
};
const positive = z.number().int().min(0);
/** Ids referred to in content (a card's user, a quoted message): numeric and within the id range. */
const id = schemas.id;

function contentSchemas(maxTextLength: number) {
  const text = schemas.body(maxTextLength * 4);
  return {
    text,
    image: z.object({
      url: mediaUrl,
      thumbnail: mediaUrl.optional(),
      width: positive.optional(),
      height: positive.optional(),
      size: positive.optional(),
    }),
    video: z.object({
      url: mediaUrl,
      thumbnail: mediaUrl.optional(),
      duration: z.number().min(0),
      size: positive.optional(),
      width: positive.optional(),
      height: positive.optional(),
    }),
    voice: z.object({ url: mediaUrl, duration: z.number().min(0).max(600), size: positive.optional() }),
    file: z.object({
      url: mediaUrl,
      fileName: schemas.name(255).min(1),
      fileSize: positive,
      mimeType: schemas.text(100).optional(),
    }),
    emoji: z.object({
      url: mediaUrl,
      emojiId: schemas.text(64).optional(),
      name: schemas.text(64).optional(),
      width: positive.optional(),
      height: positive.optional(),
    }),
    card: z.object({ userId: id, nickname: schemas.name(64).optional(), avatar: mediaUrl.optional() }),
    location: z.object({
      latitude: z.number().min(-90).max(90),
      longitude: z.number().min(-180).max(180),
      name: schemas.text(200).optional(),
      address: schemas.text(500).optional(),
    }),
    merged: z.object({
      title: schemas.text(100).min(1),
      items: z
        .array(
          z.object({
            messageId: id.optional(),
            senderId: id.optional(),
            senderName: schemas.name(64),
            contentType: z.enum(CONTENT_TYPES),
            preview: schemas.multiline(500),
            timestamp: z.number().int(),
          }),
        )
        .min(1)
        .max(100),
    }),
    quote: z.object({
      text,
      quote: z.object({
        messageId: id,
        senderId: id.optional(),
        preview: schemas.multiline(500).optional(),
      }),
    }),
    // The record a call leaves in its conversation (the rtc service posts it as the caller).
    call: z.object({
      callId: id,
      callType: z.enum(['audio', 'video']),
      status: z.enum(['ended', 'missed', 'rejected', 'cancelled']),
      reason: schemas.text(20).optional(),
      duration: z.number().int().min(0),
      durationMs: z.number().int().min(0).optional(),
    }),
  };
}

export type MessageContent = unknown;

/** Content types whose media can be an uploaded file (`{"fileId": "…"}`) instead of a URL. */
const FILE_CONTENT_TYPES = ['image', 'video', 'voice', 'file'];
const FileReference = z.strictObject({ fileId: id });

/** Media content that names an uploaded file; the message service fills in what the file is. */
export function fileReferenceOf(contentType: string, content: unknown): string | undefined {
  if (!FILE_CONTENT_TYPES.includes(contentType)) return undefined;
  const parsed = FileReference.safeParse(content);
  return parsed.success ? parsed.data.fileId : undefined;
}

/** The media types a content type shows, by the type read from the file's bytes. */
const MEDIA_OF: Record<string, (mimeType: string) => boolean> = {
  image: (mime) => mime.startsWith('image/'),
  video: (mime) => mime.startsWith('video/'),
  voice: (mime) => mime.startsWith('audio/') || mime === 'video/webm' || mime === 'video/mp4',
  file: () => true,
};

/**
 * The content of a media message sent as a file id: what a client needs to render it (name, size,
 * type, dimensions, duration in seconds as URL-based content has it, and `thumbnailUrl`, the route
 * that signs the thumbnail's URL); the bytes come from `GET /api/v1/files/{fileId}`. 070102 when
 * the file's real type is not this content type's media.
 */
export function fileContent(contentType: string, file: SharedFile): Record<string, unknown> {
  if (!MEDIA_OF[contentType]?.(file.mimeType))
    throw new AppError(ErrorCode.FILE_TYPE_UNSUPPORTED, {
      detail: `a ${contentType} message cannot carry a file of type ${file.mimeType}`,
    });
  const common = { fileId: file.fileId, size: file.size, mimeType: file.mimeType };
  const dimensions = {
    ...(file.width === null ? {} : { width: file.width }),
    ...(file.height === null ? {} : { height: file.height }),
    hasThumbnail: file.hasThumbnail,
    // The route, not a signed URL: a message outlives any signature.
    ...(file.thumbnailUrl === null ? {} : { thumbnailUrl: file.thumbnailUrl }),
  };
  const duration = file.durationMs === null ? {} : { duration: file.durationMs / 1000 };
  switch (contentType) {
    case 'image':
      return { ...common, fileName: file.fileName, ...dimensions };
    case 'video':
      return { ...common, fileName: file.fileName, ...dimensions, ...duration };
    case 'voice':
      return { ...common, ...duration };
    default:
      return { fileId: file.fileId, fileName: file.fileName, fileSize: file.size, mimeType: file.mimeType };
  }
}

const urlFields = ['url', 'thumbnail', 'avatar'];

export class ContentValidator {
  readonly #schemas: ReturnType<typeof contentSchemas>;
  readonly #maxTextLength: number;

  constructor(maxTextLength: number) {
    this.#schemas = contentSchemas(maxTextLength);
    this.#maxTextLength = maxTextLength;
  }

  /** The validated content, or an AppError with the §7.8 code. */
  parse(contentType: string, content: unknown): unknown {
    if (!(CONTENT_TYPES as readonly string[]).includes(contentType))
      throw new AppError(ErrorCode.MESSAGE_TYPE_UNSUPPORTED, {
        detail: `contentType "${contentType}" is not one of ${CONTENT_TYPES.join(', ')}`,
      });
    if (content === undefined || content === null || content === '')
      throw new AppError(ErrorCode.MESSAGE_EMPTY);
    const fileId = fileReferenceOf(contentType, content);
    if (fileId) return { fileId };
    const schema = this.#schemas[contentType as ContentType];
    const parsed = schema.safeParse(content);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new AppError(ErrorCode.INVALID_PARAMS, {
        detail: `content${issue.path.map((p) => `.${String(p)}`).join('')}: ${issue.message}`,
      });
    }
    const text = contentType === 'text' ? (parsed.data as string) : undefined;
    const quoted = contentType === 'quote' ? (parsed.data as { text: string }).text : undefined;
    for (const body of [text, quoted]) {
      if (body === undefined) continue;
      if (body.trim() === '') throw new AppError(ErrorCode.MESSAGE_EMPTY);
      // Characters as people count them (code points), not UTF-16 units.
      if ([...body].length > this.#maxTextLength)
        throw new AppError(ErrorCode.MESSAGE_TOO_LONG, {
          detail: `text is longer than ${this.#maxTextLength} characters`,
        });
    }
    if (typeof parsed.data === 'object') {
      for (const field of urlFields) {
        const value = (parsed.data as Record<string, unknown>)[field];
        if (typeof value === 'string' && !isHttpUrl(value))
          throw new AppError(ErrorCode.MESSAGE_BAD_URL, { detail: `content.${field} is not an http(s) URL` });
      }
    }
    return parsed.data;
  }
}

/** The words a keyword search looks in. */
export function searchTextOf(contentType: string, content: unknown): string {
  const c = content as Record<string, unknown>;
  switch (contentType) {
    case 'text':
      return content as string;
    case 'quote':
      return c.text as string;
    case 'file':
      return c.fileName as string;
    case 'location':
      return [c.name, c.address].filter(Boolean).join(' ');
    case 'merged':
      return [c.title, ...(c.items as Array<{ preview: string }>).map((item) => item.preview)].join(' ');
    case 'card':
      return (c.nickname as string | undefined) ?? '';
    default:
      return '';
  }
}
