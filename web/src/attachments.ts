import type { Conversation } from './api/types.ts';
import { t } from './i18n.ts';
import { http, sendUpload } from './store.ts';

/**
 * Files and voice notes: sending them (an upload with progress, then a message that names the file
 * by id, as images do) and what a bubble needs to show them. The server fills a file message's
 * content from the stored file (services/message fileContent): a `file` has its name, size and
 * type, a `voice` its size, type and duration in seconds when the recording's container says it.
 */

export interface FileContent {
  fileId?: string;
  fileName?: string;
  fileSize?: number;
  mimeType?: string;
}

export interface VoiceContent {
  fileId?: string;
  size?: number;
  mimeType?: string;
  /** Seconds. */
  duration?: number;
}

/** What the file service says of a file: its name and size, and a signed URL valid for minutes. */
export interface FileInfo {
  fileId: string;
  fileName: string;
  size: number;
  mimeType: string;
  url: string;
  urlExpiresAt: string;
  durationMs: number | null;
}

/**
 * What the sender knows of its own uploads, by `clientMsgId`: the message it sends carries the file
 * id alone (the server fills in the rest for everyone else), so its own bubble reads the name, size
 * and duration from here rather than asking the server.
 */
const sentLocally = new Map<string, { fileName?: string; size: number; duration?: number }>();

export function localInfo(clientMsgId: string) {
  return sentLocally.get(clientMsgId);
}

export function sendFile(conversation: Conversation, file: File): Promise<void> {
  const clientMsgId = crypto.randomUUID();
  sentLocally.set(clientMsgId, { fileName: file.name, size: file.size });
  return sendUpload(conversation, file, {
    contentType: 'file',
    kind: 'chat_file',
    clientMsgId,
    content: { fileName: file.name, fileSize: file.size },
  });
}

/** A recorded voice note (`seconds` long, as measured while recording). */
export function sendVoice(conversation: Conversation, recording: File, seconds: number): Promise<void> {
  const clientMsgId = crypto.randomUUID();
  sentLocally.set(clientMsgId, { size: recording.size, duration: seconds });
  return sendUpload(conversation, recording, {
    contentType: 'voice',
    kind: 'chat_voice',
    clientMsgId,
    content: { duration: seconds },
  });
}

const infos = new Map<string, FileInfo>();

/** The file's details with a signed URL that is still good for a minute (asked again otherwise). */
export async function fileInfo(fileId: string): Promise<FileInfo> {
  const cached = infos.get(fileId);
  if (cached && Date.parse(cached.urlExpiresAt) - 60_000 > Date.now()) return cached;
  const info = await http.get<FileInfo>(`/api/v1/files/${encodeURIComponent(fileId)}`);
  infos.set(fileId, info);
  return info;
}

/** Saves the file under its own name: a fresh signed URL, followed by a link made for the purpose. */
export async function download(fileId: string, fileName: string): Promise<void> {
  const { url } = await fileInfo(fileId);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
}

/** 1.5 MB, 320 KB, 12 B, in the reader's language. */
export function formatSize(bytes: number, locale: string): string {
  const units = ['byte', 'kilobyte', 'megabyte', 'gigabyte'] as const;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return new Intl.NumberFormat(locale, {
    style: 'unit',
    unit: units[unit],
    unitDisplay: 'short',
    maximumFractionDigits: unit === 0 ? 0 : 1,
  }).format(value);
}

/** 0:07, 1:05 */
export function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

/** The word for a message without text (a quote of it, a reply bar): [File], [Voice], [Image]. */
export function mediaPreview(contentType: string): string {
  if (contentType === 'file') return t('filePreview');
  if (contentType === 'voice') return t('voicePreview');
  return t('imagePreview');
}
