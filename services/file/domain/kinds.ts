import type { FileKind } from '../../platform/file-config.ts';

export type { FileKind };
export const FILE_KINDS = [
  'avatar',
  'group_avatar',
  'chat_image',
  'chat_video',
  'chat_voice',
  'chat_file',
  'temp',
] as const satisfies readonly FileKind[];

/** Kinds that hold an image: processed when stored (dimensions, thumbnail, metadata removed). */
export const IMAGE_KINDS: readonly FileKind[] = ['avatar', 'group_avatar', 'chat_image'];

/** The four buckets of seed §4.7, by the part of their name after the configured prefix. */
export const BUCKETS = {
  userAvatars: 'user-avatars',
  groupAvatars: 'group-avatars',
  chatFiles: 'chat-files',
  temporary: 'temp-files',
} as const;

export function bucketSuffixOf(kind: FileKind): string {
  switch (kind) {
    case 'avatar':
      return BUCKETS.userAvatars;
    case 'group_avatar':
      return BUCKETS.groupAvatars;
    case 'temp':
      return BUCKETS.temporary;
    default:
      return BUCKETS.chatFiles;
  }
}

const IMAGES = [
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/heic',
  'image/bmp',
];
const VIDEOS = ['video/mp4', 'video/quicktime', 'video/webm', 'video/x-matroska', 'video/3gpp'];
const AUDIO = [
  'audio/mpeg',
  'audio/ogg',
  'audio/opus',
  'audio/aac',
  'audio/mp4',
  'audio/x-m4a',
  'audio/webm',
  'audio/wav',
  'audio/x-wav',
  'audio/amr',
  'audio/flac',
  'video/webm',
  'video/mp4',
];

/** Types (as read from the content) a kind accepts; undefined: any content. */
export const ACCEPTED_TYPES: Record<FileKind, readonly string[] | undefined> = {
  avatar: IMAGES,
  group_avatar: IMAGES,
  chat_image: IMAGES,
  chat_video: VIDEOS,
  chat_voice: AUDIO,
  chat_file: undefined,
  temp: undefined,
};

/**
 * Media a browser may show inline: images, video and audio of the types above. Everything else
 * (HTML, SVG, PDF, scripts, unknown bytes) is served as an attachment, so that a file cannot run
 * in the platform's origin or a user's browser as a page.
 */
const INLINE = new Set([...IMAGES, ...VIDEOS, ...AUDIO]);

export const isInlineSafe = (mimeType: string) => INLINE.has(mimeType);

/** Content-Disposition for a download: RFC 6266 with an ASCII fallback and the UTF-8 name (RFC 8187). */
export function contentDisposition(mimeType: string, fileName: string): string {
  const type = isInlineSafe(mimeType) ? 'inline' : 'attachment';
  const fallback = fileName.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(fileName).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${type}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
